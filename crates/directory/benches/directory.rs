//! The console with a 50,000-contact account: loading the index, the first list page, each
//! keystroke of a search, the letter index, duplicates, and server memory.
//!
//! cargo bench -p directory --bench directory   (ROLO_BENCH_CONTACTS=… to change the size)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use directory::{Directory, ListQuery};
use domain::generate::Gen;
use domain::{Origin, Username};
use store_sql::SqliteBackend;
use views::ListSort;

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize =
        std::env::var("ROLO_BENCH_CONTACTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
    let store = Arc::new(
        store::contract::store_on(Arc::new(SqliteBackend::connect(&url).await.unwrap())).await,
    );
    let account = store
        .create_account(&Username::parse("bench").unwrap(), "bench-password-1", false)
        .await
        .unwrap()
        .id;

    let t = Instant::now();
    let mut gen = Gen::new(1);
    let mut done = 0;
    while done < n {
        let k = (n - done).min(5_000);
        let items: Vec<_> = (done..done + k).map(|i| (None, gen.contact(i))).collect();
        store.create_contacts(account, &items, Origin::Cli).await.unwrap();
        done += k;
    }
    println!(
        "seed: {n} generated contacts (mixed Chinese and Latin names) in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let before = rss_mb();
    let directory = Directory::new(store.clone(), 16);
    let t = Instant::now();
    let stats = directory.warm(account).await.unwrap();
    println!("index load (read {} contacts, decrypt, build): {:.0} ms", stats.contacts, ms(t));
    println!(
        "server memory for the loaded index: {:.0} MB (RSS {:.0} → {:.0} MB)",
        rss_mb() - before,
        before,
        rss_mb()
    );

    let page = |q: &str, offset: usize| ListQuery {
        q: q.to_string(),
        group: None,
        sort: ListSort::Name,
        offset,
        limit: 100,
    };
    let t = Instant::now();
    let first = directory.page(account, &page("", 0)).await.unwrap();
    println!(
        "first list page (100 of {}, sorted by name, letter index of {} letters): {:.1} ms",
        first.total,
        first.letters.len(),
        ms(t)
    );
    let t = Instant::now();
    let _ = directory.page(account, &page("", 0)).await.unwrap();
    println!("list page again (order cached): {:.1} ms", ms(t));
    let t = Instant::now();
    let _ = directory.page(account, &page("", 30_000.min(n / 2))).await.unwrap();
    println!("page at an offset deep in the book: {:.1} ms", ms(t));

    for typed in ["zhangwei", "+86 138", "lovelace", "example.org"] {
        let mut worst: f64 = 0.0;
        let mut total = 0.0;
        let mut hits = 0;
        for end in 1..=typed.len() {
            let q = &typed[..end];
            let t = Instant::now();
            let p = directory.page(account, &page(q, 0)).await.unwrap();
            let took = ms(t);
            worst = worst.max(took);
            total += took;
            hits = p.total;
        }
        println!(
            "search as you type \"{typed}\": {} keystrokes, mean {:.1} ms, worst {:.1} ms per keystroke, {hits} matches at the end",
            typed.len(),
            total / typed.len() as f64,
            worst
        );
    }

    let t = Instant::now();
    let sets = directory.duplicates(account).await.unwrap();
    println!("possible duplicates: {} sets in {:.0} ms", sets.len(), ms(t));

    // One edit made elsewhere, then the next page (catch-up from the change log + re-sort).
    let c =
        store.create_contact(account, None, &gen.contact(n + 1), Origin::Console).await.unwrap();
    let t = Instant::now();
    let p = directory.page(account, &page("", 0)).await.unwrap();
    println!(
        "first page after one change elsewhere (catch up + re-sort): {:.1} ms ({} contacts)",
        ms(t),
        p.all
    );
    let _ = c;
    println!("server RSS at the end: {:.0} MB", rss_mb());
}
