//! Sharing at scale (SQLite, encrypted store, real server on loopback): a 10,000-contact company
//! directory shared with 1,000 accounts is stored once, and one recipient's CardDAV first and
//! incremental syncs cost what a book of its own would; the console's index and CardDAV's card
//! memory hold the shared book once however many recipients read it.
//! Run: `cargo bench -p server --bench sharing`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/common.rs"]
mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use domain::generate::Gen;
use domain::{DeviceKind, Grantee, Origin, Username};
use reqwest::{Client, Method};

const N: usize = 10_000;
const RECIPIENTS: usize = 1_000;
const SIGNED_IN: usize = 100;
const BATCH: usize = 100;

struct Dav {
    http: Client,
    base: String,
    book: String,
    user: String,
    pass: String,
}

impl Dav {
    async fn report(&self, body: String) -> String {
        let r = self
            .http
            .request(Method::from_bytes(b"REPORT").unwrap(), format!("{}{}", self.base, self.book))
            .basic_auth(&self.user, Some(&self.pass))
            .header("Depth", "1")
            .header("Content-Type", "application/xml")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 207);
        r.text().await.unwrap()
    }

    /// sync-collection from `token`, then multiget of what it lists: (cards, new token).
    async fn sync(&self, token: &str) -> (usize, String) {
        let text = self.report(format!(
            r#"<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#
        )).await;
        let root = carddav::xml::parse(&text).unwrap();
        let dav = carddav::xml::DAV;
        let hrefs: Vec<String> = root
            .children_named(dav, "response")
            .filter(|r| r.children_named(dav, "propstat").next().is_some())
            .filter_map(|r| r.child(dav, "href").map(|h| h.text.trim().to_string()))
            .collect();
        let token = root.child(dav, "sync-token").map(|t| t.text.trim().to_string()).unwrap();
        let mut cards = 0;
        for batch in hrefs.chunks(BATCH) {
            let list: String = batch.iter().map(|h| format!("<d:href>{h}</d:href>")).collect();
            let text = self.report(format!(
                r#"<?xml version="1.0" encoding="utf-8"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop>{list}</c:addressbook-multiget>"#
            )).await;
            cards += text.matches("BEGIN:VCARD").count();
        }
        (cards, token)
    }
}

/// The SQLite database and its WAL, in MB.
fn db_mb(s: &TestServer) -> f64 {
    ["rolo.db", "rolo.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(s.data_dir().join(f)).ok())
        .map(|m| m.len() as f64)
        .sum::<f64>()
        / 1e6
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// First sync (three runs) and incremental sync after 10 changes (three rounds), in ms.
async fn syncs(name: &str, dav: &Dav, edit: impl AsyncFn(usize)) -> (f64, f64) {
    let mut first = Vec::new();
    let mut token = String::new();
    for _ in 0..3 {
        let start = Instant::now();
        let (cards, tok) = dav.sync("").await;
        first.push(start.elapsed());
        assert_eq!(cards, N, "{name}: every card");
        token = tok;
    }
    let mut incr = Vec::new();
    for round in 0..3 {
        for k in 0..10 {
            edit(round * 10 + k).await;
        }
        let start = Instant::now();
        let (cards, tok) = dav.sync(&token).await;
        incr.push(start.elapsed());
        assert!(cards >= 10, "{name}: {cards} changed cards");
        token = tok;
    }
    let (f, i) = (median(first), median(incr));
    println!("{name}: CardDAV first sync of {N}: {f:.0} ms; incremental after 10 changes: {i:.1} ms (medians of 3)");
    (f, i)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let s = TestServer::start().await;
    let http = Client::builder().pool_max_idle_per_host(8).build().unwrap();
    let admin = s
        .store
        .create_account(&Username::parse("root").unwrap(), "root-password-1", true)
        .await
        .unwrap();
    let dir = s.store.create_directory(admin.id, "Company", "").await.unwrap();
    let d = s.store.open_book(admin.id, dir.id).await.unwrap();
    let mut gen = Gen::new(11);
    let items: Vec<_> = (0..N).map(|i| (None, gen.contact(i))).collect();
    for chunk in items.chunks(5000) {
        s.store.create_contacts(d, chunk, Origin::Cli).await.unwrap();
    }
    let with_directory = db_mb(&s);
    s.store.share_book(d, &Grantee::Everyone, false).await.unwrap();
    println!("database: {with_directory:.1} MB with the {N}-contact directory alone");

    // 1,000 recipients (and one account with a book of its own of the same size).
    let start = Instant::now();
    let mut recipients = Vec::with_capacity(RECIPIENTS);
    for i in 0..RECIPIENTS {
        let name = format!("user{i:04}");
        recipients.push(s.account(&name, "user-password-1").await);
    }
    println!("{RECIPIENTS} accounts made in {:.1} s", start.elapsed().as_secs_f64());
    let own = s.account("owner", "owner-password-1").await;
    let mut gen = Gen::new(11);
    let items: Vec<_> = (0..N).map(|i| (None, gen.contact(i))).collect();
    for chunk in items.chunks(5000) {
        s.store.create_contacts(own.id, chunk, Origin::Cli).await.unwrap();
    }

    // Stored once: sharing with every account adds one row, not a copy per reader.
    println!(
        "database: {:.1} MB with the {N}-contact directory, {RECIPIENTS} accounts sharing it and one {N}-contact book of its own (each stored once; the share is one row)",
        db_mb(&s)
    );

    // One recipient's syncs of the shared directory, against the same of its own book.
    let who = &recipients[RECIPIENTS / 2];
    let (_, token) = s.store.create_device(who.id, "phone", DeviceKind::Phone).await.unwrap();
    let shared = Dav {
        http: http.clone(),
        base: s.url.clone(),
        book: format!("/dav/addressbooks/{}/{}/", who.username, dir.id),
        user: who.username.to_string(),
        pass: token,
    };
    let store = s.store.clone();
    let edit_dir = async |i: usize| {
        let all = store.all_contacts(d).await.unwrap();
        let c = &all[i];
        let mut data = c.data.clone();
        data.notes = format!("edited {i}");
        store.update_contact(d, c.id, c.revision, &data, Origin::Cli).await.unwrap();
    };
    let (sf, si) = syncs("a recipient of the shared directory", &shared, edit_dir).await;
    let (_, token) = s.store.create_device(own.id, "phone", DeviceKind::Phone).await.unwrap();
    let mine = Dav {
        http: http.clone(),
        base: s.url.clone(),
        book: "/dav/addressbooks/owner/contacts/".into(),
        user: "owner".into(),
        pass: token,
    };
    let edit_own = async |i: usize| {
        let all = store.all_contacts(own.id).await.unwrap();
        let c = &all[i];
        let mut data = c.data.clone();
        data.notes = format!("edited {i}");
        store.update_contact(own.id, c.id, c.revision, &data, Origin::Cli).await.unwrap();
    };
    let (of, oi) = syncs("an account's own book", &mine, edit_own).await;
    println!("shared / own: first sync {:.2}×, incremental {:.2}×", sf / of, si / oi);

    // 100 recipients at once: the console's index and CardDAV's card memory hold the book once.
    let before = rss_mb();
    let directory = directory::Directory::new(s.store.clone(), 64);
    let mut scopes = Vec::new();
    for r in &recipients[..SIGNED_IN] {
        scopes.push(s.store.open_book(r.id, dir.id).await.unwrap());
    }
    let start = Instant::now();
    for scope in &scopes {
        let q = directory::ListQuery {
            q: String::new(),
            group: None,
            sort: views::ListSort::Name,
            offset: 0,
            limit: 50,
        };
        let page = directory.page(*scope, &q).await.unwrap();
        assert_eq!(page.total, N);
    }
    let after = rss_mb();
    println!(
        "the console's list for {SIGNED_IN} recipients of the directory: {:.0} ms in all; server memory {before:.0} → {after:.0} MB (+{:.0} MB: one index of {N} contacts, not {SIGNED_IN})",
        start.elapsed().as_secs_f64() * 1000.0,
        after - before
    );
    s.shutdown().await;
}
