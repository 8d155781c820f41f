//! CardDAV over real TCP: discovery, sign-in, PUT/GET/DELETE with preconditions, sync-collection
//! with limits, multiget, addressbook-query, groups both ways, isolation between accounts, edits
//! shared with the console and the device feed, and replays of what iOS, DAVx5 and Thunderbird
//! CardBook send.

use crate::common;

use common::TestServer;
use domain::{ContactDraft, ContactId, DeviceKind, LabeledDraft, Origin};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};

#[derive(Clone)]
pub(crate) struct Dav {
    base: String,
    user: String,
    token: String,
    http: Client,
    /// The segment of the book `book()` means (`contacts`, the first book, unless changed).
    segment: String,
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    pub(crate) fn etag(&self) -> String {
        self.header("etag").to_string()
    }
    /// The text between `<tag>` and `</tag>` for each occurrence.
    fn all(&self, tag: &str) -> Vec<String> {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        self.body
            .split(&open)
            .skip(1)
            .filter_map(|s| s.split(&close).next())
            .map(str::to_string)
            .collect()
    }
    fn one(&self, tag: &str) -> String {
        self.all(tag).into_iter().next().unwrap_or_else(|| panic!("no <{tag}> in {}", self.body))
    }
}

fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

impl Dav {
    pub(crate) async fn new(s: &TestServer, account: domain::AccountId, user: &str) -> Dav {
        let (_, token) = s.store.create_device(account, "Phone", DeviceKind::Phone).await.unwrap();
        Dav {
            base: s.url.clone(),
            user: user.into(),
            token,
            http: client(),
            segment: "contacts".into(),
        }
    }
    pub(crate) fn book(&self) -> String {
        format!("/dav/addressbooks/{}/{}/", self.user, self.segment)
    }
    /// The same client, working in another book of its home.
    pub(crate) fn at(&self, segment: &str) -> Dav {
        Dav { segment: segment.into(), ..self.clone() }
    }
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut r = self
            .http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
            .basic_auth(&self.user, Some(&self.token));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.body(body.to_string()).send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        Answer { status, headers, body: resp.text().await.unwrap() }
    }
    async fn propfind(&self, path: &str, depth: &str, props: &str) -> Answer {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>{props}</d:prop></d:propfind>"#
        );
        self.send("PROPFIND", path, &[("Depth", depth), ("Content-Type", "application/xml")], &body)
            .await
    }
    pub(crate) async fn put(&self, name: &str, card: &str, headers: &[(&str, &str)]) -> Answer {
        let mut h = vec![("Content-Type", "text/vcard; charset=utf-8")];
        h.extend_from_slice(headers);
        self.send("PUT", &format!("{}{name}", self.book()), &h, card).await
    }
    pub(crate) async fn get(&self, name: &str) -> Answer {
        self.send("GET", &format!("{}{name}", self.book()), &[], "").await
    }
    async fn sync(&self, token: &str, limit: Option<u32>) -> Answer {
        let limit = limit
            .map(|n| format!("<d:limit><d:nresults>{n}</d:nresults></d:limit>"))
            .unwrap_or_default();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>{limit}<d:prop><d:getetag/></d:prop></d:sync-collection>"#
        );
        self.send(
            "REPORT",
            &self.book(),
            &[("Depth", "1"), ("Content-Type", "application/xml")],
            &body,
        )
        .await
    }
    async fn multiget(&self, hrefs: &[String], version: &str) -> Answer {
        let hrefs: String = hrefs.iter().map(|h| format!("<d:href>{h}</d:href>")).collect();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data content-type="text/vcard" version="{version}"/></d:prop>{hrefs}</card:addressbook-multiget>"#
        );
        self.send(
            "REPORT",
            &self.book(),
            &[("Depth", "1"), ("Content-Type", "application/xml")],
            &body,
        )
        .await
    }
}

fn vcard(uid: &str, name: &str, extra: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n{extra}END:VCARD\r\n")
}

fn contact(given: &str, phone: &str, email: &str) -> domain::ContactData {
    ContactDraft {
        given_name: given.into(),
        phones: vec![LabeledDraft { label: "mobile".into(), value: phone.into() }],
        emails: vec![LabeledDraft { label: "work".into(), value: email.into() }],
        ..Default::default()
    }
    .parse()
    .unwrap()
}

/// (href, etag) of each 200 response and the hrefs of each 404 response of a multistatus.
fn entries(a: &Answer) -> (Vec<(String, String)>, Vec<String>) {
    let mut live = Vec::new();
    let mut gone = Vec::new();
    for r in a.body.split("<d:response>").skip(1) {
        let href = r
            .split("<d:href>")
            .nth(1)
            .and_then(|s| s.split("</d:href>").next())
            .unwrap_or_default()
            .to_string();
        if let Some(etag) =
            r.split("<d:getetag>").nth(1).and_then(|s| s.split("</d:getetag>").next())
        {
            live.push((href, etag.replace("&quot;", "\"")));
        } else if r.contains("404 Not Found") {
            gone.push(href);
        }
    }
    (live, gone)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_sign_in() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;

    let r = client()
        .request(Method::from_bytes(b"PROPFIND").unwrap(), format!("{}/.well-known/carddav", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(r.headers()["location"], "/dav/");

    let r = client().request(Method::OPTIONS, format!("{}/dav/", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["dav"], "1, 3, addressbook");
    assert!(r.headers()["allow"].to_str().unwrap().contains("REPORT"));

    // No credentials, a wrong token, a token of the right account under another username.
    let r = client()
        .request(Method::from_bytes(b"PROPFIND").unwrap(), format!("{}/dav/", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic realm=\"Rolo\""));
    let wrong = Dav { token: "rolo_nope".into(), ..Dav::new(&s, alice.id, "alice").await };
    assert_eq!(
        wrong.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::UNAUTHORIZED
    );
    let bob = s.account("bob", "bob-password-12").await;
    let bob_dav = Dav::new(&s, bob.id, "bob").await;
    let mixed = Dav {
        user: "alice".into(),
        token: bob_dav.token.clone(),
        base: s.url.clone(),
        http: client(),
        segment: "contacts".into(),
    };
    assert_eq!(
        mixed.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::UNAUTHORIZED
    );
    // The account password is refused unless the server allows it.
    let pw = Dav { token: "alice-password-1".into(), ..Dav::new(&s, alice.id, "alice").await };
    assert_eq!(
        pw.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::UNAUTHORIZED
    );

    let r = dav.propfind("/dav/", "0", "<d:current-user-principal/><d:resourcetype/>").await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    assert_eq!(r.one("d:current-user-principal"), "<d:href>/dav/principals/alice/</d:href>");
    let r = dav
        .propfind(
            "/dav/principals/alice/",
            "0",
            "<card:addressbook-home-set/><d:principal-URL/><d:displayname/>",
        )
        .await;
    assert_eq!(r.one("card:addressbook-home-set"), "<d:href>/dav/addressbooks/alice/</d:href>");
    let r = dav
        .propfind(
            "/dav/addressbooks/alice/",
            "1",
            "<d:resourcetype/><d:displayname/><d:current-user-privilege-set/>",
        )
        .await;
    assert_eq!(r.all("d:href"), ["/dav/addressbooks/alice/", "/dav/addressbooks/alice/contacts/"]);
    assert!(r.body.contains("<card:addressbook/>"));
    s.store
        .create_contact(
            alice.id,
            None,
            &contact("Ann", "+1 555 0100", "ann@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    let r = dav
        .propfind(&dav.book(), "0", "<cs:getctag/><d:sync-token/><d:supported-report-set/><card:supported-address-data/><card:max-resource-size/><x:nope xmlns:x=\"urn:x\"/>")
        .await;
    let seq = s.store.current_seq(alice.id).await.unwrap();
    assert_eq!(r.one("cs:getctag"), seq.to_string());
    assert_eq!(r.one("d:sync-token"), format!("http://rolo.invalid/sync/{seq}"));
    assert!(
        r.body.contains("<d:sync-collection/>")
            && r.body.contains("version=\"4.0\"")
            && r.body.contains("<card:max-resource-size>1048576<")
    );
    assert!(
        r.body.contains("<x:nope xmlns:x=\"urn:x\"/></d:prop><d:status>HTTP/1.1 404 Not Found"),
        "{}",
        r.body
    );
    // Prefer: return=minimal leaves the unknown property out.
    let r = dav.send("PROPFIND", &dav.book(), &[("Depth", "0"), ("Prefer", "return=minimal")], r#"<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:displayname/></d:prop></d:propfind>"#).await;
    assert!(
        !r.body.contains("404") && r.body.contains("<d:displayname>Contacts</d:displayname>"),
        "{}",
        r.body
    );

    // PROPPATCH renames the address book; other properties are refused, all or nothing.
    let r = dav.send("PROPPATCH", &dav.book(), &[], r#"<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>Family</d:displayname></d:prop></d:set></d:propertyupdate>"#).await;
    assert!(r.body.contains("200 OK"), "{}", r.body);
    let r = dav.send("PROPPATCH", &dav.book(), &[], r#"<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>X</d:displayname><d:getetag>y</d:getetag></d:prop></d:set></d:propertyupdate>"#).await;
    assert!(
        r.body.contains("403 Forbidden") && r.body.contains("424 Failed Dependency"),
        "{}",
        r.body
    );
    assert_eq!(
        dav.propfind(&dav.book(), "0", "<d:displayname/>").await.one("d:displayname"),
        "Family"
    );

    // MKCOL makes a new address book; again, it exists; inside a book, it is refused.
    let r = dav.send("MKCOL", "/dav/addressbooks/alice/other/", &[], "").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = dav.send("MKCOL", "/dav/addressbooks/alice/other/", &[], "").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = dav.send("MKCOL", "/dav/addressbooks/alice/other/sub/", &[], "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("addressbook-collection-location-ok"), "{}", r.body);
    let r = dav
        .send("MKCOL", "/dav/addressbooks/alice/x/", &[("Content-Type", "text/foo")], "zz")
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = dav.send("MKCOL", "/dav/addressbooks/alice/other/a/b/", &[], "").await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Disabling the account stops its tokens at once, though they were just verified.
    assert_eq!(
        dav.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::MULTI_STATUS
    );
    s.store.set_disabled(alice.id, true).await.unwrap();
    assert_eq!(
        dav.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::UNAUTHORIZED
    );
    s.store.set_disabled(alice.id, false).await.unwrap();
    assert_eq!(
        dav.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::MULTI_STATUS
    );

    // Revoking the device stops its token at once.
    let device =
        s.store.devices(alice.id).await.unwrap().into_iter().find(|d| d.name == "Phone").unwrap();
    for d in s.store.devices(alice.id).await.unwrap() {
        s.store.revoke_device(alice.id, d.id).await.unwrap();
    }
    let _ = device;
    assert_eq!(
        dav.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::UNAUTHORIZED
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_throttled_and_account_passwords_are_optional() {
    let s = TestServer::start_with(carddav::DavConfig {
        allow_account_password: true,
        ..Default::default()
    })
    .await;
    let alice = s.account("alice", "alice-password-1").await;
    let pw = Dav { token: "alice-password-1".into(), ..Dav::new(&s, alice.id, "alice").await };
    assert_eq!(
        pw.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::MULTI_STATUS
    );
    // A new password withdraws the old one at once, though it was just verified.
    s.store.set_password(alice.id, "alice-password-2").await.unwrap();
    assert_eq!(
        pw.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::UNAUTHORIZED
    );
    let pw = Dav { token: "alice-password-2".into(), ..Dav::new(&s, alice.id, "alice").await };
    assert_eq!(
        pw.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::MULTI_STATUS
    );
    // Wrong passwords count as the console's sign-ins do: a few, then each waits.
    let wrong = Dav { token: "guess".into(), ..Dav::new(&s, alice.id, "alice").await };
    for _ in 0..store::FREE_PER_ACCOUNT {
        assert_eq!(
            wrong.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = wrong.propfind("/dav/", "0", "<d:current-user-principal/>").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!r.header("retry-after").is_empty());
    // The owner's phone, with its device token, is not slowed down by password guesses.
    let dev = Dav::new(&s, alice.id, "alice").await;
    assert_eq!(
        dev.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::MULTI_STATUS
    );
    // Wrong device tokens are limited apart, per username and address; then even the right
    // token from that address waits.
    let forged = Dav {
        token: format!("{}forged", domain::DEVICE_TOKEN_PREFIX),
        ..Dav::new(&s, alice.id, "alice").await
    };
    for _ in 0..carddav::auth::MAX_FAILURES_PER_USER {
        assert_eq!(
            forged.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        forged.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let dev = Dav::new(&s, alice.id, "alice").await;
    assert_eq!(
        dev.propfind("/dav/", "0", "<d:current-user-principal/>").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_delete_with_preconditions() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;

    // A client-chosen name and a UID that is not a UUID; unknown properties must survive.
    let card = vcard("ada@example.com", "Ada Lovelace", "TEL;TYPE=CELL:+44 20 7946 0000\r\nX-CUSTOM-THING;X-P=1:keep me\r\nURL:https://example.com/ada\r\n");
    let r = dav.put("My Card (1).vcf", &card, &[("If-None-Match", "*")]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let etag1 = r.etag();
    assert!(!etag1.is_empty());
    let r = dav.put("My Card (1).vcf", &card, &[("If-None-Match", "*")]).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);

    let r = dav.get("My%20Card%20(1).vcf").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.etag(), etag1);
    assert!(r.header("content-type").starts_with("text/vcard"));
    assert!(r.body.contains("UID:ada@example.com\r\n"), "{}", r.body);
    assert!(
        r.body.contains("X-CUSTOM-THING;X-P=1:keep me\r\n")
            && r.body.contains("URL:https://example.com/ada"),
        "{}",
        r.body
    );
    assert!(r.body.starts_with("BEGIN:VCARD\r\nVERSION:3.0\r\n"));
    let v4 = dav
        .send(
            "GET",
            &format!("{}My%20Card%20(1).vcf", dav.book()),
            &[("Accept", "text/vcard; version=4.0")],
            "",
        )
        .await;
    assert!(v4.body.contains("VERSION:4.0"));
    let head = dav.send("HEAD", &format!("{}My%20Card%20(1).vcf", dav.book()), &[], "").await;
    assert_eq!((head.status, head.etag(), head.body.as_str()), (StatusCode::OK, etag1.clone(), ""));

    // The href listed by PROPFIND is the client's.
    let r = dav.propfind(&dav.book(), "1", "<d:getetag/>").await;
    let (live, _) = entries(&r);
    assert_eq!(live, [(format!("{}My%20Card%20%281%29.vcf", dav.book()), etag1.clone())]);

    // Updates need the current ETag.
    let edited = card.replace("Ada Lovelace", "Ada King");
    assert_eq!(
        dav.put("My Card (1).vcf", &edited, &[("If-Match", "\"nope\"")]).await.status,
        StatusCode::PRECONDITION_FAILED
    );
    let r = dav.put("My Card (1).vcf", &edited, &[("If-Match", &etag1)]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let etag2 = r.etag();
    assert_ne!(etag1, etag2);
    assert_eq!(dav.get("My%20Card%20(1).vcf").await.etag(), etag2);
    // The same UID under another name is refused.
    let r = dav.put("other.vcf", &edited, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("no-uid-conflict"), "{}", r.body);

    // vCard 4.0 with a UUID UID (urn form) is accepted too, at a name that is not the UID.
    let uid = "urn:uuid:0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f77";
    let v4card = format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:Grace Hopper\r\nEMAIL:grace@example.com\r\nEND:VCARD\r\n");
    assert_eq!(dav.put("grace.vcf", &v4card, &[]).await.status, StatusCode::CREATED);
    let c = s
        .store
        .get_contact(alice.id, ContactId::parse("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f77").unwrap())
        .await
        .unwrap();
    assert_eq!(c.data.display_name, "Grace Hopper");
    assert!(dav.get("grace.vcf").await.body.contains(&format!("UID:{uid}\r\n")));
    // Not at its default name too.
    assert_eq!(
        dav.get("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f77.vcf").await.status,
        StatusCode::NOT_FOUND
    );

    // Bad input.
    let r = dav
        .put("bad.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:only a note\r\nEND:VCARD\r\n", &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("valid-address-data"));
    let r = dav
        .send("PUT", &format!("{}x.vcf", dav.book()), &[("Content-Type", "image/png")], "x")
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let photo = format!("PHOTO;ENCODING=b;TYPE=JPEG:{}\r\n", "A".repeat(1_100_000));
    let r = dav.put("big.vcf", &vcard("big", "Big", &photo), &[]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("max-resource-size"));

    // DELETE with preconditions.
    let url = format!("{}My%20Card%20(1).vcf", dav.book());
    assert_eq!(
        dav.send("DELETE", &url, &[("If-Match", &etag1)], "").await.status,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        dav.send("DELETE", &url, &[("If-Match", &etag2)], "").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(dav.get("My%20Card%20(1).vcf").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dav.send("DELETE", &url, &[], "").await.status, StatusCode::NOT_FOUND);
    // A new card with the same UID and name comes back as a new revision of the same contact.
    assert_eq!(
        dav.put("My Card (1).vcf", &card, &[("If-None-Match", "*")]).await.status,
        StatusCode::CREATED
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_cards_are_clean() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    // A card with control characters in an unknown property (kept as sent) is served without them.
    let card = vcard("ctl", "Ctl", "X-WEIRD:a\u{1}b\u{7f}c\u{1b}d\r\n");
    assert_eq!(dav.put("ctl.vcf", &card, &[]).await.status, StatusCode::CREATED);
    let r = dav.get("ctl.vcf").await;
    assert!(
        !r.body.chars().any(|c| c.is_control() && !matches!(c, '\r' | '\n' | '\t')),
        "{:?}",
        r.body
    );
    assert!(r.body.contains("X-WEIRD:abcd\r\n"), "{:?}", r.body);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_collection_pages_and_resumes() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(
            s.store
                .create_contact(
                    alice.id,
                    None,
                    &contact(&format!("P{i:02}"), "+1 555 0100", "p@example.com"),
                    Origin::Console,
                )
                .await
                .unwrap()
                .id,
        );
    }
    s.store.delete_contact(alice.id, ids[24], 1, Origin::Console).await.unwrap();

    // First sync in pages of 10: 507 for the truncation, a token that resumes.
    let mut token = String::new();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = dav.sync(&token, Some(10)).await;
        assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.body);
        pages += 1;
        let (live, gone) = entries(&r);
        // The first request lists no deletions; resumed pages may (a client ignores a removal of
        // what it never had).
        assert!(pages > 1 || gone.is_empty(), "an initial sync lists no deletions: {gone:?}");
        seen.extend(live.into_iter().map(|(h, _)| h));
        token = r.one("d:sync-token");
        if !r.body.contains("507 Insufficient Storage") {
            break;
        }
        assert!(r.body.contains("<d:number-of-matches-within-limits/>"));
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 24);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 24);

    // Up to date: the same token back, nothing listed.
    let r = dav.sync(&token, None).await;
    assert_eq!(r.one("d:sync-token"), token);
    assert_eq!(entries(&r), (vec![], vec![]));

    // A change and a deletion in the console show up, the deletion as a 404.
    let c = s.store.get_contact(alice.id, ids[3]).await.unwrap();
    s.store
        .update_contact(
            alice.id,
            ids[3],
            c.revision,
            &contact("P03 edited", "+1 555 0100", "p@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    s.store.delete_contact(alice.id, ids[4], 1, Origin::Console).await.unwrap();
    let r = dav.sync(&token, None).await;
    let (live, gone) = entries(&r);
    assert_eq!(live.len(), 1);
    assert!(live[0].0.ends_with(&format!("{}.vcf", ids[3])));
    assert_eq!(gone, [format!("{}{}.vcf", dav.book(), ids[4])]);
    assert_ne!(r.one("d:sync-token"), token);
    // The ETag in the sync is the one GET gives.
    assert_eq!(dav.get(&format!("{}.vcf", ids[3])).await.etag(), live[0].1);

    // Unknown, foreign and future tokens: valid-sync-token.
    for bad in [
        "b905a5fd-ce23-4190-9be3-236969d071a8",
        "http://rolo.invalid/sync/999999",
        "http://sabre.io/ns/sync/3",
    ] {
        let r = dav.sync(bad, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad}");
        assert!(r.body.contains("<d:valid-sync-token/>"), "{}", r.body);
    }
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiget_and_query() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    let ann = s
        .store
        .create_contact(
            alice.id,
            None,
            &contact("Ann Smith", "+1 555 0101", "ann@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    let bob = s
        .store
        .create_contact(
            alice.id,
            None,
            &contact("Bob Jones", "+44 20 7946 0002", "bob@work.example"),
            Origin::Console,
        )
        .await
        .unwrap();

    let hrefs = vec![
        format!("{}{}.vcf", dav.book(), ann.id),
        format!("{}{}{}.vcf", s.url, dav.book(), bob.id),
        format!("{}missing.vcf", dav.book()),
        "/dav/addressbooks/bob/contacts/x.vcf".to_string(),
    ];
    let r = dav.multiget(&hrefs, "4.0").await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    let (live, gone) = entries(&r);
    assert_eq!(live.iter().map(|(h, _)| h.clone()).collect::<Vec<_>>(), hrefs[..2]);
    assert_eq!(gone, hrefs[2..]);
    let cards = r.all("card:address-data");
    assert!(cards[0].contains("VERSION:4.0") && cards[0].contains("FN:Ann Smith"), "{}", cards[0]);

    let query = |filter: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop><card:filter>{filter}</card:filter></card:addressbook-query>"#
        )
    };
    let dav = &dav;
    let ask = |filter: String| async move {
        dav.send("REPORT", &dav.book(), &[("Depth", "1")], &filter).await
    };
    let r = ask(query(r#"<card:prop-filter name="FN"><card:text-match match-type="contains">smith</card:text-match></card:prop-filter>"#)).await;
    assert_eq!(entries(&r).0.len(), 1);
    assert!(r.body.contains("FN:Ann Smith"));
    let r = ask(query(r#"<card:prop-filter name="EMAIL"><card:text-match match-type="ends-with">@work.example</card:text-match></card:prop-filter>"#)).await;
    assert!(entries(&r).0[0].0.contains(&bob.id.to_string()));
    let r = ask(query(r#"<card:prop-filter name="TEL"><card:text-match match-type="starts-with">+</card:text-match></card:prop-filter>"#)).await;
    assert_eq!(entries(&r).0.len(), 2);
    let limited = query("").replace(
        "</card:filter>",
        "</card:filter><card:limit><card:nresults>1</card:nresults></card:limit>",
    );
    let r = ask(limited).await;
    assert_eq!(entries(&r).0.len(), 1);
    assert!(r.body.contains("507 Insufficient Storage"));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_cards_follow_changes_made_on_any_instance() {
    // Two Rolo instances on one database: cards one of them served (and keeps in memory) must
    // follow what is written through the other.
    let one = TestServer::start().await;
    let two = one.beside().await;
    let alice = one.account("alice", "alice-password-1").await;
    let dav1 = Dav::new(&one, alice.id, "alice").await;
    let mut dav2 = Dav::new(&one, alice.id, "alice").await;
    dav2.base = two.url.clone();
    let a = format!("{}a-client.vcf", dav1.book());
    assert_eq!(
        dav1.put("a-client.vcf", &vcard("a-uid", "Ann First", ""), &[]).await.status,
        StatusCode::CREATED
    );
    let bob = one
        .store
        .create_contact(
            alice.id,
            None,
            &contact("Bob", "+1 555 0102", "bob@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    let b = format!("{}{}.vcf", dav1.book(), bob.id);
    let hrefs = vec![a.clone(), b.clone()];
    let texts = |r: &Answer| r.all("card:address-data");

    // Served twice from instance one (the second time from memory): the same answer.
    let first = dav1.multiget(&hrefs, "3.0").await;
    assert!(
        texts(&first)[0].contains("FN:Ann First") && texts(&first)[0].contains("UID:a-uid"),
        "{}",
        first.body
    );
    let again = dav1.multiget(&hrefs, "3.0").await;
    assert_eq!(again.body, first.body);
    let v4 = dav1.multiget(&hrefs, "4.0").await;
    assert!(texts(&v4).iter().all(|t| t.contains("VERSION:4.0")), "{}", v4.body);
    let etag_a = dav1.get("a-client.vcf").await.etag();

    // Edited through instance two (CardDAV) and its store (the console).
    let r =
        dav2.put("a-client.vcf", &vcard("a-uid", "Ann Second", ""), &[("If-Match", &etag_a)]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let new_etag_a = r.etag();
    let mut edited = bob.data.clone();
    edited.notes = "Robert now".into();
    two.store
        .update_contact(alice.id, bob.id, bob.revision, &edited, Origin::Console)
        .await
        .unwrap();
    let after = dav1.multiget(&hrefs, "3.0").await;
    let t = texts(&after);
    assert!(t[0].contains("FN:Ann Second") && t[1].contains("Robert now"), "{}", after.body);
    assert_eq!(entries(&after).0[0].1, new_etag_a);
    let v4 = dav1.multiget(&hrefs, "4.0").await;
    assert!(texts(&v4)[0].contains("FN:Ann Second"), "{}", v4.body);

    // Deleted on two, then made again under another name with the same UID.
    assert_eq!(dav2.send("DELETE", &a, &[], "").await.status, StatusCode::NO_CONTENT);
    let (live, gone) = entries(&dav1.multiget(&hrefs, "3.0").await);
    assert_eq!((live.len(), gone), (1, vec![a.clone()]));
    assert_eq!(
        dav2.put("a-moved.vcf", &vcard("a-uid", "Ann Third", ""), &[]).await.status,
        StatusCode::CREATED
    );
    let moved = format!("{}a-moved.vcf", dav1.book());
    let r = dav1.multiget(&[a.clone(), moved.clone()], "3.0").await;
    let (live, gone) = entries(&r);
    assert_eq!(gone, vec![a.clone()]);
    assert_eq!(live[0].0, moved);
    assert!(
        texts(&r)[0].contains("FN:Ann Third") && texts(&r)[0].contains("UID:a-uid"),
        "{}",
        r.body
    );
    two.shutdown().await;
    one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_is_served_the_same_with_cards_made_ready_ahead() {
    // A first sync's listing makes its cards ready ahead of the multigets. They must be what an
    // instance keeping nothing in memory serves, edits made meanwhile included.
    let s = TestServer::start().await;
    let plain =
        s.beside_with(carddav::DavConfig { card_cache_bytes: 0, ..Default::default() }).await;
    let alice = s.account("alice", "alice-password-1").await;
    let ids = seed(&s, alice.id, 450).await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    let mut other = Dav::new(&s, alice.id, "alice").await;
    other.base = plain.url.clone();
    // A named card too (client href and UID), last in the listing.
    assert_eq!(
        dav.put("Client-Named.vcf", &vcard("client-uid-1", "Named Card", "X-KEPT:yes\r\n"), &[])
            .await
            .status,
        StatusCode::CREATED
    );
    // First on this instance with nothing changing; then on one just started, with changes made
    // while its cards are being made ready (which stops that).
    let fresh = s.beside().await;
    for (round, url) in [s.url.clone(), fresh.url.clone()].into_iter().enumerate() {
        let mut dav = Dav::new(&s, alice.id, "alice").await;
        dav.base = url;
        let listing = dav.sync("", None).await;
        let (live, _) = entries(&listing);
        assert_eq!(live.len(), 451);
        if round == 1 {
            // The first, one in the middle, the last.
            for i in [0, 225, 449] {
                let c = s.store.get_contact(alice.id, ids[i]).await.unwrap();
                let mut data = c.data.clone();
                data.notes = format!("edited while made ready {i}");
                s.store
                    .update_contact(alice.id, ids[i], c.revision, &data, Origin::Console)
                    .await
                    .unwrap();
            }
        }
        let hrefs: Vec<String> = live.iter().map(|(h, _)| h.clone()).collect();
        for (k, batch) in hrefs.chunks(100).enumerate() {
            let ours = dav.multiget(batch, "3.0").await;
            let theirs = other.multiget(batch, "3.0").await;
            assert_eq!(ours.status, StatusCode::MULTI_STATUS);
            let differ = ours
                .all("card:address-data")
                .into_iter()
                .zip(theirs.all("card:address-data"))
                .find(|(a, b)| a != b);
            assert!(differ.is_none(), "round {round}, batch {k}: {differ:?}");
            assert!(ours.body == theirs.body, "round {round}, batch {k}: the answers differ");
        }
        let named = dav.multiget(&[format!("{}Client-Named.vcf", dav.book())], "3.0").await;
        assert!(
            named.body.contains("UID:client-uid-1") && named.body.contains("X-KEPT:yes"),
            "{}",
            named.body
        );
    }
    let edited = dav.multiget(&[format!("{}{}.vcf", dav.book(), ids[449])], "3.0").await;
    assert!(edited.body.contains("edited while made ready 449"), "{}", edited.body);
    fresh.shutdown().await;
    plain.shutdown().await;
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_both_ways() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    let ann = s
        .store
        .create_contact(
            alice.id,
            None,
            &contact("Ann", "+1 555 0101", "ann@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    let bob = s
        .store
        .create_contact(
            alice.id,
            None,
            &contact("Bob", "+1 555 0102", "bob@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    // Carl comes from a client, with a UID that is not a UUID.
    assert_eq!(
        dav.put("carl.vcf", &vcard("carl-uid", "Carl", ""), &[]).await.status,
        StatusCode::CREATED
    );

    // Console → CardDAV: a group with Ann as a member.
    let friends = s.store.create_group(alice.id, "Friends", Origin::Console).await.unwrap();
    s.store.set_membership(alice.id, friends.id, &[ann.id], true, Origin::Console).await.unwrap();
    let name = format!("{}.vcf", friends.id);
    let v3 = dav.get(&name).await;
    assert!(
        v3.body.contains("X-ADDRESSBOOKSERVER-KIND:group\r\n")
            && v3.body.contains(&format!("X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:{}\r\n", ann.id)),
        "{}",
        v3.body
    );
    let v4 = dav
        .send("GET", &format!("{}{name}", dav.book()), &[("Accept", "text/vcard;version=4.0")], "")
        .await;
    assert!(
        v4.body.contains("KIND:group\r\n")
            && v4.body.contains(&format!("MEMBER:urn:uuid:{}\r\n", ann.id)),
        "{}",
        v4.body
    );
    // Contact cards do not carry Rolo's own group lines.
    assert!(!dav.get(&format!("{}.vcf", ann.id)).await.body.contains("X-ROLO-GROUP"));

    // A membership change in the console changes the group's ETag and shows in an incremental sync.
    let token = dav.sync("", None).await.one("d:sync-token");
    s.store.set_membership(alice.id, friends.id, &[bob.id], true, Origin::Console).await.unwrap();
    let r = dav.sync(&token, None).await;
    let (live, _) = entries(&r);
    let group_entry = live.iter().find(|(h, _)| h.ends_with(&name)).expect("the group is listed");
    assert_ne!(group_entry.1, v3.etag());
    assert_eq!(dav.get(&name).await.etag(), group_entry.1);

    // CardDAV → console: Apple's form creates a group with Bob and Carl.
    let apple = format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:team-uid\r\nFN:Team\r\nN:Team;;;;\r\nX-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:{}\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:carl-uid\r\nEND:VCARD\r\n",
        bob.id
    );
    let r = dav.put("team.vcf", &apple, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let team = s
        .store
        .list_groups(alice.id)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.name == "Team")
        .expect("group Team");
    let members = |gid: domain::GroupId| {
        let store = s.store.clone();
        async move {
            let mut names: Vec<String> = store
                .list_contacts(alice.id)
                .await
                .unwrap()
                .into_iter()
                .filter(|c| c.data.groups.contains(&gid))
                .map(|c| c.data.display_name)
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(members(team.id).await, ["Bob", "Carl"]);
    let served = dav.get("team.vcf").await;
    assert!(
        served.body.contains("UID:team-uid\r\n")
            && served.body.contains("X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:carl-uid\r\n"),
        "{}",
        served.body
    );

    // vCard 4 form, updating: Ann replaces Carl.
    let v4group = format!(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:team-uid\r\nFN:Team A\r\nKIND:group\r\nMEMBER:urn:uuid:{}\r\nMEMBER:urn:uuid:{}\r\nEND:VCARD\r\n",
        bob.id, ann.id
    );
    let r = dav.put("team.vcf", &v4group, &[("If-Match", &served.etag())]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(s.store.group(alice.id, team.id).await.unwrap().name, "Team A");
    assert_eq!(members(team.id).await, ["Ann", "Bob"]);

    // Deleting the group keeps its contacts.
    assert_eq!(
        dav.send("DELETE", &format!("{}team.vcf", dav.book()), &[], "").await.status,
        StatusCode::NO_CONTENT
    );
    assert!(s.store.list_groups(alice.id).await.unwrap().iter().all(|g| g.id != team.id));
    assert_eq!(s.store.list_contacts(alice.id).await.unwrap().len(), 3);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_isolated() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let bob = s.account("bob", "bob-password-12").await;
    let a = Dav::new(&s, alice.id, "alice").await;
    let b = Dav::new(&s, bob.id, "bob").await;
    assert_eq!(
        a.put("secret.vcf", &vcard("secret", "Secret Person", ""), &[]).await.status,
        StatusCode::CREATED
    );

    for (method, body) in
        [("PROPFIND", ""), ("GET", ""), ("DELETE", ""), ("PUT", "x"), ("REPORT", "<x/>")]
    {
        let r = b.send(method, "/dav/addressbooks/alice/contacts/secret.vcf", &[], body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method}");
        assert!(!r.body.contains("Secret Person"));
    }
    assert_eq!(
        b.propfind("/dav/addressbooks/alice/contacts/", "1", "<d:getetag/>").await.status,
        StatusCode::FORBIDDEN
    );
    // Bob's own book does not see Alice's card, by name, multiget or sync.
    assert_eq!(b.get("secret.vcf").await.status, StatusCode::NOT_FOUND);
    let r = b
        .multiget(
            &[
                "/dav/addressbooks/alice/contacts/secret.vcf".into(),
                format!("{}secret.vcf", b.book()),
            ],
            "3.0",
        )
        .await;
    assert_eq!(entries(&r).0.len(), 0);
    assert_eq!(entries(&b.sync("", None).await), (vec![], vec![]));
    // Bob may use the same name and UID in his own book: another contact.
    assert_eq!(
        b.put("secret.vcf", &vcard("secret", "Bob's Secret", ""), &[]).await.status,
        StatusCode::CREATED
    );
    assert!(a.get("secret.vcf").await.body.contains("FN:Secret Person"));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carddav_edits_reach_the_console_history_and_the_device_feed() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    let device = s.store.devices(alice.id).await.unwrap().remove(0);
    let before = s.store.current_seq(alice.id).await.unwrap();
    let uid = "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f11";
    assert_eq!(
        dav.put("x.vcf", &vcard(uid, "Dora", "EMAIL:dora@example.com\r\n"), &[]).await.status,
        StatusCode::CREATED
    );
    let id = ContactId::parse(uid).unwrap();
    // The console sees it, with the phone as the origin of the revision.
    let listed = s.store.list_contacts(alice.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].data.emails[0].value.as_str(), "dora@example.com");
    let history = s.store.history(alice.id, id).await.unwrap();
    assert_eq!(history[0].origin, Origin::Device(device.id));
    // The device feed has it.
    let feed = s.store.feed(alice.id, store::Since::After(before), 100).await.unwrap().items;
    assert!(matches!(&feed[..], [store::FeedItem::Contact(c)] if c.id == id));
    // And the device's sync record counts it.
    assert_eq!(s.store.device(alice.id, device.id).await.unwrap().changes_received, 1);
    // A console edit is served back with the new ETag.
    let old = dav.get("x.vcf").await.etag();
    let c = s.store.get_contact(alice.id, id).await.unwrap();
    s.store
        .update_contact(
            alice.id,
            id,
            c.revision,
            &contact("Dora Edited", "+1 555 0199", "dora@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    let r = dav.get("x.vcf").await;
    assert_ne!(r.etag(), old);
    assert!(r.body.contains("FN:Dora Edited") && r.body.contains(&format!("UID:{uid}")));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_a_client_writes_is_stored_in_clear() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    let secrets = [
        "Zebediah-Href-Secret",
        "zebediah.uid@example.org",
        "Zebediah Quillfeather",
        "X-Zebediah-Value",
        "Zebediah Book Name",
    ];
    let card = vcard(secrets[1], secrets[2], &format!("X-CUSTOM:{}\r\n", secrets[3]));
    assert_eq!(
        dav.put(&format!("{}.vcf", secrets[0]), &card, &[]).await.status,
        StatusCode::CREATED
    );
    let group = format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:zebediah-group\r\nFN:Zebediah Group\r\nKIND:group\r\nMEMBER:urn:uuid:{}\r\nEND:VCARD\r\n", secrets[1]);
    assert_eq!(dav.put("zebediah-group.vcf", &group, &[]).await.status, StatusCode::CREATED);
    let patch = format!(
        r#"<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>{}</d:displayname></d:prop></d:set></d:propertyupdate>"#,
        secrets[4]
    );
    assert!(dav.send("PROPPATCH", &dav.book(), &[], &patch).await.body.contains("200 OK"));
    assert!(dav.get(&format!("{}.vcf", secrets[0])).await.body.contains(secrets[3]));
    let mut bytes = Vec::new();
    for f in ["rolo.db", "rolo.db-wal"] {
        if let Ok(b) = std::fs::read(s.data_dir().join(f)) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty());
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    for secret in secrets.iter().chain(["Zebediah Group"].iter()) {
        assert!(!text.contains(&secret.to_lowercase()), "{secret:?} is in the database in clear");
    }
    s.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Replays of the requests real clients send on their first and incremental syncs (the
// properties and report shapes each client is known to ask for).
// ---------------------------------------------------------------------------------------------

const IOS_PRINCIPAL_PROPS: &str =
    "<card:addressbook-home-set/><card:directory-gateway/><d:displayname/><cs:email-address-set/>\
<d:principal-collection-set/><d:principal-URL/><d:resource-id/><d:supported-report-set/>";
const IOS_HOME_PROPS: &str = "<d:add-member/><d:current-user-privilege-set/><d:displayname/><cs:getctag/><card:max-image-size/>\
<card:max-resource-size/><cs:me-card/><cs:push-transports/><cs:pushkey/><d:quota-available-bytes/><d:quota-used-bytes/>\
<d:resource-id/><d:resourcetype/><d:supported-report-set/><d:sync-token/>";

async fn seed(s: &TestServer, account: domain::AccountId, n: usize) -> Vec<ContactId> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            s.store
                .create_contact(
                    account,
                    None,
                    &contact(&format!("Seed {i}"), "+1 555 0100", "seed@example.com"),
                    Origin::Console,
                )
                .await
                .unwrap()
                .id,
        );
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_ios_contacts() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let ids = seed(&s, alice.id, 5).await;
    let ios = Dav::new(&s, alice.id, "alice").await;
    let minimal = [
        ("Depth", "0"),
        ("Brief", "t"),
        ("Prefer", "return=minimal"),
        ("Content-Type", "text/xml"),
    ];
    let body = |props: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><A:propfind xmlns:A="DAV:" xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"><A:prop>{props}</A:prop></A:propfind>"#
        )
    };

    // Account setup: well-known, root, principal, home.
    let r = ios
        .send(
            "PROPFIND",
            "/.well-known/carddav",
            &minimal,
            &body("<d:current-user-principal/><d:principal-URL/><d:resourcetype/>"),
        )
        .await;
    assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY);
    let r = ios
        .send(
            "PROPFIND",
            r.header("location"),
            &minimal,
            &body("<d:current-user-principal/><d:principal-URL/><d:resourcetype/>"),
        )
        .await;
    assert_eq!(r.one("d:current-user-principal"), "<d:href>/dav/principals/alice/</d:href>");
    assert_eq!(
        ios.send("OPTIONS", "/dav/principals/alice/", &[], "").await.header("dav"),
        "1, 3, addressbook"
    );
    let r =
        ios.send("PROPFIND", "/dav/principals/alice/", &minimal, &body(IOS_PRINCIPAL_PROPS)).await;
    assert_eq!(r.one("card:addressbook-home-set"), "<d:href>/dav/addressbooks/alice/</d:href>");
    assert!(!r.body.contains("404"), "minimal answers leave unknown properties out: {}", r.body);
    let depth1 = [
        ("Depth", "1"),
        ("Brief", "t"),
        ("Prefer", "return=minimal"),
        ("Content-Type", "text/xml"),
    ];
    let r = ios.send("PROPFIND", "/dav/addressbooks/alice/", &depth1, &body(IOS_HOME_PROPS)).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    assert!(
        r.body.contains("<card:addressbook/>")
            && r.body.contains("<d:sync-collection/>")
            && r.body.contains("<d:write/>")
    );
    let token = r.one("d:sync-token");

    // First sync: sync-collection without a token, then a multiget of everything listed.
    let r = ios.sync("", None).await;
    let (live, _) = entries(&r);
    assert_eq!(live.len(), 5);
    assert_eq!(r.one("d:sync-token"), token);
    let hrefs: Vec<String> = live.iter().map(|(h, _)| h.clone()).collect();
    let r = ios
        .send(
            "REPORT",
            &ios.book(),
            &[("Depth", "1"), ("Content-Type", "text/xml")],
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><B:addressbook-multiget xmlns:B="urn:ietf:params:xml:ns:carddav"><A:prop xmlns:A="DAV:"><A:getetag/><B:address-data/></A:prop>{}</B:addressbook-multiget>"#,
                hrefs.iter().map(|h| format!("<A:href xmlns:A=\"DAV:\">{h}</A:href>")).collect::<String>()
            ),
        )
        .await;
    assert_eq!(r.all("card:address-data").len(), 5);
    assert!(r.all("card:address-data").iter().all(|c| c.contains("VERSION:3.0")));

    // Incremental: a new card from the phone (Apple's form: uppercase UUID, item-grouped label),
    // an edit in the console, then the phone's sync-collection with its token.
    let uid = "E1F2A3B4-C5D6-4E7F-8091-A2B3C4D5E6F7";
    let card = format!("BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iOS 18.1//EN\r\nN:Appleseed;Johnny;;;\r\nFN:Johnny Appleseed\r\nitem1.TEL:+1 555 0123\r\nitem1.X-ABLabel:_$!<Mobile>!$_\r\nUID:{uid}\r\nX-ABShowAs:PERSON\r\nEND:VCARD\r\n");
    let r = ios.put(&format!("{uid}.vcf"), &card, &[("If-None-Match", "*")]).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let c = s.store.get_contact(alice.id, ids[0]).await.unwrap();
    s.store
        .update_contact(
            alice.id,
            ids[0],
            c.revision,
            &contact("Seed 0 edited", "+1 555 0100", "seed@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    let r = ios.sync(&token, None).await;
    let (live, gone) = entries(&r);
    let mut changed: Vec<String> =
        live.iter().map(|(h, _)| h.rsplit('/').next().unwrap().to_string()).collect();
    changed.sort();
    let mut expected = vec![format!("{uid}.vcf"), format!("{}.vcf", ids[0])];
    expected.sort();
    assert_eq!(changed, expected);
    assert!(gone.is_empty());
    let served = ios.get(&format!("{uid}.vcf")).await;
    assert!(
        served.body.contains(&format!("UID:{uid}\r\n"))
            && served.body.contains("X-ABShowAs:PERSON"),
        "{}",
        served.body
    );
    assert!(
        served.body.contains("TEL;TYPE=CELL:+1 555 0123") || served.body.contains("+1 555 0123")
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_davx5() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let ids = seed(&s, alice.id, 230).await;
    let friends = s.store.create_group(alice.id, "Friends", Origin::Console).await.unwrap();
    s.store.set_membership(alice.id, friends.id, &ids[..3], true, Origin::Console).await.unwrap();
    let davx5 = Dav::new(&s, alice.id, "alice").await;

    // Service detection.
    let r = davx5.propfind("/.well-known/carddav", "0", "<d:current-user-principal/>").await;
    assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY);
    let r = davx5.propfind("/dav/", "0", "<d:resourcetype/><d:displayname/><d:current-user-principal/><card:addressbook-home-set/>").await;
    assert_eq!(r.one("d:current-user-principal"), "<d:href>/dav/principals/alice/</d:href>");
    let r = davx5.propfind("/dav/principals/alice/", "0", "<card:addressbook-home-set/>").await;
    assert_eq!(r.one("card:addressbook-home-set"), "<d:href>/dav/addressbooks/alice/</d:href>");
    let r = davx5
        .propfind("/dav/addressbooks/alice/", "1", "<d:resourcetype/><d:displayname/><d:owner/><d:current-user-privilege-set/><card:addressbook-description/><cs:source/>")
        .await;
    assert_eq!(r.all("d:href").iter().filter(|h| h.ends_with("/contacts/")).count(), 1);

    // Sync: collection properties, then sync-collection in pages of 100, then multiget.
    let r = davx5
        .propfind(
            &davx5.book(),
            "0",
            "<d:supported-report-set/><cs:getctag/><d:sync-token/><card:max-resource-size/>",
        )
        .await;
    assert!(r.body.contains("<d:sync-collection/>"));
    let davx5_sync = |token: String| {
        let d = &davx5;
        async move {
            let body = format!(
                r#"<?xml version='1.0' encoding='UTF-8' ?><sync-collection xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><sync-token>{token}</sync-token><sync-level>1</sync-level><limit><nresults>100</nresults></limit><prop><getetag /></prop></sync-collection>"#
            );
            d.send(
                "REPORT",
                &d.book(),
                &[("Depth", "0"), ("Content-Type", "application/xml; charset=utf-8")],
                &body,
            )
            .await
        }
    };
    let mut token = String::new();
    let mut hrefs = Vec::new();
    let mut rounds = 0;
    loop {
        let r = davx5_sync(token.clone()).await;
        assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.body);
        rounds += 1;
        hrefs.extend(entries(&r).0.into_iter().map(|(h, _)| h));
        token = r.one("d:sync-token");
        if !r.body.contains("507 Insufficient Storage") {
            break;
        }
    }
    assert_eq!(rounds, 3);
    // A resumed page may list a group again (its members changed since the token).
    hrefs.sort();
    hrefs.dedup();
    assert_eq!(hrefs.len(), 231);
    let mut cards = Vec::new();
    for batch in hrefs.chunks(100) {
        let body = format!(
            r#"<?xml version='1.0' encoding='UTF-8' ?><CARD:addressbook-multiget xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><prop><getcontenttype /><getetag /><CARD:address-data content-type="text/vcard" version="4.0" /></prop>{}</CARD:addressbook-multiget>"#,
            batch.iter().map(|h| format!("<href>{h}</href>")).collect::<String>()
        );
        let r = davx5
            .send(
                "REPORT",
                &davx5.book(),
                &[("Depth", "0"), ("Content-Type", "application/xml; charset=utf-8")],
                &body,
            )
            .await;
        cards.extend(r.all("card:address-data"));
    }
    assert_eq!(cards.len(), 231);
    let group =
        cards.iter().find(|c| c.contains("KIND:group")).expect("the group as a vCard 4 group");
    assert_eq!(group.matches("MEMBER:urn:uuid:").count(), 3);

    // Incremental: the phone adds a contact and a group naming it, the console deletes one.
    let uid = "4b0e5c52-6d0a-4c5e-9a8a-1f2e3d4c5b6a";
    let card = format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:New From Android\r\nEMAIL;TYPE=home:android@example.com\r\nX-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Andy;1;;;;;;;;;;;;;\r\nEND:VCARD\r\n");
    assert_eq!(
        davx5.put(&format!("{uid}.vcf"), &card, &[("If-None-Match", "*")]).await.status,
        StatusCode::CREATED
    );
    let gcard = format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:android-group-1\r\nFN:Android group\r\nKIND:group\r\nMEMBER:urn:uuid:{uid}\r\nEND:VCARD\r\n");
    assert_eq!(
        davx5.put("android-group-1.vcf", &gcard, &[("If-None-Match", "*")]).await.status,
        StatusCode::CREATED
    );
    s.store.delete_contact(alice.id, ids[10], 1, Origin::Console).await.unwrap();
    let r = davx5_sync(token.clone()).await;
    let (live, gone) = entries(&r);
    assert_eq!(gone, [format!("{}{}.vcf", davx5.book(), ids[10])]);
    assert!(live.iter().any(|(h, _)| h.ends_with(&format!("{uid}.vcf"))));
    assert!(live.iter().any(|(h, _)| h.ends_with("android-group-1.vcf")));
    let served = davx5.get(&format!("{uid}.vcf")).await.body;
    assert!(
        served.contains("X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Andy;1;"),
        "{served}"
    );
    let g = s
        .store
        .list_groups(alice.id)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.name == "Android group")
        .unwrap();
    let member = s.store.get_contact(alice.id, ContactId::parse(uid).unwrap()).await.unwrap();
    assert_eq!(member.data.groups, [g.id]);
    // Nothing more after that.
    let again = davx5_sync(r.one("d:sync-token")).await;
    assert_eq!(entries(&again), (vec![], vec![]));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_thunderbird_cardbook() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let ids = seed(&s, alice.id, 12).await;
    let cb = Dav::new(&s, alice.id, "alice").await;

    // CardBook checks the CTag, lists ETags with PROPFIND depth 1, and fetches with multiget.
    let ctag =
        cb.propfind(&cb.book(), "0", "<cs:getctag/><d:displayname/>").await.one("cs:getctag");
    async fn listing(cb: &Dav) -> Answer {
        cb.send("PROPFIND", &cb.book(), &[("Depth", "1"), ("Content-Type", "text/xml")], r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getcontenttype/><D:getetag/></D:prop></D:propfind>"#).await
    }
    let r = listing(&cb).await;
    let (live, _) = entries(&r);
    let cards: Vec<(String, String)> = live.into_iter().filter(|(h, _)| h != &cb.book()).collect();
    assert_eq!(cards.len(), 12);
    assert!(r.body.contains("<d:getcontenttype>text/vcard; charset=utf-8</d:getcontenttype>"));
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data content-type='text/vcard'/></D:prop>{}</C:addressbook-multiget>"#,
        cards.iter().map(|(h, _)| format!("<D:href>{h}</D:href>")).collect::<String>()
    );
    let r =
        cb.send("REPORT", &cb.book(), &[("Depth", "1"), ("Content-Type", "text/xml")], &body).await;
    assert_eq!(r.all("card:address-data").len(), 12);

    // An edit from Thunderbird (If-Match), then the incremental round: a new CTag, the changed
    // ETag in the listing.
    let (href, etag) = cards.iter().find(|(h, _)| h.contains(&ids[5].to_string())).unwrap().clone();
    let name = href.rsplit('/').next().unwrap().to_string();
    let mut text = cb.get(&name).await.body;
    text = text.replace("FN:Seed 5", "FN:Seed Five");
    let r = cb.put(&name, &text, &[("If-Match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let new_ctag = cb.propfind(&cb.book(), "0", "<cs:getctag/>").await.one("cs:getctag");
    assert_ne!(new_ctag, ctag);
    let (after, _) = entries(&listing(&cb).await);
    let changed: Vec<&(String, String)> =
        after.iter().filter(|e| !cards.contains(e) && e.0 != cb.book()).collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].0, href);
    assert_eq!(s.store.get_contact(alice.id, ids[5]).await.unwrap().data.display_name, "Seed Five");
    // A stale edit is refused rather than overwriting.
    assert_eq!(
        cb.put(&name, &text, &[("If-Match", &etag)]).await.status,
        StatusCode::PRECONDITION_FAILED
    );
    s.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// A real client: vdirsyncer (installed by scripts/dav-tools.sh) syncing a local vdir both ways.
// ---------------------------------------------------------------------------------------------

/// vdirsyncer, which `make test` installs (scripts/dav-tools.sh); a missing one fails the test.
fn vdirsyncer_bin() -> std::path::PathBuf {
    let p = std::env::var("ROLO_VDIRSYNCER")
        .ok()
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/rolo/tools/dav-venv/bin/vdirsyncer")
        });
    assert!(p.exists(), "vdirsyncer is not installed at {} (run `make test`, which installs it, or set ROLO_VDIRSYNCER)", p.display());
    p
}

fn run_vdirsyncer(bin: &std::path::Path, conf: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new(bin)
        .arg("-c")
        .arg(conf)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vdirsyncer {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn vdir_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vcf"))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vdirsyncer_syncs_a_vdir_both_ways() {
    let bin = vdirsyncer_bin();
    const N: usize = 1000;
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let dav = Dav::new(&s, alice.id, "alice").await;
    let items: Vec<_> = (0..N)
        .map(|i| {
            (None, contact(&format!("Person {i:04}"), "+1 555 0100", &format!("p{i}@example.com")))
        })
        .collect();
    s.store.create_contacts(alice.id, &items, Origin::Console).await.unwrap();
    let group = s.store.create_group(alice.id, "Club", Origin::Console).await.unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let vdir = tmp.path().join("vdir");
    std::fs::create_dir_all(&vdir).unwrap();
    let conf = tmp.path().join("config");
    std::fs::write(
        &conf,
        format!(
            "[general]\nstatus_path = \"{status}\"\n\n[pair rolo]\na = \"local\"\nb = \"remote\"\ncollections = null\nconflict_resolution = \"b wins\"\n\n\
             [storage local]\ntype = \"filesystem\"\npath = \"{vdir}\"\nfileext = \".vcf\"\n\n\
             [storage remote]\ntype = \"carddav\"\nurl = \"{url}{book}\"\nusername = \"alice\"\npassword = \"{token}\"\n",
            status = tmp.path().join("status").display(),
            vdir = vdir.display(),
            url = s.url,
            book = dav.book(),
            token = dav.token,
        ),
    )
    .unwrap();
    // vdirsyncer is a blocking program: run it off the runtime's worker threads.
    let sync = || {
        let (bin, conf) = (bin.clone(), conf.clone());
        async move {
            tokio::task::spawn_blocking(move || run_vdirsyncer(&bin, &conf, &["sync"]))
                .await
                .unwrap()
        }
    };
    {
        let (bin, conf) = (bin.clone(), conf.clone());
        tokio::task::spawn_blocking(move || run_vdirsyncer(&bin, &conf, &["discover"]))
            .await
            .unwrap();
    }

    // Server → vdir: the whole book (and the group card).
    let t = std::time::Instant::now();
    sync().await;
    let files = vdir_files(&vdir);
    assert_eq!(files.len(), N + 1, "first sync took {:?}", t.elapsed());
    eprintln!("vdirsyncer first sync of {N} contacts: {:?}", t.elapsed());

    // vdir → server: add 3, edit 1, delete 1.
    for i in 0..3 {
        let uid = format!("local-{i}");
        std::fs::write(
            vdir.join(format!("{uid}.vcf")),
            vcard(&uid, &format!("Local {i}"), "X-LOCAL-ONLY:yes\r\n"),
        )
        .unwrap();
    }
    let edit_path = files
        .iter()
        .find(|p| std::fs::read_to_string(p).unwrap().contains("FN:Person 0007"))
        .unwrap()
        .clone();
    let edited =
        std::fs::read_to_string(&edit_path).unwrap().replace("FN:Person 0007", "FN:Person Seven");
    std::fs::write(&edit_path, edited).unwrap();
    let gone_path = files
        .iter()
        .find(|p| std::fs::read_to_string(p).unwrap().contains("FN:Person 0008"))
        .unwrap()
        .clone();
    std::fs::remove_file(&gone_path).unwrap();
    sync().await;
    let listed = s.store.list_contacts(alice.id).await.unwrap();
    assert_eq!(listed.len(), N + 3 - 1);
    let names: std::collections::HashSet<String> =
        listed.iter().map(|c| c.data.display_name.clone()).collect();
    assert!(
        names.contains("Local 0") && names.contains("Local 2") && names.contains("Person Seven")
    );
    assert!(!names.contains("Person 0007") && !names.contains("Person 0008"));
    let local0 = listed.iter().find(|c| c.data.display_name == "Local 0").unwrap();
    assert!(local0.data.extra.iter().any(|x| x.value == "X-LOCAL-ONLY:yes"));

    // Server → vdir: add 2 (one into the group), edit 1, delete 1, in the console.
    let new1 = s
        .store
        .create_contact(
            alice.id,
            None,
            &contact("Server New", "+1 555 0111", "new@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    s.store
        .create_contact(
            alice.id,
            None,
            &contact("Server Newer", "+1 555 0112", "newer@example.com"),
            Origin::Console,
        )
        .await
        .unwrap();
    s.store.set_membership(alice.id, group.id, &[new1.id], true, Origin::Console).await.unwrap();
    let p9 = listed.iter().find(|c| c.data.display_name == "Person 0009").unwrap();
    let mut d = p9.data.clone();
    d.display_name = "Person Nine".into();
    s.store.update_contact(alice.id, p9.id, p9.revision, &d, Origin::Console).await.unwrap();
    let p10 = listed.iter().find(|c| c.data.display_name == "Person 0010").unwrap();
    s.store.delete_contact(alice.id, p10.id, p10.revision, Origin::Console).await.unwrap();
    sync().await;
    let texts: Vec<String> =
        vdir_files(&vdir).iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    assert_eq!(texts.len(), N + 3 - 1 + 2 - 1 + 1);
    assert!(
        texts.iter().any(|t| t.contains("FN:Server New\r\n"))
            && texts.iter().any(|t| t.contains("FN:Person Nine\r\n"))
    );
    assert!(!texts
        .iter()
        .any(|t| t.contains("FN:Person 0010\r\n") || t.contains("FN:Person 0009\r\n")));
    let club = texts.iter().find(|t| t.contains("FN:Club")).unwrap();
    assert!(club.contains(&format!("urn:uuid:{}", new1.id)), "{club}");

    // Nothing left to do: a further sync changes nothing on either side.
    let seq = s.store.current_seq(alice.id).await.unwrap();
    sync().await;
    assert_eq!(s.store.current_seq(alice.id).await.unwrap(), seq);
    assert_eq!(vdir_files(&vdir).len(), texts.len());
    s.shutdown().await;
}

fn privileges(a: &Answer) -> Vec<String> {
    let mut out = Vec::new();
    for p in ["read", "write", "write-content", "write-properties", "bind", "unbind"] {
        if a.body.contains(&format!("<d:{p}/>")) {
            out.push(p.to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_are_collections_and_shares_decide_what_a_client_may_do() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let bob = s.account("bob", "bob-password-12").await;
    let a = Dav::new(&s, alice.id, "alice").await;
    let b = Dav::new(&s, bob.id, "bob").await;

    // Extended MKCOL with a name and a description.
    let mk = r#"<?xml version="1.0" encoding="utf-8"?><d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype><d:displayname>Work &amp; Co</d:displayname><card:addressbook-description>Clients</card:addressbook-description></d:prop></d:set></d:mkcol>"#;
    let r = a
        .send("MKCOL", "/dav/addressbooks/alice/work/", &[("Content-Type", "application/xml")], mk)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let cal = mk
        .replace("<card:addressbook/>", "<x:calendar xmlns:x=\"urn:ietf:params:xml:ns:caldav\"/>");
    let r = a
        .send("MKCOL", "/dav/addressbooks/alice/cal/", &[("Content-Type", "application/xml")], &cal)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("valid-resourcetype"), "{}", r.body);
    // Bob cannot make books in Alice's home.
    assert_eq!(
        b.send("MKCOL", "/dav/addressbooks/alice/mine/", &[], "").await.status,
        StatusCode::FORBIDDEN
    );

    // The home lists both books with their names.
    let home = a
        .propfind(
            "/dav/addressbooks/alice/",
            "1",
            "<d:displayname/><d:resourcetype/><card:addressbook-description/>",
        )
        .await;
    assert!(home.body.contains("/dav/addressbooks/alice/contacts/"), "{}", home.body);
    assert!(home.body.contains("/dav/addressbooks/alice/work/"), "{}", home.body);
    assert!(home.body.contains("Work &amp; Co") && home.body.contains("Clients"), "{}", home.body);
    let work = a.at("work");
    assert_eq!(
        privileges(&work.propfind(&work.book(), "0", "<d:current-user-privilege-set/>").await),
        ["read", "write", "write-content", "write-properties", "bind", "unbind"]
    );

    // Cards in one book are not in the other.
    assert_eq!(
        work.put("w.vcf", &vcard("w-1", "Wendy Work", ""), &[]).await.status,
        StatusCode::CREATED
    );
    assert!(work.get("w.vcf").await.body.contains("FN:Wendy Work"));
    assert_eq!(a.get("w.vcf").await.status, StatusCode::NOT_FOUND);
    assert_eq!(entries(&a.sync("", None).await).0.len(), 0);
    assert_eq!(entries(&work.sync("", None).await).0.len(), 1);

    // Shared with Bob read-only: in his home at its id, readable, not writable.
    let id = s
        .store
        .books(alice.id)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.name == "Work & Co")
        .unwrap()
        .id;
    let scope = s.store.open_book(alice.id, id).await.unwrap();
    s.store.share_book(scope, &domain::Grantee::Account(bob.id), false).await.unwrap();
    let home = b.propfind("/dav/addressbooks/bob/", "1", "<d:displayname/><d:owner/>").await;
    let shared = format!("/dav/addressbooks/bob/{id}/");
    assert!(
        home.body.contains(&shared) && home.body.contains("/dav/principals/alice/"),
        "{}",
        home.body
    );
    let bw = b.at(&id.to_string());
    assert_eq!(
        privileges(&bw.propfind(&bw.book(), "0", "<d:current-user-privilege-set/>").await),
        ["read"]
    );
    assert!(bw.get("w.vcf").await.body.contains("FN:Wendy Work"));
    let r = bw.put("w.vcf", &vcard("w-1", "Bob was here", ""), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("need-privileges"), "{}", r.body);
    let r = bw.put("new.vcf", &vcard("b-1", "Bob New", ""), &[]).await;
    assert!(r.body.contains("need-privileges"), "{}", r.body);
    assert_eq!(
        bw.send("DELETE", &format!("{}w.vcf", bw.book()), &[], "").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(bw.send("DELETE", &bw.book(), &[], "").await.status, StatusCode::FORBIDDEN);
    let r = bw.send("PROPPATCH", &bw.book(), &[], r#"<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>Mine</d:displayname></d:prop></d:set></d:propertyupdate>"#).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(work.get("w.vcf").await.body.contains("FN:Wendy Work"));

    // Read-write: Bob's edit lands, and Alice's history says it was Bob.
    s.store.share_book(scope, &domain::Grantee::Account(bob.id), true).await.unwrap();
    assert_eq!(
        privileges(&bw.propfind(&bw.book(), "0", "<d:current-user-privilege-set/>").await),
        ["read", "write-content", "bind", "unbind"]
    );
    let etag = bw.get("w.vcf").await.etag();
    let r = bw.put("w.vcf", &vcard("w-1", "Wendy Edited", ""), &[("If-Match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(work.get("w.vcf").await.body.contains("FN:Wendy Edited"));
    let cid = s.store.all_contacts(scope).await.unwrap()[0].id;
    assert_eq!(s.store.history(scope, cid).await.unwrap()[0].actor_name.as_deref(), Some("bob"));

    // Withdrawn: gone from Bob's home and unreadable at once.
    s.store.unshare_book(scope, &domain::Grantee::Account(bob.id)).await.unwrap();
    assert!(!b
        .propfind("/dav/addressbooks/bob/", "1", "<d:displayname/>")
        .await
        .body
        .contains(&shared));
    assert_eq!(bw.get("w.vcf").await.status, StatusCode::NOT_FOUND);
    assert!(!bw.propfind(&bw.book(), "1", "<d:getetag/>").await.body.contains("w.vcf"));

    // The owner renames and describes it, then deletes it; the first book stays.
    let r = work.send("PROPPATCH", &work.book(), &[], r#"<d:propertyupdate xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:displayname>Work</d:displayname><card:addressbook-description>All clients</card:addressbook-description></d:prop></d:set></d:propertyupdate>"#).await;
    assert!(r.body.contains("200 OK"), "{}", r.body);
    assert_eq!(s.store.book(scope).await.unwrap().description, "All clients");
    assert_eq!(work.send("DELETE", &work.book(), &[], "").await.status, StatusCode::NO_CONTENT);
    assert!(!a
        .propfind("/dav/addressbooks/alice/", "1", "<d:displayname/>")
        .await
        .body
        .contains("/alice/work/"));
    assert_eq!(work.get("w.vcf").await.status, StatusCode::NOT_FOUND);
    let r = a.send("DELETE", &a.book(), &[], "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("first address book"), "{}", r.body);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_corners_a_conformance_suite_checks() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let a = Dav::new(&s, alice.id, "alice").await;
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\nN:Ann;;;;\r\nADR;TYPE=WORK:;;Main St 1;Springfield;;12345;USA\r\nTEL;TYPE=CELL:555\r\nTEL;TYPE=FAX:556\r\nEND:VCARD\r\n";
    assert_eq!(a.put("u1.vcf", card, &[]).await.status, StatusCode::CREATED);
    let xml = [("Depth", "1"), ("Content-Type", "application/xml")];
    let card_url = format!("{}u1.vcf", a.book());

    // Every response has a propstat or a status: an empty prop, and allprop in a multiget.
    let r = a
        .send(
            "PROPFIND",
            &card_url,
            &[("Depth", "0")],
            r#"<d:propfind xmlns:d="DAV:"><d:prop/></d:propfind>"#,
        )
        .await;
    assert!(
        r.body.contains("<d:propstat><d:prop/><d:status>HTTP/1.1 200 OK</d:status>"),
        "{}",
        r.body
    );
    let r = a.send("REPORT", &a.book(), &xml, &format!(r#"<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:allprop/><d:href>{card_url}</d:href></c:addressbook-multiget>"#)).await;
    assert!(r.body.contains("<d:getetag>"), "{}", r.body);

    // Queries: on ADR, with a TYPE param-filter, and on a card's own URL.
    let query = |filter: &str| {
        format!(
            r#"<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><c:filter>{filter}</c:filter></c:addressbook-query>"#
        )
    };
    let r = a.send("REPORT", &a.book(), &xml, &query(r#"<c:prop-filter name="ADR"><c:text-match>springfield</c:text-match></c:prop-filter>"#)).await;
    assert!(r.body.contains("u1.vcf"), "{}", r.body);
    let fax = query(
        r#"<c:prop-filter name="TEL" test="allof"><c:param-filter name="TYPE"><c:text-match match-type="equals">fax</c:text-match></c:param-filter><c:text-match>556</c:text-match></c:prop-filter>"#,
    );
    assert!(a.send("REPORT", &a.book(), &xml, &fax).await.body.contains("u1.vcf"));
    let not = fax.replace("556", "555");
    assert!(!a.send("REPORT", &a.book(), &xml, &not).await.body.contains("u1.vcf"));
    let r = a
        .send("REPORT", &card_url, &[("Depth", "0"), ("Content-Type", "application/xml")], &fax)
        .await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.body);
    assert!(r.body.contains("u1.vcf"), "{}", r.body);

    // An address-data type or version not served is refused, not ignored.
    let r = a.send("REPORT", &a.book(), &xml, &format!(r#"<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><c:address-data content-type="text/vcard" version="2.1"/></d:prop><d:href>{card_url}</d:href></c:addressbook-multiget>"#)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("supported-address-data"), "{}", r.body);
    let r = a.send("REPORT", &a.book(), &xml, &format!(r#"<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><c:address-data content-type="application/vcard+json"/></d:prop><d:href>{card_url}</d:href></c:addressbook-multiget>"#)).await;
    assert!(r.body.contains("supported-address-data"), "{}", r.body);

    // Depth: infinity is refused with the standard condition.
    let r = a.send("PROPFIND", &a.book(), &[("Depth", "infinity")], "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("propfind-finite-depth"), "{}", r.body);

    // The collections above the principal and the home answer, listing the account's own.
    let r = a.propfind("/dav/principals/", "1", "<d:resourcetype/>").await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    assert!(r.body.contains("/dav/principals/alice/"), "{}", r.body);
    let r = a.propfind("/dav/addressbooks/", "1", "<d:resourcetype/>").await;
    assert!(r.body.contains("/dav/addressbooks/alice/"), "{}", r.body);
    let r = a.propfind("/dav/addressbooks/alice/", "0", "<d:supported-report-set/>").await;
    assert!(r.body.contains("<d:supported-report-set") && r.body.contains("200 OK"), "{}", r.body);
    s.shutdown().await;
}
