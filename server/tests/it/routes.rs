//! The routers in process (`tower::ServiceExt::oneshot`, no TCP): the device API, CardDAV and the
//! console's file endpoints, each answering only the account whose credentials it was given.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use base64::Engine;
use domain::{ContactDraft, DeviceKind, Origin, Username};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common;

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let body = r.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(uri: &str, auth: (&str, &str)) -> Request<Body> {
    Request::get(uri).header(auth.0, auth.1).body(Body::empty()).unwrap()
}

fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

struct Two {
    app: Router,
    store: std::sync::Arc<store::Store>,
    alice: domain::AccountId,
    alice_contact: domain::ContactId,
    bob: domain::AccountId,
    _dir: tempfile::TempDir,
}

async fn two_accounts() -> Two {
    let (app, store, dir) = common::app().await;
    let alice = store
        .create_account(&Username::parse("alice").unwrap(), "alice-password-1", false)
        .await
        .unwrap()
        .id;
    let bob = store
        .create_account(&Username::parse("bob").unwrap(), "bob-password-22", false)
        .await
        .unwrap()
        .id;
    let data = ContactDraft { display_name: "Alice's Friend".into(), ..Default::default() }
        .parse()
        .unwrap();
    let alice_contact = store.create_contact(alice, None, &data, Origin::Console).await.unwrap().id;
    Two { app, store, alice, alice_contact, bob, _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_api_answers_a_token_for_its_own_account_only() {
    let t = two_accounts().await;
    let (_, alice_token) =
        t.store.create_device(t.alice, "Phone", DeviceKind::Phone).await.unwrap();
    let (_, bob_token) = t.store.create_device(t.bob, "Phone", DeviceKind::Phone).await.unwrap();
    let bearer = |tok: &str| format!("Bearer {tok}");
    let (status, body) =
        send(&t.app, get("/api/v1/sync/changes", ("authorization", &bearer(&alice_token)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Alice's Friend"), "{body}");
    let (status, body) =
        send(&t.app, get("/api/v1/sync/changes", ("authorization", &bearer(&bob_token)))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("Alice's Friend"), "{body}");
    let uri = format!("/api/v1/contacts/{}", t.alice_contact);
    assert_eq!(
        send(&t.app, get(&uri, ("authorization", &bearer(&alice_token)))).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&t.app, get(&uri, ("authorization", &bearer(&bob_token)))).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) =
        send(&t.app, get("/api/v1/sync/changes", ("authorization", "Bearer rolo_forged"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("\"error\""), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carddav_answers_a_device_for_its_own_account_only() {
    let t = two_accounts().await;
    let (_, alice_token) =
        t.store.create_device(t.alice, "Phone", DeviceKind::Phone).await.unwrap();
    let (_, bob_token) = t.store.create_device(t.bob, "Phone", DeviceKind::Phone).await.unwrap();
    let propfind = |path: &str, auth: String| {
        Request::builder()
            .method("PROPFIND")
            .uri(path)
            .header("depth", "1")
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .unwrap()
    };
    let book = "/dav/addressbooks/alice/contacts/";
    let (status, body) = send(&t.app, propfind(book, basic("alice", &alice_token))).await;
    assert_eq!(status.as_u16(), 207, "{body}");
    assert!(body.contains(&format!("{}.vcf", t.alice_contact)), "{body}");
    // Bob's token does not open Alice's book, under either name.
    let (status, body) = send(&t.app, propfind(book, basic("bob", &bob_token))).await;
    assert!(matches!(status.as_u16(), 403 | 404), "{status}: {body}");
    assert!(!body.contains(&t.alice_contact.to_string()));
    assert_eq!(
        send(&t.app, propfind(book, basic("alice", &bob_token))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let card = format!("{book}{}.vcf", t.alice_contact);
    let get_card = |auth: String| {
        Request::get(&card).header(header::AUTHORIZATION, auth).body(Body::empty()).unwrap()
    };
    assert_eq!(send(&t.app, get_card(basic("alice", &alice_token))).await.0, StatusCode::OK);
    assert!(matches!(send(&t.app, get_card(basic("bob", &bob_token))).await.0.as_u16(), 403 | 404));
}

/// A multipart body with one file.
fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "rolo-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_jobs_and_exports_belong_to_their_account() {
    let t = two_accounts().await;
    let session = |account| {
        let store = t.store.clone();
        async move {
            format!(
                "rolo_session={}",
                store.create_session(account, chrono::Duration::hours(1)).await.unwrap().token
            )
        }
    };
    let (alice, bob) = (session(t.alice).await, session(t.bob).await);
    let (content_type, body) =
        multipart("people.csv", b"Name,Phone\nImported Person,+1 555 0100\n");
    let req = Request::post("/console/import")
        .header(header::COOKIE, &alice)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let (status, body) = send(&t.app, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let job: serde_json::Value = serde_json::from_str(&body).unwrap();
    let job = job["job"].as_str().unwrap().to_string();
    let status_of = |cookie: &str| get(&format!("/console/import/{job}"), ("cookie", cookie));
    loop {
        let (status, body) = send(&t.app, status_of(&alice)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body.contains("\"done\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Another account's job does not exist for this one: neither its status nor its report.
    let (status, body) = send(&t.app, status_of(&bob)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let report =
        |cookie: &str| get(&format!("/console/import/{job}/report.csv"), ("cookie", cookie));
    assert_eq!(send(&t.app, report(&alice)).await.0, StatusCode::OK);
    assert_eq!(send(&t.app, report(&bob)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&t.app, get(&format!("/console/import/{job}"), ("cookie", "rolo_session=nope")))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // Exports: each account's own contacts.
    let (status, csv) = send(&t.app, get("/console/export?format=csv", ("cookie", &alice))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("Alice's Friend") && csv.contains("Imported Person"), "{csv}");
    let (_, csv) = send(&t.app, get("/console/export?format=csv", ("cookie", &bob))).await;
    assert!(!csv.contains("Alice's Friend") && !csv.contains("Imported Person"), "{csv}");
    // A selection naming another account's contact is refused, not filled in.
    let (status, body) = send(
        &t.app,
        get(&format!("/console/export?format=csv&ids={}", t.alice_contact), ("cookie", &bob)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
