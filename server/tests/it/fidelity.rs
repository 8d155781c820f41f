//! vCard fidelity over CardDAV: every client card of the corpus PUT and read back as written;
//! UIDs as written (any form, case-sensitive, unique, kept); photos and other binary values
//! served back exactly; a console edit changes only the line it edits.

use crate::carddav::Dav;
use crate::common::TestServer;
use domain::{ContactId, Origin};
use reqwest::StatusCode;

const FILES: [&str; 7] =
    ["ios", "davx5", "thunderbird-cardbook", "thunderbird", "evolution", "google", "outlook"];

fn corpus(name: &str) -> String {
    let path = format!("{}/../crates/vcard/tests/corpus/{name}.vcf", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn card_texts(text: &str) -> Vec<String> {
    interchange::vcard::card_texts(text).into_iter().map(str::to_string).collect()
}

/// Lines unfolded, without `BEGIN`, `END` and `VERSION` (the documented normalisation).
fn normalised(card: &str) -> Vec<String> {
    let lines = interchange::vcard::content_lines(card).into_iter().map(|(_, l)| l);
    lines.filter(|l| !l.to_ascii_uppercase().starts_with("VERSION:")).collect()
}

fn is_group(card: &str) -> bool {
    let u = card.to_ascii_uppercase();
    u.contains("KIND:GROUP")
}

async fn setup() -> (TestServer, Dav, domain::AccountId) {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    (s, dav, alice.id)
}

#[tokio::test]
async fn every_client_card_is_served_back_as_written() {
    let (s, dav, _) = setup().await;
    let mut n = 0;
    for name in FILES {
        for (i, card) in card_texts(&corpus(name)).iter().enumerate() {
            // Group cards become groups; CardDAV needs a UID (Google's export has none).
            if is_group(card) || card.contains("VERSION:2.1") || !card.contains("\nUID") {
                continue;
            }
            let href = format!("{name}-{i}.vcf");
            let put = dav.put(&href, card, &[]).await;
            assert_eq!(put.status, StatusCode::CREATED, "{name} #{i}: {}", put.body);
            let v4 = card.contains("VERSION:4.0");
            let accept = if v4 { "text/vcard; version=4.0" } else { "text/vcard" };
            let got =
                dav.send("GET", &format!("{}{href}", dav.book()), &[("Accept", accept)], "").await;
            assert_eq!(got.status, StatusCode::OK);
            assert_eq!(got.etag(), put.etag(), "{name} #{i}");
            assert_eq!(normalised(&got.body), normalised(card), "{name} #{i}:\n{}", got.body);
            n += 1;
        }
    }
    assert!(n >= 12, "{n} cards");
    s.shutdown().await;
}

fn card(uid: &str, fn_: &str, more: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn_}\r\n{more}END:VCARD\r\n")
}

#[tokio::test]
async fn uids_are_kept_as_written_and_case_sensitive() {
    let (s, dav, _) = setup().await;
    // Two UIDs that differ only in case are two cards.
    for (href, uid) in [
        ("a.vcf", "abc-UID-1"),
        ("b.vcf", "ABC-uid-1"),
        ("c.vcf", "8C9B5C1E-4F3A-4B2D-9E8F-1A2B3C4D5E6F"),
        ("d.vcf", "8c9b5c1e-4f3a-4b2d-9e8f-1a2b3c4d5e6f"),
        ("e.vcf", "urn:uuid:0190F5A4-3C1E-7CC2-9D1E-1B2C3D4E5F01"),
    ] {
        let r = dav.put(href, &card(uid, href, ""), &[]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{uid}: {}", r.body);
        let got = dav.get(href).await;
        assert!(got.body.contains(&format!("\r\nUID:{uid}\r\n")), "{uid}: {}", got.body);
    }
    // The same UID again under another name is a conflict.
    let r = dav.put("f.vcf", &card("ABC-uid-1", "again", ""), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("no-uid-conflict"), "{}", r.body);
    // A card keeps its UID: a new UID at the same name is refused, and the old one stays taken.
    let r = dav.put("a.vcf", &card("abc-UID-2", "moved", ""), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("no-uid-conflict"), "{}", r.body);
    let r = dav.put("a.vcf", &card("ABC-uid-1", "taken", ""), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another card's UID at this name: {}", r.body);
    let r = dav.put("g.vcf", &card("abc-UID-2", "free", ""), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "the refused UID is free: {}", r.body);
    // Exactly one UID.
    let none = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No UID\r\nEND:VCARD\r\n";
    let r = dav.put("h.vcf", none, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("valid-address-data"), "{}", r.body);
    let two = card("u-1", "Two", "UID:u-2\r\n");
    let r = dav.put("i.vcf", &two, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    s.shutdown().await;
}

#[tokio::test]
async fn binary_values_come_back_exactly() {
    let (s, dav, _) = setup().await;
    let body = card(
        "photo-1",
        "Photo",
        "PHOTO;ENCODING=b:AAECAwQFBgcICQ==\r\nLOGO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=\r\n",
    );
    assert_eq!(dav.put("p.vcf", &body, &[]).await.status, StatusCode::CREATED);
    let v3 = dav.get("p.vcf").await;
    assert!(v3.body.contains("\r\nPHOTO;ENCODING=b:AAECAwQFBgcICQ==\r\n"), "{}", v3.body);
    let v4 = dav
        .send("GET", &format!("{}p.vcf", dav.book()), &[("Accept", "text/vcard; version=4.0")], "")
        .await;
    assert!(
        v4.body.contains("\r\nPHOTO:data:application/octet-stream;base64,AAECAwQFBgcICQ==\r\n"),
        "{}",
        v4.body
    );
    assert!(v4.body.contains("\r\nLOGO:data:image/png;base64,iVBORw0KGgo=\r\n"), "{}", v4.body);
    assert!(!v4.body.contains("base64\\,"), "{}", v4.body);
    s.shutdown().await;
}

#[tokio::test]
async fn a_console_edit_changes_only_its_line() {
    let (s, dav, account) = setup().await;
    let cards = card_texts(&corpus("ios"));
    let original = &cards[0];
    assert_eq!(dav.put("ios.vcf", original, &[]).await.status, StatusCode::CREATED);
    let uid = interchange::vcard::parse_vcards(original)[0].as_ref().unwrap().uid.clone().unwrap();
    let id = ContactId::from_uuid(interchange::vcard::id_for_uid(account.as_uuid(), &uid));
    let c = s.store.get_contact(account, id).await.unwrap();
    // The console sends the typed fields (no card), as its form does.
    let mut draft = domain::ContactDraft::from_data(&c.data);
    draft.nickname = "Johnny".into();
    let data = draft.parse().unwrap();
    s.store.update_contact(account, id, c.revision, &data, Origin::Console).await.unwrap();
    let got = dav.get("ios.vcf").await;
    let (before, after) = (normalised(original), normalised(&got.body));
    let removed: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
    let added: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    assert!(removed.len() <= 1, "{removed:?}\n{}", got.body);
    assert_eq!(added.len(), 1, "{added:?}\n{}", got.body);
    assert!(added[0].starts_with("NICKNAME") && added[0].ends_with(":Johnny"), "{added:?}");
    s.shutdown().await;
}

/// An Apple card with the catalogue's fields: a device downloads them typed, moves one website
/// above the other and changes the Jabber address while the console adds a related person; the
/// card then differs from the one PUT only in those lines, in that order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_fields_travel_typed_and_edits_change_only_their_lines() {
    let (s, dav, account) = setup().await;
    let lines = [
        "UID:cat-1",
        "N:Lee;Ann;;;",
        "FN:Ann Lee",
        "item1.URL;type=pref:https://ann.example.com/",
        "item1.X-ABLabel:_$!<HomePage>!$_",
        "URL;type=WORK:example.org/ann",
        "X-JABBER;type=WORK:ann@jabber.example.com",
        "item2.X-ABRELATEDNAMES:Bo Lee",
        "item2.X-ABLabel:_$!<Spouse>!$_",
        "item3.X-ABDATE:2004-08-15",
        "item3.X-ABLabel:_$!<Anniversary>!$_",
    ];
    let text = format!("BEGIN:VCARD\r\nVERSION:3.0\r\n{}\r\nEND:VCARD\r\n", lines.join("\r\n"));
    assert_eq!(dav.put("cat.vcf", &text, &[]).await.status, StatusCode::CREATED);
    let id = ContactId::from_uuid(interchange::vcard::id_for_uid(account.as_uuid(), "cat-1"));

    let phone = crate::device_api::Device::new(&s, account, "Phone").await;
    let (status, c) = phone.get(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let data = &c["data"];
    assert_eq!(data["websites"][1]["value"], "example.org/ann", "{c}");
    assert_eq!(data["ims"][0]["value"], "xmpp:ann@jabber.example.com", "{c}");
    assert_eq!(data["related"][0]["label"], "spouse", "{c}");
    assert_eq!(data["anniversary"], "2004-08-15", "{c}");
    let revision = c["revision"].as_i64().unwrap();

    // The console adds a related person first (a new revision the device has not seen).
    let current = s.store.get_contact(account, id).await.unwrap();
    let mut draft = domain::ContactDraft::from_data(&current.data);
    draft.related.push(domain::LabeledDraft { label: "child".into(), value: "Cy Lee".into() });
    let mut console = draft.parse().unwrap();
    console.card.clone_from(&current.data.card);
    s.store.update_contact(account, id, current.revision, &console, Origin::Console).await.unwrap();

    let mut edited = data.clone();
    let websites = edited["websites"].as_array_mut().unwrap();
    websites.swap(0, 1);
    edited["ims"][0]["value"] = "xmpp:ann@chat.example.com".into();
    edited.as_object_mut().unwrap().remove("card");
    let (status, r) = phone
        .upload(serde_json::json!({ "changes": [
            { "id": id.to_string(), "op": "upsert", "base_revision": revision, "data": edited }
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(r["results"][0]["conflicts"].as_array().is_none_or(Vec::is_empty), "{r}");

    let got = normalised(&dav.get("cat.vcf").await.body);
    let want: Vec<String> = [
        "UID:cat-1",
        "N:Lee;Ann;;;",
        "FN:Ann Lee",
        "URL;type=WORK:example.org/ann",
        "item1.X-ABLabel:_$!<HomePage>!$_",
        "item1.URL;type=pref:https://ann.example.com/",
        "X-JABBER;type=WORK:ann@chat.example.com",
        "item2.X-ABRELATEDNAMES:Bo Lee",
        "item2.X-ABLabel:_$!<Spouse>!$_",
        "item4.X-ABRELATEDNAMES:Cy Lee",
        "item4.X-ABLabel:_$!<Child>!$_",
        "item3.X-ABDATE:2004-08-15",
        "item3.X-ABLabel:_$!<Anniversary>!$_",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(got, want);
    s.shutdown().await;
}
