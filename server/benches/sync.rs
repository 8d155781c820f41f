//! Device sync benchmarks, against a real server on loopback (SQLite, encrypted store).
//! Run: `cargo bench -p server --bench sync`. Prints figures; bounded in time.
//!
//! 1. initial download of 10,000 contacts to a new device (pages of 1,000);
//! 2. upload of 10,000 new contacts in batches of 500;
//! 3. incremental sync of 10 changes in a 50,000-contact account: latency per request;
//! 4. 50 devices syncing concurrently for 10 s: requests per second and latency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/common.rs"]
mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use domain::generate::Gen;
use domain::{DeviceKind, Origin};
use reqwest::Client;
use serde_json::{json, Value};

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(name: &str, mut lat: Vec<Duration>) {
    lat.sort();
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat.last().unwrap().as_secs_f64() * 1000.0
    );
}

async fn download_all(
    http: &Client,
    url: &str,
    token: &str,
    cursor: Option<String>,
    limit: usize,
) -> (usize, String) {
    let mut cursor = cursor;
    let mut n = 0;
    loop {
        let mut req = http
            .get(format!("{url}/api/v1/sync/changes"))
            .bearer_auth(token)
            .query(&[("limit", limit.to_string())]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let page: Value = req.send().await.unwrap().json().await.unwrap();
        n += page["changes"].as_array().unwrap().len();
        cursor = Some(page["cursor"].as_str().unwrap().to_string());
        if !page["more"].as_bool().unwrap() {
            return (n, cursor.unwrap());
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let s = TestServer::start().await;
    let http = Client::new();
    let mut gen = Gen::new(42);

    // 1. Initial download of 10,000 contacts.
    let a = s.account("ten-k", "bench-password-1").await;
    let items: Vec<_> = (0..10_000).map(|i| (None, gen.contact(i))).collect();
    let t = Instant::now();
    for chunk in items.chunks(5000) {
        s.store.create_contacts(a.id, chunk, Origin::Cli).await.unwrap();
    }
    println!(
        "setup: 10,000 contacts written (sealed, change-logged) in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let (_, token) = s.store.create_device(a.id, "new phone", DeviceKind::Phone).await.unwrap();
    let t = Instant::now();
    let (n, _) = download_all(&http, &s.url, &token, None, 1000).await;
    assert_eq!(n, 10_000);
    println!("initial download: 10,000 contacts in {:.3} s", t.elapsed().as_secs_f64());

    // 2. Upload of 10,000 new contacts in batches of 500.
    let b = s.account("uploader", "bench-password-1").await;
    let (_, token) = s.store.create_device(b.id, "pc", DeviceKind::Pc).await.unwrap();
    let uploads: Vec<Value> = (0..10_000)
        .map(|i| json!({ "id": uuid_of(i), "op": "upsert", "data": gen.contact(i) }))
        .collect();
    let t = Instant::now();
    for batch in uploads.chunks(500) {
        let r: Value = http
            .post(format!("{}/api/v1/sync/upload", s.url))
            .bearer_auth(&token)
            .json(&json!({ "changes": batch }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(r["results"].as_array().unwrap().iter().all(|x| x["status"] == "created"), "{r}");
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "upload: 10,000 new contacts in batches of 500 in {secs:.2} s ({:.0} contacts/s)",
        10_000.0 / secs
    );

    // 3. Incremental sync of 10 changes in a 50,000-contact account.
    let c = s.account("fifty-k", "bench-password-1").await;
    let items: Vec<_> = (0..50_000).map(|i| (None, gen.contact(i))).collect();
    let mut ids = Vec::new();
    for chunk in items.chunks(5000) {
        ids.extend(
            s.store
                .create_contacts(c.id, chunk, Origin::Cli)
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.id, c.revision, c.data)),
        );
    }
    let (_, token) = s.store.create_device(c.id, "laptop", DeviceKind::Pc).await.unwrap();
    let (_, mut cursor) = download_all(&http, &s.url, &token, None, 1000).await;
    let mut http_lat = Vec::new();
    let mut engine_lat = Vec::new();
    for round in 0..100 {
        for k in 0..10 {
            let (id, rev, data) = &mut ids[(round * 10 + k) * 37 % 50_000];
            data.notes = format!("round {round}");
            *rev = s.store.update_contact(c.id, *id, *rev, data, Origin::Console).await.unwrap();
        }
        let seq = sync_proto::decode_cursor(&cursor).unwrap();
        let t = Instant::now();
        let pulled = sync_engine::pull(&s.store, c.id, Some(seq), 500).await.unwrap();
        engine_lat.push(t.elapsed());
        assert_eq!(pulled.items.len(), 10);
        let t = Instant::now();
        let (n, next) = download_all(&http, &s.url, &token, Some(cursor.clone()), 500).await;
        http_lat.push(t.elapsed());
        assert_eq!(n, 10);
        cursor = next;
    }
    report("incremental sync, 10 changes in 50,000 (engine, server time)", engine_lat);
    report("incremental sync, 10 changes in 50,000 (HTTP round trip on loopback)", http_lat);

    // 4. 50 devices syncing concurrently for 10 seconds (each pulls; every 10th request uploads an edit).
    let mut tasks = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    for d in 0..50 {
        let (_, token) =
            s.store.create_device(a.id, &format!("device {d}"), DeviceKind::Phone).await.unwrap();
        let http = http.clone();
        let url = s.url.clone();
        let mut data = gen.contact(100_000 + d);
        tasks.push(tokio::spawn(async move {
            // Start from the account's current cursor (as a device that has synced before).
            let st: Value = http.get(format!("{url}/api/v1/sync/status")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            let mut cursor = st["cursor"].as_str().unwrap().to_string();
            let id = uuid_of(200_000 + d);
            let mut rev: Option<i64> = None;
            let mut lat = Vec::new();
            let mut i = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                if i % 10 == 0 {
                    data.notes = format!("edit {i}");
                    let r: Value = http
                        .post(format!("{url}/api/v1/sync/upload"))
                        .bearer_auth(&token)
                        .json(&json!({ "changes": [{ "id": id, "op": "upsert", "base_revision": rev, "data": data }] }))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    rev = r["results"][0]["revision"].as_i64();
                } else {
                    let page: Value = http
                        .get(format!("{url}/api/v1/sync/changes"))
                        .bearer_auth(&token)
                        .query(&[("cursor", cursor.as_str())])
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    cursor = page["cursor"].as_str().unwrap().to_string();
                }
                lat.push(t.elapsed());
                i += 1;
            }
            lat
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "50 concurrent devices: {} requests in {secs:.1} s = {:.0} req/s",
        all.len(),
        all.len() as f64 / secs
    );
    report("50 concurrent devices, per request", all);
    s.shutdown().await;
}

fn uuid_of(i: usize) -> String {
    format!("0190f5a4-3c1e-7cc2-9d1e-{i:012}")
}
