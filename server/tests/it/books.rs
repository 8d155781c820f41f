//! Who may do what with a shared address book, through every way in: the owner, an account it
//! is shared with read-write, one it is shared with read-only, a member of a team it is shared
//! with (read-only), an administrator (not shared with: a personal book is not theirs) and a
//! stranger — against the console's server functions, the file endpoints (export, import), the
//! history and trash, `/api/v1` and CardDAV. Also on PostgreSQL.

use crate::common;

use common::{rpc, signed_in, TestServer};
use domain::{DeviceKind, Grantee, Origin, Username};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Owner,
    ReadWrite,
    ReadOnly,
    Team,
    Admin,
    Stranger,
}

impl Role {
    fn reads(self) -> bool {
        matches!(self, Role::Owner | Role::ReadWrite | Role::ReadOnly | Role::Team)
    }
    fn writes(self) -> bool {
        matches!(self, Role::Owner | Role::ReadWrite)
    }
}

async fn matrix(s: &TestServer) {
    let store = &s.store;
    let user = |n: &str| Username::parse(n).unwrap();
    let owner = s.account("olivia", "olivia-password-1").await;
    let rw = s.account("ravi", "ravi-password-12").await;
    let ro = s.account("rosa", "rosa-password-12").await;
    let member = s.account("tim", "tim-password-123").await;
    let admin = store.create_account(&user("root"), "root-password-1", true).await.unwrap();
    let stranger = s.account("sam", "sam-password-123").await;

    let book = store.create_book(owner.id, "Clients", "").await.unwrap();
    let scope = store.open_book(owner.id, book.id).await.unwrap();
    let data = domain::ContactDraft {
        given_name: "Carla".into(),
        family_name: "Client".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let c = store.create_contact(scope, None, &data, Origin::Console).await.unwrap();
    store.share_book(scope, &Grantee::Account(rw.id), true).await.unwrap();
    store.share_book(scope, &Grantee::Account(ro.id), false).await.unwrap();
    let team = store.create_team("Sales").await.unwrap();
    store.set_team_member(team.id, member.id, true).await.unwrap();
    store.share_book(scope, &Grantee::Team(team.id), false).await.unwrap();

    let roles = [
        (Role::Owner, "olivia", "olivia-password-1", owner.id),
        (Role::ReadWrite, "ravi", "ravi-password-12", rw.id),
        (Role::ReadOnly, "rosa", "rosa-password-12", ro.id),
        (Role::Team, "tim", "tim-password-123", member.id),
        (Role::Admin, "root", "root-password-1", admin.id),
        (Role::Stranger, "sam", "sam-password-123", stranger.id),
    ];
    let book_id = book.id.to_string();
    let cid = c.id.to_string();
    for (role, name, password, id) in roles {
        let why = format!("{role:?}");
        // The console.
        let web = signed_in(s, name, password).await;
        let (status, body) = rpc(&web, &s.url, "switch_book", &[("id", &book_id)]).await;
        assert_eq!(status.is_success(), role.reads(), "{why} switch_book: {status} {body}");
        let (_, books) = rpc(&web, &s.url, "my_books", &[]).await;
        assert_eq!(books.contains(&book_id), role.reads(), "{why}: {books}");
        let (status, body) = rpc(&web, &s.url, "get_contact", &[("id", &cid)]).await;
        assert_eq!(
            status.is_success() && body.contains("Carla"),
            role.reads(),
            "{why} get_contact: {body}"
        );
        let (status, body) = rpc(&web, &s.url, "contact_history", &[("id", &cid)]).await;
        assert_eq!(
            status.is_success() && body.contains("revision"),
            role.reads(),
            "{why} history: {body}"
        );
        let current = store.get_contact(scope, c.id).await.unwrap().revision.to_string();
        let (status, body) = rpc(
            &web,
            &s.url,
            "save_contact",
            &[
                ("id", cid.as_str()),
                ("revision", current.as_str()),
                ("contact[given_name]", "Carla"),
                ("contact[family_name]", name),
            ],
        )
        .await;
        assert_eq!(status.is_success(), role.writes(), "{why} save_contact: {body}");
        if role.reads() && !role.writes() {
            assert!(body.contains("read-only"), "{why}: {body}");
        }
        let (status, body) = rpc(&web, &s.url, "empty_trash", &[]).await;
        if role.reads() {
            assert_eq!(status.is_success(), role.writes(), "{why} empty_trash: {body}");
        }
        let (status, body) = rpc(
            &web,
            &s.url,
            "update_book",
            &[("id", &book_id), ("name", "Mine now"), ("description", "")],
        )
        .await;
        assert_eq!(status.is_success(), role == Role::Owner, "{why} update_book: {body}");
        let (status, body) = rpc(&web, &s.url, "book_shares", &[("id", &book_id)]).await;
        assert_eq!(status.is_success(), role == Role::Owner, "{why} book_shares: {body}");
        // Export of the book shown (their own first book when they may not read this one).
        let csv = web
            .get(format!("{}/console/export?format=csv", s.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(csv.contains("Carla"), role.reads(), "{why} export: {csv}");
        // Import into it.
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"Name,Phone\nNew Person,555 0100\n".to_vec())
                .file_name("x.csv"),
        );
        let r = web.post(format!("{}/console/import", s.url)).multipart(form).send().await.unwrap();
        if role.reads() {
            assert_eq!(
                r.status().is_success(),
                role.writes(),
                "{why} import: {:?}",
                r.text().await
            );
        }

        // /api/v1.
        let (_, token) = store.create_device(id, "phone", DeviceKind::Phone).await.unwrap();
        let api = reqwest::Client::new();
        let page: Value = api
            .get(format!("{}/api/v1/sync/changes", s.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let has = page["changes"].as_array().unwrap().iter().any(|ch| ch["id"] == cid.as_str());
        assert_eq!(has, role.reads(), "{why} /api/v1 download: {page}");
        let res: Value = api
            .post(format!("{}/api/v1/sync/upload", s.url))
            .bearer_auth(&token)
            .json(&json!({ "changes": [{ "id": uuid::Uuid::now_v7(), "op": "upsert", "book": book.id,
                "data": { "name": { "given": "From API" }, "display_name": format!("From API {name}") } }] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let created = res["results"][0]["status"] == "created";
        assert_eq!(created, role.writes(), "{why} /api/v1 upload: {res}");

        // CardDAV.
        let dav = |m: &str, path: String, body: &str| {
            let r = api
                .request(
                    reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
                    format!("{}{path}", s.url),
                )
                .basic_auth(name, Some(&token))
                .header("Content-Type", "text/vcard")
                .body(body.to_string());
            async move {
                let r = r.send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let base = format!("/dav/addressbooks/{name}/{book_id}/");
        let (status, body) = dav("GET", format!("{base}{cid}.vcf"), "").await;
        assert_eq!(
            status == StatusCode::OK && body.contains("Carla"),
            role.reads(),
            "{why} CardDAV GET: {status}"
        );
        let card = format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:dav-{name}\r\nFN:By {name}\r\nN:{name};;;;\r\nEND:VCARD\r\n");
        let (status, body) = dav("PUT", format!("{base}dav-{name}.vcf"), &card).await;
        assert_eq!(
            status == StatusCode::CREATED,
            role.writes(),
            "{why} CardDAV PUT: {status} {body}"
        );
        if role.reads() && !role.writes() {
            assert!(body.contains("need-privileges"), "{why}: {body}");
        }
        if !role.reads() {
            assert_eq!(status, StatusCode::NOT_FOUND, "{why}: a stranger learns nothing");
        }
    }
    // Every write above that was allowed is there, and only those.
    let names: Vec<String> = store
        .list_contacts(scope)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.data.display_name)
        .collect();
    for expected in ["From API olivia", "From API ravi", "By olivia", "By ravi"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    for refused in
        ["From API rosa", "From API tim", "From API root", "From API sam", "By rosa", "By sam"]
    {
        assert!(!names.iter().any(|n| n == refused), "{refused} got in: {names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_matrix_on_sqlite() {
    let s = TestServer::start().await;
    matrix(&s).await;
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_matrix_on_postgres() {
    let s = TestServer::start_postgres().await;
    matrix(&s).await;
    s.shutdown().await;
}
