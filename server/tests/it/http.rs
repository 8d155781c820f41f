//! The server over real TCP: health, sessions, throttling, limits, and account isolation through
//! every server function.

use crate::common;

use common::{client, rpc, signed_in, TestServer};
use reqwest::StatusCode;
use server::web;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_first_page() {
    let s = TestServer::start().await;
    let c = client();
    let r = c.get(format!("{}/healthz", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(format!("{}/readyz", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Every answer names its request: a new id, or the client's own when it is a plain one.
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(r.text().await.unwrap(), "ready\n");
    let r =
        c.get(format!("{}/healthz", s.url)).header("x-request-id", "lb-42").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "lb-42");
    let r = c
        .get(format!("{}/healthz", s.url))
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "<script>");
    // Signed out: the console sends the browser to the sign-in page.
    let r = c.get(format!("{}/", s.url)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "{:?}", r.headers());
    assert_eq!(r.headers()["location"], "/login");
    let r = c.get(format!("{}/login", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Sign in") && html.contains("/pkg/rolo.js"), "{html}");
    let r = c.get(format!("{}/no/such/page", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sets_a_safe_cookie_and_logout_ends_the_session() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    let c = client();
    let r = c
        .post(format!("{}/rpc/login", s.url))
        .header("accept", "application/json")
        .form(&[("username", "Alice"), ("password", "alice-password-1")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("rolo_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let (_, me) = rpc(&c, &s.url, "whoami", &[]).await;
    assert!(me.contains("\"username\":\"alice\""), "{me}");
    rpc(&c, &s.url, "logout", &[]).await;
    let (_, me) = rpc(&c, &s.url, "whoami", &[]).await;
    assert_eq!(me, "null");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_isolated_through_every_server_function() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    s.account("bob", "bob-password-22").await;
    let alice = signed_in(&s, "alice", "alice-password-1").await;
    let bob = signed_in(&s, "bob", "bob-password-22").await;

    let (status, id) = rpc(
        &alice,
        &s.url,
        "save_contact",
        &[
            ("contact[given_name]", "Secret"),
            ("contact[family_name]", "Friend"),
            ("contact[phones][0][value]", "555 0100"),
        ],
    )
    .await;
    assert!(status.is_success(), "{id}");
    let id: String = serde_json::from_str(&id).unwrap();
    let (_, got) = rpc(&alice, &s.url, "get_contact", &[("id", &id)]).await;
    assert!(got.contains("Secret Friend"), "{got}");

    // Bob: not in his list, not readable, not writable, not deletable.
    let (_, list) = rpc(&bob, &s.url, "list_contacts", &[]).await;
    assert_eq!(list, "[]");
    let (status, body) = rpc(&bob, &s.url, "get_contact", &[("id", &id)]).await;
    assert!(!status.is_success() && body.contains("NotFound"), "{status} {body}");
    let (status, body) = rpc(
        &bob,
        &s.url,
        "save_contact",
        &[("id", &id), ("revision", "1"), ("contact[given_name]", "Hijacked")],
    )
    .await;
    assert!(!status.is_success() && body.contains("NotFound"), "{status} {body}");
    let (status, body) =
        rpc(&bob, &s.url, "delete_contact", &[("id", &id), ("revision", "1")]).await;
    assert!(!status.is_success() && body.contains("NotFound"), "{status} {body}");

    // Signed out: nothing at all.
    let anon = client();
    for (name, form) in [
        ("list_contacts", vec![]),
        ("get_contact", vec![("id", id.as_str())]),
        ("delete_contact", vec![("id", id.as_str()), ("revision", "1")]),
        ("save_contact", vec![("contact[given_name]", "X")]),
    ] {
        let (status, body) = rpc(&anon, &s.url, name, &form).await;
        assert!(!status.is_success() && body.contains("NotSignedIn"), "{name}: {status} {body}");
    }

    // Alice's contact is intact.
    let (_, got) = rpc(&alice, &s.url, "get_contact", &[("id", &id)]).await;
    assert!(got.contains("Secret Friend") && got.contains("\"revision\":1"), "{got}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_errors() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    let alice = signed_in(&s, "alice", "alice-password-1").await;

    let (_, body) = rpc(&alice, &s.url, "get_contact", &[("id", "not-a-uuid")]).await;
    assert!(body.contains("not a valid id"), "{body}");
    let (_, body) =
        rpc(&alice, &s.url, "save_contact", &[("contact[emails][0][value]", "nobody-at-example")])
            .await;
    assert!(body.contains("emails[0].value") && body.contains("@"), "{body}");
    let (_, body) =
        rpc(&alice, &s.url, "delete_contact", &[("id", "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60")])
            .await;
    assert!(body.contains("BadRequest"), "missing revision: {body}");

    // Stale edit: refused, not silently overwritten.
    let (_, id) = rpc(&alice, &s.url, "save_contact", &[("contact[given_name]", "Original")]).await;
    let id: String = serde_json::from_str(&id).unwrap();
    rpc(
        &alice,
        &s.url,
        "save_contact",
        &[("id", &id), ("revision", "1"), ("contact[given_name]", "First")],
    )
    .await;
    let (_, body) = rpc(
        &alice,
        &s.url,
        "save_contact",
        &[("id", &id), ("revision", "1"), ("contact[given_name]", "Second")],
    )
    .await;
    assert!(body.contains("Conflict") && body.contains("changed elsewhere"), "{body}");

    // An announced body over the limit is refused before it is read (a client that sends the
    // body anyway may see the connection closed before it finishes writing).
    let head = common::raw_request(
        &s.url,
        &format!(
            "POST /rpc/save_contact HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            web::MAX_BODY + 10
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    // A cross-site form post is refused.
    let r = alice
        .post(format!("{}/rpc/delete_contact", s.url))
        .header("origin", "https://evil.example")
        .form(&[("id", id.as_str()), ("revision", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, got) = rpc(&alice, &s.url, "get_contact", &[("id", &id)]).await;
    assert!(got.contains("First"), "{got}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_is_for_administrators_and_shows_no_contacts() {
    let s = TestServer::start().await;
    let admin = s
        .store
        .create_account(&domain::Username::parse("root").unwrap(), "root-password-1", true)
        .await
        .unwrap();
    let bob = s.account("bob", "bob-password-22").await;
    let bob_c = signed_in(&s, "bob", "bob-password-22").await;
    rpc(
        &bob_c,
        &s.url,
        "save_contact",
        &[("contact[given_name]", "Secret"), ("contact[family_name]", "Friend")],
    )
    .await;
    for (name, form) in [
        ("admin_accounts", vec![]),
        (
            "admin_set_disabled",
            vec![("id", admin.id.to_string()), ("disabled", "true".to_string())],
        ),
        ("admin_set_admin", vec![("id", bob.id.to_string()), ("is_admin", "true".to_string())]),
        (
            "admin_reset_password",
            vec![("id", admin.id.to_string()), ("password", "taken-over-1".to_string())],
        ),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = rpc(&bob_c, &s.url, name, &form).await;
        assert!(!status.is_success() && body.contains("Forbidden"), "{name}: {status} {body}");
    }
    let root = signed_in(&s, "root", "root-password-1").await;
    let (_, body) = rpc(&root, &s.url, "admin_accounts", &[]).await;
    assert!(body.contains("\"contacts\":1") && body.contains("bob"), "{body}");
    assert!(!body.contains("Secret"), "the admin page never carries contact data: {body}");
    // An administrator cannot lock themself out.
    let (_, body) = rpc(
        &root,
        &s.url,
        "admin_set_disabled",
        &[("id", &admin.id.to_string()), ("disabled", "true")],
    )
    .await;
    assert!(body.contains("cannot disable your own account"), "{body}");
    s.shutdown().await;
}

/// `/readyz` says not ready while the database lacks a migration this build needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_without_every_migration() {
    let s = TestServer::start_postgres().await;
    let c = client();
    assert_eq!(c.get(format!("{}/readyz", s.url)).send().await.unwrap().status(), StatusCode::OK);
    let base = std::env::var("ROLO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = s.database_url().rsplit("search_path%3D").next().unwrap().to_string();
    let out = std::process::Command::new("psql")
        .args(["-q", "-X", "-d", &base, "-c", &format!(
            "DELETE FROM {schema}._sqlx_migrations WHERE version = (SELECT MAX(version) FROM {schema}._sqlx_migrations)"
        )])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = c.get(format!("{}/readyz", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().await.unwrap().contains("this build needs"));
    // Alive all the same.
    assert_eq!(c.get(format!("{}/healthz", s.url)).send().await.unwrap().status(), StatusCode::OK);
    s.shutdown().await;
}
