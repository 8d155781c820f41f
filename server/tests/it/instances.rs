//! Two Rolo instances on one PostgreSQL database, requests alternating between them, behave as
//! one: a session, an import job (its progress and its report), CardDAV's sign-in throttle, a
//! revoked device and an edit made on one are seen on the other.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};

use crate::common::{client, rpc, signed_in, TestServer};

/// A CardDAV request with HTTP Basic credentials; the status it gets.
async fn dav_status(base: &str, user: &str, secret: &str) -> StatusCode {
    let body = r#"<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>"#;
    client()
        .request(Method::from_bytes(b"PROPFIND").unwrap(), format!("{base}/dav/"))
        .basic_auth(user, Some(secret))
        .header("Depth", "0")
        .header("Content-Type", "application/xml")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_behave_as_one() {
    let a = TestServer::start_postgres().await;
    let b = a.beside().await;
    assert_eq!((a.store.backend_kind(), b.store.backend_kind()), ("postgres", "postgres"));
    assert_eq!(a.database_url(), b.database_url());
    a.account("alice", "alice-password-1").await;
    b.account("bob", "bob-password-22").await;

    // Signed in on A, the session works on B (the cookie is the same host's).
    let alice = signed_in(&a, "alice", "alice-password-1").await;
    let (_, me) = rpc(&alice, &b.url, "whoami", &[]).await;
    assert!(me.contains("\"username\":\"alice\""), "{me}");
    let bob = signed_in(&b, "bob", "bob-password-22").await;

    // An import sent to A is polled and its report downloaded on B.
    let mut csv = String::from("Name,Phone,Email\n");
    for i in 0..2500 {
        csv.push_str(&format!("Person {i},+1 555 {:04},p{i}@example.com\n", i));
    }
    csv.push_str("Broken Row,call me,broken@example.com\n");
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("people.csv"))
        .text("group", "new")
        .text("new_group", "Imported friends");
    let r = alice.post(format!("{}/console/import", a.url)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let job: serde_json::Value = r.json().await.unwrap();
    let job = job["job"].as_str().unwrap().to_string();
    let status_url = format!("{}/console/import/{job}", b.url);
    let deadline = Instant::now() + Duration::from_secs(120);
    let st = loop {
        let r = alice.get(&status_url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let st: serde_json::Value = r.json().await.unwrap();
        if st["state"] != "running" {
            break st;
        }
        assert_eq!(st["group"], "Imported friends", "{st}");
        assert!(Instant::now() < deadline, "the import never ended: {st}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(st["state"], "done", "{st}");
    assert_eq!((st["imported"].as_u64(), st["failed"].as_u64()), (Some(2500), Some(1)), "{st}");
    assert_eq!(st["rows_done"], st["rows_total"], "{st}");
    assert_eq!(st["failures"][0]["line"], 2502, "{st}");
    assert!(st["failures"][0]["reason"].as_str().unwrap().contains("Phone"), "{st}");
    assert_eq!(st["group"], "Imported friends", "{st}");
    let r = alice.get(format!("{status_url}/report.csv")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report = r.text().await.unwrap();
    assert!(report.contains("Line,Outcome,Contact,Reason"), "{report}");
    assert_eq!(report.lines().filter(|l| l.contains(",imported,")).count(), 2500);
    assert!(report.lines().any(|l| l.starts_with("2502,failed,")), "{report}");
    // The job is alice's: to bob it does not exist, on either instance.
    for base in [&a.url, &b.url] {
        let r = bob.get(format!("{base}/console/import/{job}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = bob.get(format!("{base}/console/import/{job}/report.csv")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    // And both instances list what it imported.
    let (_, list) = rpc(&alice, &a.url, "list_contacts", &[]).await;
    let on_a: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    let (_, list) = rpc(&alice, &b.url, "list_contacts", &[]).await;
    let on_b: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    assert_eq!((on_a.len(), on_b.len()), (2500, 2500));

    // Wrong device tokens counted on A block on B, even the right token from that address.
    let forged = format!("{}forged", domain::DEVICE_TOKEN_PREFIX);
    for _ in 0..carddav::auth::MAX_FAILURES_PER_USER {
        assert_eq!(dav_status(&a.url, "bob", &forged).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(dav_status(&a.url, "bob", &forged).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(dav_status(&b.url, "bob", &forged).await, StatusCode::TOO_MANY_REQUESTS);
    let bob_id =
        b.store.account_by_username(&domain::Username::parse("bob").unwrap()).await.unwrap().id;
    let (_, bob_token) =
        b.store.create_device(bob_id, "Phone", domain::DeviceKind::Phone).await.unwrap();
    assert_eq!(dav_status(&b.url, "bob", &bob_token).await, StatusCode::TOO_MANY_REQUESTS);
    // Another user from that address is not held back (below).
    let form = [("name", "Alice's phone"), ("kind", "phone")];
    let (status, body) = rpc(&alice, &a.url, "create_device", &form).await;
    assert!(status.is_success(), "{body}");
    let device: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = device["token"].as_str().unwrap().to_string();
    let device_id = device["device"]["id"].as_str().unwrap().to_string();

    // A device revoked on A stops working on B within a second or so, though B verified its
    // token a moment before (and would remember it for 10 s).
    assert_eq!(dav_status(&b.url, "alice", &token).await, StatusCode::MULTI_STATUS);
    assert_eq!(dav_status(&a.url, "alice", &token).await, StatusCode::MULTI_STATUS);
    let (status, body) = rpc(&alice, &a.url, "revoke_device", &[("id", &device_id)]).await;
    assert!(status.is_success(), "{body}");
    let revoked = Instant::now();
    assert_eq!(dav_status(&a.url, "alice", &token).await, StatusCode::UNAUTHORIZED);
    loop {
        match dav_status(&b.url, "alice", &token).await {
            StatusCode::UNAUTHORIZED => break,
            StatusCode::MULTI_STATUS => {
                assert!(
                    revoked.elapsed() < store::ACCESS_EPOCH_CHECK + Duration::from_secs(2),
                    "B still accepts a token revoked {:?} ago",
                    revoked.elapsed()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("{other}"),
        }
    }
    assert!(revoked.elapsed() < carddav::auth::TOKEN_CACHE, "{:?}", revoked.elapsed());
    // The device API refuses it on both at once.
    for base in [&a.url, &b.url] {
        let r = client()
            .get(format!("{base}/api/v1/sync/status"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{base}");
    }

    // A contact edited on A reads the same on B, and the other way round.
    let (status, id) = rpc(
        &alice,
        &a.url,
        "save_contact",
        &[("contact[given_name]", "Grace"), ("contact[family_name]", "Hopper")],
    )
    .await;
    assert!(status.is_success(), "{id}");
    let id: String = serde_json::from_str(&id).unwrap();
    let (_, got) = rpc(&alice, &b.url, "get_contact", &[("id", &id)]).await;
    assert!(got.contains("Grace Hopper") && got.contains("\"revision\":1"), "{got}");
    let (status, body) = rpc(
        &alice,
        &b.url,
        "save_contact",
        &[
            ("id", &id),
            ("revision", "1"),
            ("contact[given_name]", "Grace"),
            ("contact[family_name]", "Hopper"),
            ("contact[organization]", "US Navy"),
        ],
    )
    .await;
    assert!(status.is_success(), "{body}");
    let (_, got) = rpc(&alice, &a.url, "get_contact", &[("id", &id)]).await;
    assert!(got.contains("US Navy") && got.contains("\"revision\":2"), "{got}");
    // A stale edit on A (still at revision 1) is refused, not written over B's.
    let (status, body) = rpc(
        &alice,
        &a.url,
        "save_contact",
        &[("id", &id), ("revision", "1"), ("contact[given_name]", "Overwritten")],
    )
    .await;
    assert!(!status.is_success(), "{body}");

    b.shutdown().await;
    a.shutdown().await;
}
