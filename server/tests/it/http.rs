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

/// The console's files: named by a hash of their content and kept by browsers for good, sent
/// precompressed as the browser accepts; pages name the current files and are never cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_files_are_hashed_precompressed_and_cached_for_good() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("hash.txt"),
        "js: 0123456789abcdef\nwasm: fedcba9876543210\ncss: 00112233445566aa\n",
    )
    .unwrap();
    let wasm = pkg.join("rolo.fedcba9876543210.wasm");
    std::fs::write(&wasm, b"\0asm\x01\0\0\0plain").unwrap();
    std::fs::write(pkg.join("rolo.fedcba9876543210.wasm.br"), b"brotli-bytes").unwrap();
    std::fs::write(pkg.join("rolo.fedcba9876543210.wasm.gz"), b"gzip-bytes").unwrap();
    std::fs::write(pkg.join("rolo.0123456789abcdef.js"), "export default 1").unwrap();
    std::fs::write(pkg.join("rolo.00112233445566aa.css"), "body{}").unwrap();
    // The parts loaded on demand and their loader: named by content too.
    std::fs::write(pkg.join("split_settings_part_1.aaaabbbbccccdddd.wasm"), b"\0asm\x01\0\0\0")
        .unwrap();
    std::fs::write(pkg.join("split_settings_part_1.aaaabbbbccccdddd.wasm.gz"), b"gz").unwrap();
    std::fs::write(pkg.join("chunk_3.1111222233334444.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(pkg.join("__wasm_split.0123456789abcdef.js"), "export {}").unwrap();
    std::fs::write(pkg.join("__wasm_split_manifest.5555666677778888.json"), "{}").unwrap();
    let root = site.path().to_path_buf();
    let s = TestServer::start_configured(move |c| c.site_root = root).await;
    let c = client();

    let r = c.get(format!("{}/login", s.url)).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    for name in [
        "/pkg/rolo.0123456789abcdef.js",
        "/pkg/rolo.fedcba9876543210.wasm",
        "/pkg/rolo.00112233445566aa.css",
    ] {
        assert!(html.contains(name), "{name} in {html}");
    }
    assert!(!html.contains("/pkg/rolo.css") && !html.contains("rolo_bg"), "{html}");

    let get = |enc: Option<&'static str>| {
        let mut rq = c.get(format!("{}/pkg/rolo.fedcba9876543210.wasm", s.url));
        if let Some(e) = enc {
            rq = rq.header("accept-encoding", e);
        }
        rq.send()
    };
    for (enc, body, coding) in [
        (Some("gzip, deflate, br, zstd"), &b"brotli-bytes"[..], Some("br")),
        (Some("gzip"), &b"gzip-bytes"[..], Some("gzip")),
        (None, &b"\0asm\x01\0\0\0plain"[..], None),
    ] {
        let r = get(enc).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{enc:?}");
        assert_eq!(r.headers()["content-type"], "application/wasm", "{enc:?}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(r.headers().get("content-encoding").map(|v| v.to_str().unwrap()), coding);
        assert!(r.headers()["vary"].to_str().unwrap().contains("accept-encoding"), "{enc:?}");
        assert_eq!(&r.bytes().await.unwrap()[..], body, "{enc:?}");
    }
    let r = c.get(format!("{}/pkg/rolo.0123456789abcdef.js", s.url)).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    for (name, enc) in [
        ("split_settings_part_1.aaaabbbbccccdddd.wasm", "gzip"),
        ("chunk_3.1111222233334444.wasm", "gzip"),
        ("__wasm_split.0123456789abcdef.js", "identity"),
    ] {
        let r = c
            .get(format!("{}/pkg/{name}", s.url))
            .header("accept-encoding", enc)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable", "{name}");
    }
    // The service worker keeps every file of the console for offline use: the parts loaded on
    // demand too (a contact's page is one), not the compressed copies nor the lists of names.
    let sw = c.get(format!("{}/sw.js", s.url)).send().await.unwrap().text().await.unwrap();
    let assets = sw.lines().find(|l| l.starts_with("const ASSETS = ")).unwrap();
    assert_eq!(
        assets,
        "const ASSETS = [\"/pkg/__wasm_split.0123456789abcdef.js\",\"/pkg/chunk_3.1111222233334444.wasm\",\
         \"/pkg/rolo.00112233445566aa.css\",\"/pkg/rolo.0123456789abcdef.js\",\
         \"/pkg/rolo.fedcba9876543210.wasm\",\
         \"/pkg/split_settings_part_1.aaaabbbbccccdddd.wasm\"];"
    );
    // A name without a hash may change: browsers ask again; a missing file is not kept.
    let r = c.get(format!("{}/pkg/hash.txt", s.url)).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = c.get(format!("{}/pkg/rolo.ffffffffffffffff.wasm", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_ne!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    s.shutdown().await;
}

/// One sample of a metric from `/metrics` text (0 when absent).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

/// `/metrics` counts syncs and their items by channel, imports and their rows, index cache hits
/// and misses, sign-ins, and gives the live sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_syncs_imports_cache_and_sessions() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let c = client();
    let before = c.get(format!("{}/metrics", s.url)).send().await.unwrap().text().await.unwrap();
    let console = signed_in(&s, "alice", "alice-password-1").await;

    let (_, token) =
        s.store.create_device(alice.id, "Laptop", domain::DeviceKind::Pc).await.unwrap();
    let id = uuid::Uuid::new_v4();
    let r = c
        .post(format!("{}/api/v1/sync/upload", s.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "changes": [
            { "id": id, "kind": "contact", "op": "upsert", "data": { "name": { "given": "Ada" } } }
        ] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r =
        c.get(format!("{}/api/v1/sync/changes", s.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:m-1\r\nFN:Bo\r\nN:;Bo;;;\r\nEND:VCARD\r\n";
    let r = c
        .put(format!("{}/dav/addressbooks/alice/contacts/m-1.vcf", s.url))
        .basic_auth("alice", Some(&token))
        .header("content-type", "text/vcard")
        .body(card)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let csv = "First Name,Last Name\nCy,Li\nDee,Wu\n";
    transfer::import(&s.store, alice.id, csv.as_bytes(), &Default::default(), &mut |_| {})
        .await
        .unwrap();
    // The list twice: the first reads the book into the index, the second finds it there.
    for _ in 0..2 {
        let (status, body) =
            rpc(&console, &s.url, "contact_page", &[("q", ""), ("sort", "name"), ("offset", "0")])
                .await;
        assert!(status.is_success(), "{status} {body}");
    }

    let after = c.get(format!("{}/metrics", s.url)).send().await.unwrap().text().await.unwrap();
    let grew = |series: &str, by: f64| {
        let (b, a) = (sample(&before, series), sample(&after, series));
        assert!(a - b >= by, "{series}: {b} then {a}\n{after}");
    };
    grew(r#"rolo_syncs_total{channel="api",direction="upload"}"#, 1.0);
    grew(r#"rolo_sync_items_total{channel="api",direction="upload"}"#, 1.0);
    grew(r#"rolo_syncs_total{channel="api",direction="download"}"#, 1.0);
    grew(r#"rolo_sync_items_total{channel="api",direction="download"}"#, 1.0);
    grew(r#"rolo_sync_items_total{channel="carddav",direction="upload"}"#, 1.0);
    grew(r#"rolo_imports_total{outcome="done"}"#, 1.0);
    grew(r#"rolo_import_rows_total{outcome="imported"}"#, 2.0);
    grew(r#"rolo_index_cache_total{result="miss"}"#, 1.0);
    grew(r#"rolo_index_cache_total{result="hit"}"#, 1.0);
    grew(r#"rolo_sign_ins_total{result="ok"}"#, 1.0);
    assert!(sample(&after, "rolo_sessions_live") >= 1.0, "{after}");
    s.shutdown().await;
}

/// An import that failed as a whole has no report: asking for it says it failed and why, not
/// that it still runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_import_says_so_when_its_report_is_asked_for() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let c = signed_in(&s, "alice", "alice-password-1").await;
    let running = s.store.create_import_job(alice.id.into(), None, 10).await.unwrap();
    let failed = s.store.create_import_job(alice.id.into(), None, 10).await.unwrap();
    let ended = s
        .store
        .end_import_job(
            failed,
            &store::JobCounts::default(),
            store::JobEnd::Failed("the file could not be read".into()),
        )
        .await
        .unwrap();
    assert!(ended);
    let report =
        |job: uuid::Uuid| c.get(format!("{}/console/import/{job}/report.csv", s.url)).send();
    let r = report(failed).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("failed") && body.contains("the file could not be read"), "{body}");
    let r = report(running).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("still running"));
    s.shutdown().await;
}
