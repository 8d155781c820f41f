//! The device sync API over real TCP: authentication, download and upload between devices and
//! the console, bad input, limits, isolation, and the OpenAPI document.

use crate::common;

use common::{raw_request, TestServer};
use domain::{ContactDraft, ContactId, DeviceKind, Grantee, LabeledDraft, Origin};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

pub(crate) struct Device {
    base: String,
    token: String,
    http: Client,
}

impl Device {
    pub(crate) async fn new(s: &TestServer, account: domain::AccountId, name: &str) -> Device {
        let (_, token) = s.store.create_device(account, name, DeviceKind::Pc).await.unwrap();
        Device { base: s.url.clone(), token, http: Client::new() }
    }
    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    pub(crate) async fn upload(&self, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1/sync/upload", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    /// Downloads everything after `cursor`, following pages.
    async fn download(&self, cursor: &str) -> (Vec<Value>, String) {
        let mut cursor = cursor.to_string();
        let mut all = Vec::new();
        loop {
            let (status, page) =
                self.get(&format!("/api/v1/sync/changes?limit=2&cursor={cursor}")).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            all.extend(page["changes"].as_array().unwrap().iter().cloned());
            cursor = page["cursor"].as_str().unwrap().to_string();
            if !page["more"].as_bool().unwrap() {
                return (all, cursor);
            }
        }
    }
}

fn contact(given: &str, phone: &str) -> Value {
    json!({ "name": { "given": given }, "display_name": given, "phones": [{ "label": "mobile", "value": phone }] })
}

const A: &str = "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f01";
const B: &str = "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f02";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_and_console_share_one_feed() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let laptop = Device::new(&s, alice.id, "Laptop").await;
    let phone = Device::new(&s, alice.id, "Phone").await;

    // The laptop adds two contacts (it chose their UUIDs).
    let (status, r) = laptop
        .upload(json!({ "changes": [
            { "id": A, "op": "upsert", "data": contact("Ann", "111") },
            { "id": B, "op": "upsert", "data": contact("Bob", "222") }
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["results"][0]["status"], "created");
    assert_eq!(r["results"][1]["revision"], 1);

    // The phone gets them.
    let (changes, phone_cursor) = phone.download("").await;
    let ids: Vec<&str> = changes.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![A, B]);
    assert_eq!(changes[0]["op"], "upsert");
    assert_eq!(changes[0]["data"]["phones"][0]["value"], "111");

    // The phone edits Ann; the console deletes Bob and adds Cem.
    let (_, r) = phone.upload(json!({ "changes": [{ "id": A, "op": "upsert", "base_revision": 1, "data": contact("Ann", "112") }]})).await;
    assert_eq!(r["results"][0]["status"], "updated");
    let bob = domain::ContactId::parse(B).unwrap();
    s.store.delete_contact(alice.id, bob, 1, Origin::Console).await.unwrap();
    let cem = ContactDraft {
        given_name: "Cem".into(),
        phones: vec![LabeledDraft { label: "work".into(), value: "333".into() }],
        ..Default::default()
    };
    let cem = s
        .store
        .create_contact(alice.id, None, &cem.parse().unwrap(), Origin::Console)
        .await
        .unwrap();

    // The laptop downloads from the start once, then incrementally.
    let (_, laptop_cursor) = laptop.download("").await;
    let (nothing, same) = laptop.download(&laptop_cursor).await;
    assert!(nothing.is_empty());
    assert_eq!(same, laptop_cursor, "no change: the same cursor");
    // The phone, from its cursor: Ann's edit (its own), Bob's deletion, Cem.
    let (changes, _) = phone.download(&phone_cursor).await;
    let seen: Vec<(String, String)> = changes
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["op"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (A.into(), "upsert".into()),
            (B.into(), "delete".into()),
            (cem.id.to_string(), "upsert".into())
        ]
    );

    // Single contact and status.
    let (status, c) = laptop.get(&format!("/api/v1/contacts/{A}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (c["revision"].as_i64(), c["data"]["phones"][0]["value"].as_str()),
        (Some(2), Some("112"))
    );
    let (_, st) = laptop.get("/api/v1/sync/status").await;
    assert_eq!(st["contacts"], 2);
    assert_eq!(st["device"]["name"], "Laptop");

    // The server records each device's syncs, and the history names the device.
    let devices = s.store.devices(alice.id).await.unwrap();
    let p = devices.iter().find(|d| d.name == "Phone").unwrap();
    assert!(p.last_sync_at.is_some() && p.last_cursor.is_some());
    assert_eq!(p.changes_received, 1);
    assert!(p.changes_sent >= 5);
    assert_eq!(p.last_addr.as_deref(), Some("127.0.0.1"));
    let h = s.store.history(alice.id, domain::ContactId::parse(A).unwrap()).await.unwrap();
    assert_eq!(h[0].origin, Origin::Device(p.id));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_revocation_and_isolation() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let bob = s.account("bob", "bob-password-22").await;
    let a = Device::new(&s, alice.id, "A").await;
    let b = Device::new(&s, bob.id, "B").await;
    a.upload(json!({ "changes": [{ "id": A, "op": "upsert", "data": contact("Ann", "111") }]}))
        .await;

    // Bob's device sees nothing of Alice's, even by id, and cannot change it.
    let (changes, _) = b.download("").await;
    assert!(changes.is_empty());
    let (status, body) = b.get(&format!("/api/v1/contacts/{A}")).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (_, r) =
        b.upload(json!({ "changes": [{ "id": A, "op": "delete", "base_revision": 1 }]})).await;
    assert_eq!(r["results"][0]["status"], "unchanged");
    let (status, _) = a.get(&format!("/api/v1/contacts/{A}")).await;
    assert_eq!(status, StatusCode::OK, "Alice's contact is intact");

    // No token, a wrong one, a revoked one: 401 with a JSON error.
    let http = Client::new();
    let r = http.get(format!("{}/api/v1/sync/changes", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized");
    let r = http
        .get(format!("{}/api/v1/sync/status", s.url))
        .bearer_auth("rolo_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let dev = s.store.devices(alice.id).await.unwrap()[0].id;
    s.store.revoke_device(alice.id, dev).await.unwrap();
    let (status, _) = a.get("/api/v1/sync/status").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_name_the_problem() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let d = Device::new(&s, alice.id, "D").await;

    let (status, e) = d.upload(json!({ "changes": [{ "id": "not-a-uuid", "op": "upsert" }]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["message"].as_str().unwrap().contains("changes[0].id"), "{e}");
    let (status, e) =
        d.upload(json!({ "changes": [{ "id": A, "op": "upsert", "colour": "red" }]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["message"].as_str().unwrap().contains("unknown field"), "{e}");
    let (status, e) =
        d.upload(json!({ "changes": [{ "id": A, "op": "upsert", "base_revision": "one" }]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["message"].as_str().unwrap().contains("base_revision"), "{e}");
    let r = d
        .http
        .post(format!("{}/api/v1/sync/upload", s.url))
        .bearer_auth(&d.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Per-item problems reject the item only.
    let (status, r) = d
        .upload(json!({ "changes": [
            { "id": A, "op": "upsert", "data": { "emails": [{ "label": "home", "value": "nobody" }] } },
            { "id": B, "op": "upsert", "data": contact("Bob", "222") },
            { "id": A, "op": "delete" }
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["results"][0]["status"], "rejected");
    assert!(r["results"][0]["reason"].as_str().unwrap().contains("data.emails[0].value"), "{r}");
    assert_eq!(r["results"][1]["status"], "created");
    assert_eq!(r["results"][2]["status"], "rejected");

    // Limits.
    let many: Vec<Value> = (0..1001).map(|i| json!({ "id": format!("0190f5a4-3c1e-7cc2-9d1e-{i:012}"), "op": "delete", "base_revision": 1 })).collect();
    let (status, e) = d.upload(json!({ "changes": many })).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    // An announced body over the limit is refused before it is read.
    let head = raw_request(
        &s.url,
        &format!(
            "POST /api/v1/sync/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            d.token,
            device_api::MAX_BODY + 1
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let (status, _) = d.get("/api/v1/sync/changes?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, e) = d.get("/api/v1/sync/changes?cursor=v1.999").await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::GONE, Some("cursor_invalid")));
    let (status, e) = d.get("/api/v1/sync/changes?cursor=garbage").await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::GONE, Some("cursor_invalid")));
    let (status, e) = d.get("/api/v1/contacts/xyz").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["message"].as_str().unwrap().starts_with("id:"), "{e}");
    let (status, _) = d.get("/api/v1/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_and_docs_page() {
    let s = TestServer::start().await;
    let http = Client::new();
    let doc: Value = http
        .get(format!("{}/api/v1/openapi.json", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/api/v1/sync/changes",
        "/api/v1/sync/upload",
        "/api/v1/sync/status",
        "/api/v1/contacts/{id}",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
    assert!(doc["components"]["schemas"]["UploadItem"].is_object());
    let html =
        http.get(format!("{}/api/v1/docs", s.url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Conflicts never lose an edit") && html.contains("/api/v1/sync/upload"));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_and_membership_travel_in_the_feed() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let d = Device::new(&s, alice.id, "D").await;
    let g = "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5fa0";
    let mut ann = contact("Ann", "111");
    ann["groups"] = json!([g]);
    let (_, r) = d
        .upload(json!({ "changes": [
            { "kind": "group", "id": g, "op": "upsert", "data": { "name": "Family" } },
            { "id": A, "op": "upsert", "data": ann }
        ]}))
        .await;
    assert_eq!(r["results"][0]["status"], "created", "{r}");
    assert_eq!(r["results"][1]["status"], "created", "{r}");
    let (_, groups) = d.get("/api/v1/groups").await;
    assert_eq!(groups[0]["name"], "Family");

    let other = Device::new(&s, alice.id, "Other").await;
    let (changes, cursor) = other.download("").await;
    assert_eq!(changes[0]["kind"], "group");
    assert_eq!(changes[0]["data"]["name"], "Family");
    assert_eq!(changes[1]["data"]["groups"][0], g);

    // Deleting the group on the console: the contact leaves it, the group's tombstone follows.
    let gid = domain::GroupId::parse(g).unwrap();
    s.store.delete_group(alice.id, gid, 1, Origin::Console).await.unwrap();
    let (changes, _) = other.download(&cursor).await;
    let seen: Vec<(&str, &str)> =
        changes.iter().map(|c| (c["kind"].as_str().unwrap(), c["op"].as_str().unwrap())).collect();
    assert_eq!(seen, vec![("contact", "upsert"), ("group", "delete")]);
    assert!(changes[0]["data"].get("groups").is_none());
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_covers_every_readable_book_and_shares_decide_uploads() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let bob = s.account("bob", "bob-password-12").await;
    let phone = Device::new(&s, bob.id, "Bob's phone").await;
    let own = contact_data("Own");
    s.store.create_contact(bob.id, None, &own, Origin::Console).await.unwrap();
    let work = s.store.create_book(alice.id, "Work", "").await.unwrap();
    let w = s.store.open_book(alice.id, work.id).await.unwrap();
    for n in ["Wendy", "Walter", "Wes"] {
        s.store.create_contact(w, None, &contact_data(n), Origin::Console).await.unwrap();
    }
    let ro = s.store.create_book(alice.id, "Read only", "").await.unwrap();
    let r = s.store.open_book(alice.id, ro.id).await.unwrap();
    s.store.create_contact(r, None, &contact_data("Rita"), Origin::Console).await.unwrap();

    // Before any share: bob's own book only, its changes without a book.
    let (changes, cursor) = phone.download("").await;
    assert_eq!(changes.len(), 1);
    assert!(changes[0].get("book").is_none(), "{}", changes[0]);
    let (_, books) = phone.get("/api/v1/books").await;
    assert_eq!(books.as_array().unwrap().len(), 1);

    // Shared: the next download (same cursor) brings the whole shared books, marked.
    s.store.share_book(w, &Grantee::Account(bob.id), true).await.unwrap();
    s.store.share_book(r, &Grantee::Account(bob.id), false).await.unwrap();
    let (changes, cursor) = phone.download(&cursor).await;
    assert_eq!(changes.len(), 4, "{changes:?}");
    let work_id = work.id.to_string();
    assert_eq!(changes.iter().filter(|c| c["book"] == work_id.as_str()).count(), 3);
    let (_, page) = phone.get(&format!("/api/v1/sync/changes?cursor={cursor}")).await;
    let listed: Vec<&str> =
        page["books"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(page["changes"].as_array().unwrap().is_empty());

    // Uploads go to the book they name: a read-write one takes them, a read-only one refuses.
    let (status, res) = phone
        .upload(json!({ "changes": [
            { "id": A, "op": "upsert", "book": work.id, "data": contact("Bob's addition", "555 0101") },
            { "id": B, "op": "upsert", "book": ro.id, "data": contact("Not allowed", "555 0102") },
            { "id": "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f03", "op": "upsert", "data": contact("Mine", "555 0103") }
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["results"][0]["status"], "created", "{res}");
    assert_eq!(res["results"][1]["status"], "rejected", "{res}");
    assert!(res["results"][1]["reason"].as_str().unwrap().contains("read-only"), "{res}");
    assert_eq!(res["results"][2]["status"], "created", "{res}");
    assert_eq!(s.store.count_contacts(w).await.unwrap(), 4);
    assert_eq!(s.store.count_contacts(r).await.unwrap(), 1);
    assert_eq!(s.store.count_contacts(bob.id).await.unwrap(), 2);
    let a = ContactId::parse(A).unwrap();
    assert_eq!(s.store.history(w, a).await.unwrap()[0].actor_name.as_deref(), Some("bob"));

    // Withdrawn: gone from the list at once, and uploads to it are refused.
    s.store.unshare_book(w, &Grantee::Account(bob.id)).await.unwrap();
    let (_, page) = phone.get(&format!("/api/v1/sync/changes?cursor={cursor}")).await;
    assert!(
        page["books"].as_array().unwrap().iter().all(|b| b["id"] != work_id.as_str()),
        "{page}"
    );
    let (_, res) = phone
        .upload(json!({ "changes": [{ "id": A, "op": "delete", "book": work.id, "base_revision": 1 }] }))
        .await;
    assert_eq!(res["results"][0]["status"], "rejected", "{res}");
    // A cursor from before books (v1) still reads the first book.
    let (status, page) = phone.get("/api/v1/sync/changes?cursor=v1.0").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    s.shutdown().await;
}

fn contact_data(given: &str) -> domain::ContactData {
    ContactDraft { given_name: given.into(), ..Default::default() }.parse().unwrap()
}

/// Behind a trusted proxy, the client is the address `X-Forwarded-For` names; from anyone
/// else the header is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_only_from_trusted_proxies() {
    async fn last_addr(s: &TestServer, header: &str) -> Option<String> {
        let alice = s
            .store
            .create_account(&domain::Username::parse("alice").unwrap(), "alice-password-1", false)
            .await
            .unwrap();
        let (d, token) = s.store.create_device(alice.id, "Phone", DeviceKind::Phone).await.unwrap();
        let r = Client::new()
            .get(format!("{}/api/v1/sync/changes", s.url))
            .bearer_auth(&token)
            .header("x-forwarded-for", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        s.store.device(alice.id, d.id).await.unwrap().last_addr
    }
    let proxied = TestServer::start_configured(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    // The client's own address, past the proxies (a client may write anything before it).
    assert_eq!(last_addr(&proxied, "10.9.9.9, 203.0.113.7").await.as_deref(), Some("203.0.113.7"));
    proxied.shutdown().await;
    let direct = TestServer::start().await;
    assert_eq!(last_addr(&direct, "203.0.113.7").await.as_deref(), Some("127.0.0.1"));
    direct.shutdown().await;
}
