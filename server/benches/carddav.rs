//! CardDAV benchmarks against a real server on loopback (SQLite, encrypted store), and the same
//! requests against Radicale 3 when it is installed (`scripts/dav-tools.sh`; or set
//! `ROLO_RADICALE` to its binary), for ratios. Run: `cargo bench -p server --bench carddav`.
//!
//! 1. first sync of a 10,000-contact book: sync-collection, then addressbook-multiget in
//!    batches of 100; five times (the cards served before are then in memory), and three times
//!    on a Rolo instance just started on the same database (nothing in memory);
//! 2. incremental sync after 10 changes (sync-collection with the token + one multiget), in books
//!    of 10,000 and 50,000 contacts;
//! 3. 10,000 PUTs of new cards (4 clients at once).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/common.rs"]
mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::TestServer;
use domain::generate::Gen;
use domain::{DeviceKind, Origin};
use interchange::vcard::{write_vcard, VcardVersion};
use reqwest::{Client, Method};

const N: usize = 10_000;
const BATCH: usize = 100;
const FIRST_SYNC_RUNS: usize = 5;

#[derive(Clone)]
struct Target {
    http: Client,
    base: String,
    book: String,
    user: String,
    pass: String,
}

impl Target {
    async fn send(
        &self,
        method: &str,
        path: &str,
        depth: Option<&str>,
        body: String,
        ct: &str,
    ) -> (u16, String) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut r = self
            .http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
            .basic_auth(&self.user, Some(&self.pass))
            .header("Content-Type", ct);
        if let Some(d) = depth {
            r = r.header("Depth", d);
        }
        let resp = r.body(body).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// sync-collection from `token` (empty: initial): (hrefs of changed cards, new token).
    async fn sync(&self, token: &str) -> (Vec<String>, String) {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#
        );
        let (status, text) =
            self.send("REPORT", &self.book, Some("1"), body, "application/xml").await;
        assert_eq!(status, 207, "{text}");
        let root = carddav::xml::parse(&text).unwrap();
        let dav = carddav::xml::DAV;
        let hrefs = root
            .children_named(dav, "response")
            .filter(|r| {
                r.children_named(dav, "propstat")
                    .any(|p| p.child(dav, "prop").and_then(|p| p.child(dav, "getetag")).is_some())
            })
            .filter_map(|r| r.child(dav, "href").map(|h| h.text.trim().to_string()))
            .collect();
        let token =
            root.child(dav, "sync-token").map(|t| t.text.trim().to_string()).unwrap_or_default();
        (hrefs, token)
    }

    /// addressbook-multiget of `hrefs` in batches; returns the number of cards received.
    async fn multiget(&self, hrefs: &[String]) -> usize {
        let mut n = 0;
        for batch in hrefs.chunks(BATCH) {
            let list: String = batch.iter().map(|h| format!("<d:href>{h}</d:href>")).collect();
            let body = format!(
                r#"<?xml version="1.0" encoding="utf-8"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop>{list}</c:addressbook-multiget>"#
            );
            let (status, text) =
                self.send("REPORT", &self.book, Some("1"), body, "application/xml").await;
            assert_eq!(status, 207, "{text}");
            n += text.matches("BEGIN:VCARD").count();
        }
        n
    }

    /// PUTs cards with `clients` connections at once.
    async fn put_all(&self, cards: Vec<(String, String)>, clients: usize) {
        let chunk = cards.len().div_ceil(clients);
        let mut tasks = Vec::new();
        for part in cards.chunks(chunk).map(|c| c.to_vec()) {
            let t = self.clone();
            tasks.push(tokio::spawn(async move {
                for (name, card) in part {
                    let (status, text) = t
                        .send(
                            "PUT",
                            &format!("{}{name}", t.book),
                            None,
                            card,
                            "text/vcard; charset=utf-8",
                        )
                        .await;
                    assert!(status == 201 || status == 204, "{status} {text}");
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
}

fn cards(gen: &mut Gen, from: usize, n: usize) -> Vec<(String, String)> {
    (from..from + n)
        .map(|i| {
            let uid = format!("0190f5a4-3c1e-7cc2-9d1e-{i:012}");
            (format!("{uid}.vcf"), write_vcard(&uid, &gen.contact(i), VcardVersion::V3))
        })
        .collect()
}

#[derive(Default, Debug, Clone, Copy)]
struct Figures {
    first_sync: f64,
    /// The first of the first syncs: nothing served before.
    cold: f64,
    incremental_ms: f64,
    puts: f64,
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

/// The three measurements on one server: `book` must be empty at first. The first `over_http`
/// cards are PUT (and the time for all `N` projected from them); `seed` stores the others
/// another way.
async fn measure(
    name: &str,
    t: &Target,
    over_http: usize,
    seed: impl Fn(&[(String, String)]),
    edit: impl AsyncFn(usize),
) -> Figures {
    let mut gen = Gen::new(7);
    let all = cards(&mut gen, 0, N);
    let start = Instant::now();
    t.put_all(all[..over_http].to_vec(), 4).await;
    let took = start.elapsed().as_secs_f64();
    let puts = took * N as f64 / over_http as f64;
    if over_http == N {
        println!("{name}: {N} PUTs (4 clients): {puts:.2} s ({:.0}/s)", N as f64 / puts);
    } else {
        println!(
            "{name}: {over_http} PUTs (4 clients) into an empty book: {took:.2} s ({:.0}/s; {N} projected at that rate: {puts:.1} s); the other {} stored directly",
            over_http as f64 / took,
            N - over_http
        );
    }
    seed(&all[over_http..]);

    let mut first = Vec::new();
    let mut listing = Vec::new();
    let mut token = String::new();
    // Five runs: timings on these shared VMs vary by up to 2× from one second to the next.
    for _ in 0..FIRST_SYNC_RUNS {
        let start = Instant::now();
        let (hrefs, tok) = t.sync("").await;
        listing.push(start.elapsed());
        assert_eq!(hrefs.len(), N, "{name}: first sync lists every card");
        assert_eq!(t.multiget(&hrefs).await, N);
        first.push(start.elapsed());
        token = tok;
    }
    // The same sync-collection without reading its answer (what the server and transfer cost).
    let mut raw = Vec::new();
    for _ in 0..3 {
        let body = r#"<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#;
        let start = Instant::now();
        let (status, text) =
            t.send("REPORT", &t.book, Some("1"), body.to_string(), "application/xml").await;
        assert_eq!(status, 207);
        assert!(text.len() > N * 50);
        raw.push(start.elapsed());
    }
    println!(
        "{name}: the first sync-collection's request alone (not parsed): {:.1} ms",
        median(raw)
    );
    let first_sync = median(first.clone()) / 1000.0;
    let (fastest, slowest) =
        (first.iter().min().unwrap().as_secs_f64(), first.iter().max().unwrap().as_secs_f64());
    let cold = first[0].as_secs_f64();
    println!(
        "{name}: first sync of {N} (sync-collection + multiget by {BATCH}): {first_sync:.3} s (median of {FIRST_SYNC_RUNS}, {fastest:.3}–{slowest:.3} s; the sync-collection alone {:.1} ms); the first run, before any card was served: {cold:.3} s",
        median(listing)
    );

    let mut incr = Vec::new();
    let mut split = Vec::new();
    for round in 0..5 {
        for k in 0..10 {
            edit(round * 10 + k).await;
        }
        let start = Instant::now();
        let (hrefs, tok) = t.sync(&token).await;
        split.push(start.elapsed());
        assert!(hrefs.len() >= 10, "{name}: {} changes listed", hrefs.len());
        t.multiget(&hrefs).await;
        incr.push(start.elapsed());
        token = tok;
    }
    let incremental_ms = median(incr);
    println!("{name}: incremental sync after 10 changes: {incremental_ms:.2} ms (median of 5; sync-collection {:.2} ms)", median(split));
    Figures { first_sync, cold, incremental_ms, puts }
}

/// Where the time of a first sync goes, in process (medians of 5).
async fn breakdown(s: &TestServer, account: domain::AccountId, token: &str) {
    let store = &s.store;
    let time = |f: Duration| f.as_secs_f64() * 1000.0;
    let mut heads = Vec::new();
    let mut xml = Vec::new();
    let mut resolve = Vec::new();
    let mut render = Vec::new();
    let mut sign_in = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let rows =
            store.feed_heads(account, store::Since::Start, usize::MAX - 1).await.unwrap().items;
        heads.push(t.elapsed());
        let t = Instant::now();
        let mut ms = carddav::response::Multistatus::with_capacity(rows.len());
        for r in &rows {
            let id = *r.id.as_uuid();
            ms.push(&carddav::response::Entry::Props {
                href: carddav::paths::card_href(
                    "bench",
                    carddav::paths::BOOK,
                    &format!("{id}.vcf"),
                ),
                propstats: vec![carddav::response::Propstat {
                    status: 200,
                    props: vec![(
                        carddav::xml::Name::dav("getetag"),
                        carddav::response::Value::Text(carddav::card::contact_etag(
                            &id, r.revision,
                        )),
                    )],
                }],
            });
        }
        let body = ms.finish(Some("t"));
        xml.push(t.elapsed());
        assert!(body.len() > 100);
        let hrefs: Vec<String> = rows.iter().take(100).map(|r| format!("{}.vcf", r.id)).collect();
        let refs: Vec<&str> = hrefs.iter().map(String::as_str).collect();
        let t = Instant::now();
        let found = store.dav_resolve(account, &refs, true).await.unwrap();
        resolve.push(t.elapsed());
        let t = Instant::now();
        store.device_by_token(token).await.unwrap().unwrap();
        sign_in.push(t.elapsed());
        let names = carddav::book::Names::default();
        let t = Instant::now();
        for item in found.states.values() {
            carddav::book::render(item, &names, None, VcardVersion::V3, 1 << 20).unwrap();
        }
        render.push(t.elapsed());
    }
    let m = |v: Vec<Duration>| {
        let mut v = v;
        v.sort();
        time(v[v.len() / 2])
    };
    println!(
        "rolo, in process: {N} rows' metadata {:.1} ms; their multistatus {:.1} ms; resolving and opening 100 cards {:.2} ms; writing 100 vCards {:.2} ms",
        m(heads),
        m(xml),
        m(resolve),
        m(render)
    );
    println!("rolo, in process: a device sign-in when not cached {:.2} ms", m(sign_in));
}

fn radicale_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("ROLO_RADICALE") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var("HOME").ok()?;
    let p = PathBuf::from(home).join(".cache/rolo/tools/dav-venv/bin/radicale");
    p.exists().then_some(p)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let s = TestServer::start().await;
    let http = Client::builder().pool_max_idle_per_host(8).build().unwrap();

    // Rolo.
    let a = s.account("bench", "bench-password-1").await;
    let (_, token) = s.store.create_device(a.id, "phone", DeviceKind::Phone).await.unwrap();
    let rolo = Target {
        http: http.clone(),
        base: s.url.clone(),
        book: "/dav/addressbooks/bench/contacts/".into(),
        user: "bench".into(),
        pass: token.clone(),
    };
    let store = s.store.clone();
    let edit_rolo = async |i: usize| {
        let id = domain::ContactId::parse(&format!("0190f5a4-3c1e-7cc2-9d1e-{i:012}")).unwrap();
        let c = store.get_contact(a.id, id).await.unwrap();
        let mut data = c.data.clone();
        data.notes = format!("edited {i}");
        store.update_contact(a.id, id, c.revision, &data, Origin::Console).await.unwrap();
    };
    let r = measure("rolo", &rolo, N, |_| {}, edit_rolo).await;
    // The runs above after the first find the cards served before in memory. A Rolo instance
    // just started on the same database has nothing there: the first sync at its slowest.
    let mut cold = Vec::new();
    for _ in 0..3 {
        let fresh = s.beside().await;
        let t = Target { base: fresh.url.clone(), ..rolo.clone() };
        let start = Instant::now();
        let (hrefs, _) = t.sync("").await;
        assert_eq!(t.multiget(&hrefs).await, N);
        cold.push(start.elapsed());
        fresh.shutdown().await;
    }
    let cold_first_sync = median(cold.clone()) / 1000.0;
    println!(
        "rolo: first sync of {N} on an instance just started (no card in memory): {cold_first_sync:.3} s (median of 3, {:.3}–{:.3} s)",
        cold.iter().min().unwrap().as_secs_f64(),
        cold.iter().max().unwrap().as_secs_f64()
    );
    breakdown(&s, a.id, &token).await;
    // The server's share of a multiget: the same requests straight into the router.
    {
        use tower::ServiceExt;
        let state = carddav::DavState::new(s.store.clone(), carddav::DavConfig::default());
        let router = carddav::router(state.clone());
        let (hrefs, _) = rolo.sync("").await;
        let auth = format!("Basic {}", {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!("bench:{token}"))
        });
        // Each batch twice: first read from the store, then served from memory.
        let mut v = Vec::new();
        let mut kept = Vec::new();
        for pass in 0..2 {
            for k in 0..50 {
                let list: String = hrefs[k * 100..k * 100 + 100]
                    .iter()
                    .map(|h| format!("<d:href>{h}</d:href>"))
                    .collect();
                let body = format!(
                    r#"<?xml version="1.0" encoding="utf-8"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop>{list}</c:addressbook-multiget>"#
                );
                let req = axum::http::Request::builder()
                    .method("REPORT")
                    .uri(&rolo.book)
                    .header("Authorization", &auth)
                    .header("Depth", "1")
                    .body(axum::body::Body::from(body))
                    .unwrap();
                let start = Instant::now();
                let resp = router.clone().oneshot(req).await.unwrap();
                let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
                if pass == 0 {
                    v.push(start.elapsed());
                } else {
                    kept.push(start.elapsed());
                }
                assert!(bytes.len() > 10_000);
            }
        }
        println!(
            "rolo, in process: a multiget of 100 through the CardDAV router, without TCP or a client: {:.2} ms (median of 50); the same served again from memory: {:.2} ms ({} bytes of memory a card)",
            median(v),
            median(kept),
            state.cards.bytes() / 5000
        );
    }

    // Incremental sync in a 50,000-contact book: it must not cost more than in a small one.
    let big = s.account("big", "bench-password-1").await;
    let mut gen = Gen::new(9);
    let items: Vec<_> = (0..50_000).map(|i| (None, gen.contact(i))).collect();
    for chunk in items.chunks(5000) {
        s.store.create_contacts(big.id, chunk, Origin::Cli).await.unwrap();
    }
    let (_, token) = s.store.create_device(big.id, "phone", DeviceKind::Phone).await.unwrap();
    let bigt = Target {
        http: http.clone(),
        base: s.url.clone(),
        book: "/dav/addressbooks/big/contacts/".into(),
        user: "big".into(),
        pass: token,
    };
    let (_, mut tok) = bigt
        .sync(&format!("http://rolo.invalid/sync/{}", s.store.current_seq(big.id).await.unwrap()))
        .await;
    let ids: Vec<domain::ContactId> =
        s.store.list_contacts(big.id).await.unwrap().into_iter().take(50).map(|c| c.id).collect();
    let mut lat = Vec::new();
    let mut split = Vec::new();
    for round in 0..5 {
        for id in &ids[round * 10..round * 10 + 10] {
            let c = s.store.get_contact(big.id, *id).await.unwrap();
            s.store
                .update_contact(big.id, *id, c.revision, &c.data, Origin::Console)
                .await
                .unwrap();
        }
        let start = Instant::now();
        let (hrefs, t2) = bigt.sync(&tok).await;
        let listed = start.elapsed();
        bigt.multiget(&hrefs).await;
        lat.push(start.elapsed());
        split.push(listed);
        tok = t2;
    }
    println!(
        "rolo: incremental sync after 10 changes in a 50,000-contact book: {:.2} ms (median of 5; sync-collection {:.2} ms)",
        median(lat),
        median(split)
    );

    // Radicale, when installed.
    match radicale_bin().filter(|_| std::env::var("ROLO_BENCH_NO_RADICALE").is_err()) {
        None => println!("radicale: not installed (scripts/dav-tools.sh); no ratios"),
        Some(bin) => {
            let dir = tempfile::tempdir().unwrap();
            let port =
                std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let config = dir.path().join("config");
            std::fs::write(
                &config,
                format!(
                    "[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n[rights]\ntype = owner_only\n[storage]\nfilesystem_folder = {}\n[logging]\nlevel = warning\n",
                    dir.path().join("collections").display()
                ),
            )
            .unwrap();
            let mut child = std::process::Command::new(&bin)
                .arg("--config")
                .arg(&config)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let base = format!("http://127.0.0.1:{port}");
            let rad = Target {
                http: http.clone(),
                base: base.clone(),
                book: "/bench/contacts/".into(),
                user: "bench".into(),
                pass: "x".into(),
            };
            let mut up = false;
            for _ in 0..100 {
                if http.get(format!("{base}/")).send().await.is_ok() {
                    up = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(up, "radicale did not start");
            let mkcol = r#"<?xml version="1.0" encoding="utf-8"?><d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype><d:collection/><c:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>"#;
            let _ = rad.send("MKCOL", "/bench/", None, String::new(), "application/xml").await;
            let (status, text) =
                rad.send("MKCOL", "/bench/contacts/", None, mkcol.into(), "application/xml").await;
            assert_eq!(status, 201, "{text}");
            let mut gen = Gen::new(7);
            let edit_rad = {
                let rad = rad.clone();
                let all = cards(&mut gen, 0, N);
                async move |i: usize| {
                    let (name, card) = &all[i];
                    let card = card.replace("END:VCARD", &format!("NOTE:edited {i}\r\nEND:VCARD"));
                    rad.send("PUT", &format!("{}{name}", rad.book), None, card, "text/vcard").await;
                }
            };
            // Radicale slows down as its collection grows (about 9 PUTs/s past 4,000 cards here):
            // PUT the first 1,000 and write the rest into its storage folder.
            let folder = dir.path().join("collections/collection-root/bench/contacts");
            let seed = |rest: &[(String, String)]| {
                for (name, card) in rest {
                    std::fs::write(folder.join(name), card).unwrap();
                }
            };
            let q = measure("radicale", &rad, 1000, seed, edit_rad).await;
            let _ = child.kill();
            let _ = child.wait();
            println!(
                "ratios (radicale / rolo): first sync {:.1}× (the first runs, before either served a card: {:.1}×; Radicale's median against Rolo on an instance just started: {:.1}×), incremental sync {:.1}×, {N} PUTs {:.1}× (Radicale's projected from its first 1,000)",
                q.first_sync / r.first_sync,
                q.cold / r.cold,
                q.first_sync / cold_first_sync,
                q.incremental_ms / r.incremental_ms,
                q.puts / r.puts
            );
        }
    }
    s.shutdown().await;
}
