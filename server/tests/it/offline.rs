//! Offline use, the server's side: the service worker it serves, and the device sync API letting
//! in a console browser by its session and its own `browser` device only — from this site,
//! never another account's device, a phone's, a revoked one, or a request without a session.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{self, TestServer};

const ANN: &str = "0190f5a4-3c1e-7cc2-9d1e-000000000c01";

/// An upload as the console's page sends it: the session cookie (in `c`), the device in
/// `X-Rolo-Device`, and the headers a browser adds to a same-site request (`site`).
async fn upload(
    c: &reqwest::Client,
    s: &TestServer,
    device: &str,
    site: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut req =
        c.post(format!("{}/api/v1/sync/upload", s.url)).header("x-rolo-device", device).json(body);
    if let Some(site) = site {
        req = req.header("sec-fetch-site", site);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// This browser's device, made through the console as the page does.
async fn browser_device(c: &reqwest::Client, s: &TestServer) -> String {
    let (status, body) = common::rpc(c, &s.url, "browser_device", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn ann(nickname: &str) -> Value {
    json!({ "changes": [{ "id": ANN, "op": "upsert",
        "data": { "name": { "given": "Ann" }, "nickname": nickname } }] })
}

#[tokio::test]
async fn a_console_browser_sends_its_offline_changes_as_its_own_device() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    s.account("bob", "bob-password-1").await;
    let console = common::signed_in(&s, "alice", "alice-password-1").await;
    let device = browser_device(&console, &s).await;
    let listed = s.store.devices(alice.id).await.unwrap();
    let made = listed.iter().find(|d| d.id.to_string() == device).expect("listed");
    assert_eq!(made.kind, domain::DeviceKind::Browser);

    // Sent from this site: accepted, and the history names the browser.
    let (status, r) = upload(&console, &s, &device, Some("same-origin"), &ann("one")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["results"][0]["status"], "created", "{r}");
    let id = domain::ContactId::parse(ANN).unwrap();
    let scope = store::Scope::from(alice.id);
    let c = s.store.get_contact(scope, id).await.unwrap();
    assert_eq!(c.data.nickname, "one");
    let history = s.store.history(scope, id).await.unwrap();
    assert!(
        matches!(history[0].origin, domain::Origin::Device(d) if d.to_string() == device),
        "{history:?}"
    );

    // Another site's page, or a request that does not say where it comes from: refused.
    for site in [Some("cross-site"), Some("same-site"), None] {
        let (status, r) = upload(&console, &s, &device, site, &ann("two")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{site:?}: {r}");
    }
    // Signed out (no session), or another account's session: refused.
    let (status, _) =
        upload(&common::client(), &s, &device, Some("same-origin"), &ann("two")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let bob = common::signed_in(&s, "bob", "bob-password-1").await;
    let (status, _) = upload(&bob, &s, &device, Some("same-origin"), &ann("two")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A device that is not a browser (a phone's, which has a token) cannot be named this way.
    let (phone, _token) =
        s.store.create_device(alice.id, "Phone", domain::DeviceKind::Phone).await.unwrap();
    let (status, _) =
        upload(&console, &s, &phone.id.to_string(), Some("same-origin"), &ann("two")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Revoked: refused from then on.
    s.store.revoke_device(alice.id, made.id).await.unwrap();
    let (status, _) = upload(&console, &s, &device, Some("same-origin"), &ann("two")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.store.get_contact(scope, id).await.unwrap().data.nickname, "one");

    // Signing out ends it too.
    let fresh = browser_device(&console, &s).await;
    let (status, _) = common::rpc(&console, &s.url, "logout", &[]).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (status, _) = upload(&console, &s, &fresh, Some("same-origin"), &ann("three")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = common::rpc(&console, &s.url, "browser_device", &[]).await;
    assert!(!status.is_success(), "a device for nobody: {status}");
}

#[tokio::test]
async fn the_service_worker_is_served_from_the_root_with_its_own_policy() {
    let s = TestServer::start().await;
    let r = common::client().get(format!("{}/sw.js", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(h["content-security-policy"], "default-src 'self'");
    assert_eq!(h["cache-control"], "no-store");
    let body = r.text().await.unwrap();
    assert!(!body.contains("__VERSION__") && !body.contains("__ASSETS__"), "filled in");
    assert!(body.contains("const ASSETS = ["), "{body}");
    assert!(body.contains("addEventListener(\"fetch\""), "{body}");
}
