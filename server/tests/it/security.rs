//! The attacks found against Rolo, replayed over HTTP against a real server: each test failed
//! on the code before its fix. (The stored XSS is also replayed in a real browser:
//! `end2end/tests/security.test.mjs`.)

use std::time::{Duration, Instant};

use crate::common::{self, client, client_from, rpc, signed_in, TestServer};
use domain::{ContactDraft, DeviceKind, Origin};
use reqwest::{multipart, StatusCode};

const NAME: &str =
    r#"Mallory </title><script>window.pwned=1</script><img src=x onerror="window.pwned=2">"#;

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// A page's HTML with `<` and `>` inside double-quoted attribute values made harmless (there
/// they are text, not markup).
fn outside_attribute_values(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let (mut in_tag, mut in_value) = (false, false);
    let mut prev = ' ';
    for c in html.chars() {
        match (in_tag, in_value, c) {
            (_, true, '"') => in_value = false,
            (_, true, '<' | '>') => {
                out.push('_');
                prev = c;
                continue;
            }
            (true, false, '"') if prev == '=' => in_value = true,
            (false, _, '<') => in_tag = true,
            (true, false, '>') => in_tag = false,
            _ => {}
        }
        out.push(c);
        prev = c;
    }
    out
}

/// The nonce a page's CSP allows scripts with.
fn csp_nonce(csp: &str) -> String {
    csp.split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp:?}"))
        .to_string()
}

// 1. Stored XSS through the page title; and (found checking every other place) through the
// notes in the edit form's textarea, whose text tachys writes unescaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_name_cannot_end_the_title_and_run_a_script() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let notes = "</textarea></script><script>window.pwned=3</script>";
    let data =
        ContactDraft { display_name: NAME.into(), notes: notes.into(), ..Default::default() }
            .parse()
            .unwrap();
    let c = s.store.create_contact(alice.id, None, &data, Origin::Console).await.unwrap();
    let web = signed_in(&s, "alice", "alice-password-1").await;
    for path in [format!("/contacts/{}", c.id), format!("/contacts/{}/edit", c.id), "/".to_string()]
    {
        let r =
            web.get(format!("{}{path}", s.url)).header("accept", "text/html").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let csp = header(&r, "content-security-policy");
        let html = r.text().await.unwrap();
        // The title holds the name as text.
        let title =
            html.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap_or("");
        if path != "/" {
            assert!(title.contains("Mallory &lt;/title&gt;&lt;script&gt;"), "{path}: {title}");
        }
        if path.ends_with("/edit") {
            assert!(
                html.contains("&lt;/textarea&gt;&lt;/script&gt;&lt;script&gt;window.pwned=3"),
                "{html}"
            );
        }
        // Nothing the contact holds becomes markup anywhere in the page (inside a quoted
        // attribute value, `<` is only text).
        let markup = outside_attribute_values(&html);
        if let Some(at) = markup.find("<script>window.pwned") {
            panic!("{path}: {}", &markup[at.saturating_sub(300)..(at + 100).min(markup.len())]);
        }
        assert!(!markup.contains("<img src=x"), "{path}");
        // Every script the page has carries this response's nonce, which the CSP requires.
        let nonce = csp_nonce(&csp);
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'")
                && csp.contains("object-src 'none'"),
            "{csp}"
        );
        for tag in markup.split("<script").skip(1) {
            let head = tag.split('>').next().unwrap_or("");
            assert!(head.contains(&format!("nonce=\"{nonce}\"")), "{path}: <script{head}>");
        }
    }
    s.shutdown().await;
}

// 2. A 1.6 KB .xlsx that made calamine allocate 550 GB and abort the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sheet_from_a1_to_xfd1048576_does_not_take_the_server_down() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    let web = signed_in(&s, "alice", "alice-password-1").await;
    let bytes = interchange::hostile::xlsx_corner_cells();
    assert!(bytes.len() < 4096);
    let form =
        multipart::Form::new().part("file", multipart::Part::bytes(bytes).file_name("corner.xlsx"));
    let r =
        web.post(format!("{}/console/import/preview", s.url)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(body.contains("\"total_rows\":1"), "{body}");
    assert_eq!(
        web.get(format!("{}/healthz", s.url)).send().await.unwrap().status(),
        StatusCode::OK
    );
    s.shutdown().await;
}

// 3. An Excel decompression bomb: 300 MB in one cell, a few hundred KB on the wire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excel_decompression_bomb_is_refused_before_it_is_unpacked() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    let web = signed_in(&s, "alice", "alice-password-1").await;
    let bomb = interchange::hostile::xlsx_huge_cell(300 << 20);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let t = Instant::now();
    for path in ["/console/import/preview", "/console/import"] {
        let form = multipart::Form::new()
            .part("file", multipart::Part::bytes(bomb.clone()).file_name("bomb.xlsx"));
        let r = web.post(format!("{}{path}", s.url)).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("too large to import") && body.contains("unpacked it takes 301 MB"),
            "{body}"
        );
    }
    // Refused from the zip's directory, before anything is unpacked.
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    s.shutdown().await;
}

fn login_answer(body: &str) -> &'static str {
    if body.contains("Throttled") {
        "throttled"
    } else if body.contains("BadLogin") {
        "bad"
    } else if body.contains("Done") {
        "done"
    } else {
        panic!("unexpected answer {body}")
    }
}

// 4. The sign-in throttle could be raced: 40 parallel guesses were all checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_counted_before_any_is_checked() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let url = s.url.clone();
            tokio::spawn(async move {
                let (_, body) = rpc(
                    &client(),
                    &url,
                    "login",
                    &[("username", "alice"), ("password", &format!("guess-{i}"))],
                )
                .await;
                login_answer(&body)
            })
        })
        .collect();
    let mut checked: i64 = 0;
    for g in guesses {
        if g.await.unwrap() == "bad" {
            checked += 1;
        }
    }
    assert_eq!(checked, store::FREE_PER_ACCOUNT, "passwords checked of 40 parallel guesses");
    s.shutdown().await;
}

// 4. Each check is an argon2 hash of 19 MiB: sixty parallel sign-ins took a gigabyte. Now at
// most one hash per core runs at a time (in this whole test process, whatever else runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sign_ins_hash_a_few_at_a_time() {
    let s = TestServer::start().await;
    for i in 0..20 {
        s.account(&format!("user{i}"), "a-long-password-1").await;
    }
    // From three addresses, so that the per-address count lets them all be checked.
    let tries: Vec<_> = (0..60)
        .map(|i| {
            let url = s.url.clone();
            tokio::spawn(async move {
                let c = client_from(&format!("127.0.0.{}", 2 + i % 3));
                let (_, body) = rpc(
                    &c,
                    &url,
                    "login",
                    &[("username", &format!("user{}", i % 20)), ("password", "a-long-password-1")],
                )
                .await;
                (i, body)
            })
        })
        .collect();
    for t in tries {
        let (i, body) = t.await.unwrap();
        assert_eq!(login_answer(&body), "done", "sign-in {i}: {body}");
    }
    assert!(
        store::hashing_peak() <= store::hashing_slots(),
        "{} hashes at once",
        store::hashing_peak()
    );
    s.shutdown().await;
}

// 5. Five wrong passwords from anywhere locked the account out for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_slow_only_the_address_they_come_from() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    let attacker = client_from("127.0.0.2");
    let mut answers = Vec::new();
    for _ in 0..8 {
        let (_, body) =
            rpc(&attacker, &s.url, "login", &[("username", "alice"), ("password", "wrong")]).await;
        answers.push(login_answer(&body));
    }
    assert_eq!(answers[..5], ["bad"; 5]);
    assert!(answers[5..].iter().all(|a| *a == "throttled"), "{answers:?}");
    // The owner, elsewhere, signs in at once.
    let owner = client_from("127.0.0.3");
    let (_, body) =
        rpc(&owner, &s.url, "login", &[("username", "alice"), ("password", "alice-password-1")])
            .await;
    assert_eq!(login_answer(&body), "done");
    // The attacker waits longer each time: the wait it is told grows.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, body) =
        rpc(&attacker, &s.url, "login", &[("username", "alice"), ("password", "wrong")]).await;
    assert_eq!(login_answer(&body), "bad");
    let (_, body) =
        rpc(&attacker, &s.url, "login", &[("username", "alice"), ("password", "wrong")]).await;
    assert!(body.contains("Throttled\":2"), "{body}");
    s.shutdown().await;
}

// 6. Login CSRF: `Origin: null` (a sandboxed frame, a cross-origin redirect) was accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_from_another_site_is_refused() {
    let s = TestServer::start().await;
    s.account("mallory", "mallory-password-1").await;
    let form = [("username", "mallory"), ("password", "mallory-password-1")];
    for (name, value) in [
        ("origin", "null"),
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let r = client()
            .post(format!("{}/rpc/login", s.url))
            .header(name, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(r.headers().get("set-cookie").is_none());
    }
    // The browser's own page: same origin.
    let host = s.url.trim_start_matches("http://").to_string();
    let r = client()
        .post(format!("{}/rpc/login", s.url))
        .header("origin", format!("http://{host}"))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    s.shutdown().await;
}

// 7. No CSP, no Cache-Control on signed-in answers, no HSTS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_security_headers() {
    let s = TestServer::start_configured(|c| c.secure_cookies = true).await;
    let alice = s.account("alice", "alice-password-1").await;
    s.store
        .create_contact(
            alice.id,
            None,
            &ContactDraft { display_name: "Ann".into(), ..Default::default() }.parse().unwrap(),
            Origin::Console,
        )
        .await
        .unwrap();
    // Secure cookies are not sent back over plain HTTP: carry the session by hand.
    let r = client()
        .post(format!("{}/rpc/login", s.url))
        .form(&[("username", "alice"), ("password", "alice-password-1")])
        .send()
        .await
        .unwrap();
    let cookie = header(&r, "set-cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    let get = |path: &str| {
        client().get(format!("{}{path}", s.url)).header("cookie", session.clone()).send()
    };
    for path in ["/", "/account", "/console/export?format=csv", "/healthz", "/api/v1/docs"] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&r, "strict-transport-security"), "max-age=63072000", "{path}");
        let csp = header(&r, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") || path == "/api/v1/docs", "{path}: {csp}");
    }
    let r = client()
        .post(format!("{}/rpc/whoami", s.url))
        .header("cookie", session.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert!(header(&r, "content-security-policy").starts_with("default-src 'none'"));
    // Without HTTPS configured, no HSTS.
    let plain = TestServer::start().await;
    let r = client().get(format!("{}/login", plain.url)).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    plain.shutdown().await;
    s.shutdown().await;
}

// 9. CardDAV `nresults` overflowed: a panic, or an empty listing with the current token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_nresults_list_every_card() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    for i in 0..3 {
        let d = ContactDraft { display_name: format!("Card {i}"), ..Default::default() }
            .parse()
            .unwrap();
        s.store.create_contact(alice.id, None, &d, Origin::Console).await.unwrap();
    }
    let (_, token) = s.store.create_device(alice.id, "Phone", DeviceKind::Phone).await.unwrap();
    for n in ["9223372036854775807", "18446744073709551615", "99999999999999999999999"] {
        let body = format!(
            r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:limit><d:nresults>{n}</d:nresults></d:limit><d:prop><d:getetag/></d:prop></d:sync-collection>"#
        );
        let r = client()
            .request(
                reqwest::Method::from_bytes(b"REPORT").unwrap(),
                format!("{}/dav/addressbooks/alice/contacts/", s.url),
            )
            .basic_auth("alice", Some(&token))
            .header("depth", "1")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 207, "{n}");
        let text = r.text().await.unwrap();
        assert_eq!(
            text.matches("<d:getetag>").count() + text.matches("<D:getetag>").count(),
            3,
            "{n}: {text}"
        );
    }
    s.shutdown().await;
}

// 10. Change of password was not throttled: a stolen session could guess freely.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_the_current_password_is_throttled() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    let web = signed_in(&s, "alice", "alice-password-1").await;
    let mut answers = Vec::new();
    for i in 0..7 {
        let guess = format!("guess-{i}");
        let (_, body) = rpc(
            &web,
            &s.url,
            "change_password",
            &[("current", &guess), ("new", "new-password-12"), ("repeat", "new-password-12")],
        )
        .await;
        answers.push(if body.contains("Throttled") { "throttled" } else { "bad" });
    }
    assert_eq!(answers, ["bad", "bad", "bad", "bad", "bad", "throttled", "throttled"]);
    s.shutdown().await;
}

// 11. With account passwords allowed over CardDAV, CardDAV kept counts of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carddav_and_the_console_share_one_count() {
    let s = TestServer::start_with(carddav::DavConfig {
        allow_account_password: true,
        ..carddav::DavConfig::default()
    })
    .await;
    s.account("alice", "alice-password-1").await;
    let propfind = |password: &'static str| {
        client()
            .request(
                reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
                format!("{}/dav/addressbooks/alice/contacts/", s.url),
            )
            .basic_auth("alice", Some(password))
            .header("depth", "0")
            .send()
    };
    for _ in 0..3 {
        assert_eq!(propfind("wrong-1").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 0..2 {
        let (_, body) =
            rpc(&client(), &s.url, "login", &[("username", "alice"), ("password", "wrong-2")])
                .await;
        assert_eq!(login_answer(&body), "bad");
    }
    // Five wrong passwords from this address, over two channels: both now make it wait.
    assert_eq!(propfind("alice-password-1").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    let (_, body) =
        rpc(&client(), &s.url, "login", &[("username", "alice"), ("password", "alice-password-1")])
            .await;
    assert_eq!(login_answer(&body), "throttled");
    s.shutdown().await;
}

// 12. The database files were 0644 when the data directory already existed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = common::open_store_in(dir).await.unwrap();
    let alice = store
        .create_account(&domain::Username::parse("alice").unwrap(), "alice-password-1", false)
        .await
        .unwrap();
    store
        .create_contact(
            alice.id,
            None,
            &ContactDraft { display_name: "Ann".into(), ..Default::default() }.parse().unwrap(),
            Origin::Console,
        )
        .await
        .unwrap();
    for name in ["rolo.db", "rolo.db-wal", "rolo.db-shm", "master.key"] {
        let meta = std::fs::metadata(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
    drop(store);
    // Files an older version left readable are made private; a directory others can write to
    // is refused, with the command that fixes it.
    std::fs::set_permissions(dir.join("rolo.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(common::open_store_in(dir).await.unwrap());
    assert_eq!(std::fs::metadata(dir.join("rolo.db")).unwrap().permissions().mode() & 0o777, 0o600);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = common::open_store_in(dir).await.err().unwrap();
    assert!(e.contains("open to other users") && e.contains("chmod 700"), "{e}");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
}

// 13. Import had no size limit on a contact (a 3 MB photo), while CardDAV capped a card at 1 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_contact_size_limit_for_every_channel() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let web = signed_in(&s, "alice", "alice-password-1").await;
    let photo = "A".repeat(3 << 20);
    let card = format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Big Photo\r\nPHOTO;ENCODING=b;TYPE=JPEG:{photo}\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Small\r\nEND:VCARD\r\n");
    // The console's import: the big card is a failed line, the small one is imported.
    let form = multipart::Form::new()
        .part("file", multipart::Part::bytes(card.clone().into_bytes()).file_name("big.vcf"));
    let r = web.post(format!("{}/console/import", s.url)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let job: serde_json::Value = r.json().await.unwrap();
    let job = job["job"].as_str().unwrap().to_string();
    let status = loop {
        let st: serde_json::Value = web
            .get(format!("{}/console/import/{job}", s.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if st["state"] != "running" {
            break st;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (status["imported"].as_u64(), status["failed"].as_u64()),
        (Some(1), Some(1)),
        "{status}"
    );
    assert!(status["failures"][0]["reason"].as_str().unwrap().contains("too large"), "{status}");
    // The device API refuses it per item.
    let (_, token) = s.store.create_device(alice.id, "PC", DeviceKind::Pc).await.unwrap();
    let mut big =
        ContactDraft { display_name: "Big".into(), ..Default::default() }.parse().unwrap();
    big.extra.push(domain::ExtraField { name: "PHOTO;ENCODING=b".into(), value: photo.clone() });
    let upload = serde_json::json!({ "changes": [{ "id": uuid::Uuid::new_v4(), "op": "upsert", "data": big }] });
    let r = client()
        .post(format!("{}/api/v1/sync/upload", s.url))
        .bearer_auth(&token)
        .json(&upload)
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(body.contains("too large") || body.contains("larger"), "{body}");
    assert_eq!(s.store.count_contacts(alice.id).await.unwrap(), 1);
    s.shutdown().await;
}

fn totp_code(secret_base32: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).unwrap();
    totp_rs::Builder::new().with_secret(secret).build().unwrap().generate(at).to_string()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

// Beyond the fixes: a second factor for the console.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_step_sign_in_from_enrolment_to_reset() {
    let s = TestServer::start().await;
    s.account("alice", "alice-password-1").await;
    let admin = s
        .store
        .create_account(&domain::Username::parse("root").unwrap(), "root-password-1", true)
        .await
        .unwrap();
    let web = signed_in(&s, "alice", "alice-password-1").await;
    let (_, body) = rpc(&web, &s.url, "second_factor", &[]).await;
    assert!(body.contains("\"state\":\"off\""), "{body}");
    // Set up: a QR code (an SVG image) and the key; a code from the app confirms it.
    let (_, body) = rpc(&web, &s.url, "begin_second_factor", &[]).await;
    let e: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(e["qr"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"), "{body}");
    let secret = e["secret"].as_str().unwrap().to_string();
    let (_, body) = rpc(&web, &s.url, "confirm_second_factor", &[("code", "12345")]).await;
    assert!(body.contains("Invalid"), "{body}");
    let (_, body) =
        rpc(&web, &s.url, "confirm_second_factor", &[("code", &totp_code(&secret, now()))]).await;
    let codes: Vec<String> = serde_json::from_str(&body).unwrap();
    assert_eq!(codes.len(), 10);

    // A password alone no longer signs in: the answer asks for the code, and sets no session.
    let c = client();
    let r = c
        .post(format!("{}/rpc/login", s.url))
        .header("accept", "application/json")
        .form(&[("username", "alice"), ("password", "alice-password-1")])
        .send()
        .await
        .unwrap();
    assert!(header(&r, "set-cookie").starts_with("rolo_pending="), "{:?}", r.headers());
    assert!(r.text().await.unwrap().contains("SecondFactor"));
    let (_, me) = rpc(&c, &s.url, "whoami", &[]).await;
    assert_eq!(me, "null");
    let r = c.get(format!("{}/", s.url)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    // A wrong code is refused; guesses are counted; the right code signs in.
    let (_, body) = rpc(&c, &s.url, "login_code", &[("code", "000000")]).await;
    assert!(body.contains("BadCode") || totp_code(&secret, now()) == "000000", "{body}");
    let (_, body) =
        rpc(&c, &s.url, "login_code", &[("code", &totp_code(&secret, now() + 30))]).await;
    assert_eq!(body, "null", "{body}");
    let (_, me) = rpc(&c, &s.url, "whoami", &[]).await;
    assert!(me.contains("\"username\":\"alice\""), "{me}");
    // The same code does not work twice; a recovery code works once.
    let c2 = client();
    rpc(&c2, &s.url, "login", &[("username", "alice"), ("password", "alice-password-1")]).await;
    let (_, body) =
        rpc(&c2, &s.url, "login_code", &[("code", &totp_code(&secret, now() + 30))]).await;
    assert!(body.contains("BadCode"), "{body}");
    let (_, body) = rpc(&c2, &s.url, "login_code", &[("code", &codes[0])]).await;
    assert_eq!(body, "null", "{body}");
    let c3 = client_from("127.0.0.4");
    rpc(&c3, &s.url, "login", &[("username", "alice"), ("password", "alice-password-1")]).await;
    let (_, body) = rpc(&c3, &s.url, "login_code", &[("code", &codes[0])]).await;
    assert!(body.contains("BadCode"), "{body}");
    // Guessing codes is throttled like passwords.
    let mut answers = Vec::new();
    for i in 0..6 {
        let (_, body) = rpc(&c3, &s.url, "login_code", &[("code", &format!("99999{i}"))]).await;
        answers.push(if body.contains("Throttled") { "throttled" } else { "bad" });
    }
    assert_eq!(answers.last(), Some(&"throttled"), "{answers:?}");

    // An administrator resets it (a lost phone): the password alone signs in again.
    let root = signed_in(&s, "root", "root-password-1").await;
    let alice_id = s
        .store
        .account_by_username(&domain::Username::parse("alice").unwrap())
        .await
        .unwrap()
        .id
        .to_string();
    let (_, body) = rpc(&web, &s.url, "admin_reset_second_factor", &[("id", &alice_id)]).await;
    assert!(body.contains("Forbidden"), "not for non-administrators: {body}");
    let (status, body) =
        rpc(&root, &s.url, "admin_reset_second_factor", &[("id", &alice_id)]).await;
    assert!(status.is_success(), "{body}");
    let (_, body) = rpc(
        &client_from("127.0.0.5"),
        &s.url,
        "login",
        &[("username", "alice"), ("password", "alice-password-1")],
    )
    .await;
    assert!(body.contains("Done"), "{body}");

    // Required for every account: until it sets up a second factor, an account has only what
    // that takes; its pages send it to the Account page. An administrator sets up their own
    // first.
    let (_, body) =
        rpc(&root, &s.url, "admin_require_second_factor", &[("required", "true")]).await;
    assert!(body.contains("your own account first"), "{body}");
    let (_, body) = rpc(&root, &s.url, "begin_second_factor", &[]).await;
    let root_secret = serde_json::from_str::<serde_json::Value>(&body).unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    rpc(&root, &s.url, "confirm_second_factor", &[("code", &totp_code(&root_secret, now()))]).await;
    let (_, body) =
        rpc(&root, &s.url, "admin_require_second_factor", &[("required", "true")]).await;
    assert_eq!(body, "null");
    let (_, body) = rpc(&web, &s.url, "list_groups", &[]).await;
    assert!(body.contains("SecondFactorRequired"), "{body}");
    let (_, me) = rpc(&web, &s.url, "whoami", &[]).await;
    assert!(me.contains("\"must_enrol\":true"), "{me}");
    let r = web.get(format!("{}/console/export?format=csv", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, body) = rpc(&web, &s.url, "begin_second_factor", &[]).await;
    let e: serde_json::Value = serde_json::from_str(&body).unwrap();
    let secret = e["secret"].as_str().unwrap().to_string();
    let (_, body) =
        rpc(&web, &s.url, "confirm_second_factor", &[("code", &totp_code(&secret, now()))]).await;
    assert!(body.starts_with("[\""), "{body}");
    let (_, body) = rpc(&web, &s.url, "list_groups", &[]).await;
    assert_eq!(body, "[]");
    // While required, it cannot be turned off.
    let (_, body) =
        rpc(&web, &s.url, "disable_second_factor", &[("password", "alice-password-1")]).await;
    assert!(body.contains("requires two-step"), "{body}");
    let _ = admin;
    s.shutdown().await;
}
