//! Import/export benchmark: `cargo bench -p transfer --bench transfer`. Prints figures.
//!
//! 1. generates a 100,000-row CSV (Google Contacts columns, mixed Chinese and Latin names);
//! 2. imports it into a fresh SQLite store (sealed with AES-256-GCM, change-logged);
//! 3. exports the 100,000 contacts to CSV, to xlsx and to vCard 4.
//!
//! After each stage: the stage's peak resident memory (VmHWM, reset between stages through
//! `/proc/self/clear_refs`) and the resident memory now (VmRSS).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use domain::generate::{Gen, CN_FAMILY, CN_GIVEN, LATIN_FAMILY, LATIN_GIVEN, ORGS};
use domain::{ContactData, ContactDraft, LabeledDraft, Username};
use interchange::csv::CsvWriter;
use interchange::{Columns, Layout, Record};
use store_sql::SqliteBackend;
use transfer::{ExportFormat, ExportOptions, ImportOptions, Limits, Selection, VcardVersion};

const N: usize = 100_000;

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).map(|l| l[field.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// Prints the stage's peak and current memory, then starts a new peak.
fn memory(stage: &str) {
    println!(
        "    memory after {stage}: peak (VmHWM) {}, now (VmRSS) {}",
        status("VmHWM:"),
        status("VmRSS:")
    );
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    memory("start");

    let t = Instant::now();
    let mut gen = Gen::new(42);
    let contacts: Vec<ContactData> = (0..N).map(|i| contact(&mut gen, i)).collect();
    let columns = Columns::fit(&contacts);
    let mut w = CsvWriter::new(Vec::new(), Layout::Google, columns).unwrap();
    for data in &contacts {
        w.write(&Record { uid: "", data, groups: &[] }).unwrap();
    }
    let csv = w.finish().unwrap();
    drop(contacts);
    println!(
        "generate: {N} rows of CSV, {:.1} MB, in {:.2} s",
        csv.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    memory("generating");

    let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
    let store =
        store::contract::store_on(Arc::new(SqliteBackend::connect(&url).await.unwrap())).await;
    let account = store
        .create_account(&Username::parse("bench").unwrap(), "bench-password-1", false)
        .await
        .unwrap()
        .id;

    let t = Instant::now();
    let options = ImportOptions {
        limits: Limits { max_bytes: 200 << 20, max_rows: 200_000 },
        ..Default::default()
    };
    let report = transfer::import(&store, account, &csv, &options, &mut |_| {}).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "import: {N}-row CSV in {secs:.2} s ({:.0} rows/s): {} imported, {} skipped as duplicates, {} failed; target ≤ 3 s",
        N as f64 / secs,
        report.imported,
        report.skipped,
        report.failed.len()
    );
    assert_eq!(report.imported + report.skipped, N, "{:?}", report.failed.first());
    drop(report);
    drop(csv);
    memory("import");
    let count = store.count_contacts(account).await.unwrap() as usize;

    for (name, format) in [
        ("CSV", ExportFormat::Csv(Layout::Rolo)),
        ("xlsx", ExportFormat::Xlsx),
        ("vCard 4", ExportFormat::Vcard(VcardVersion::V4)),
    ] {
        let path = dir.path().join(format!("export.{}", format.extension()));
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let t = Instant::now();
        let n = transfer::export(
            &store,
            account,
            &ExportOptions { format, selection: Selection::All },
            file,
        )
        .await
        .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(n, count);
        let size = std::fs::metadata(&path).unwrap().len();
        println!("export {name}: {n} contacts, {:.1} MB, in {secs:.2} s (reading and decrypting included); target ≤ 3 s", size as f64 / 1e6);
        memory(&format!("export {name}"));
    }

    let t = Instant::now();
    let n = transfer::export(
        &store,
        account,
        &ExportOptions { format: ExportFormat::Csv(Layout::Rolo), selection: Selection::All },
        std::io::sink(),
    )
    .await
    .unwrap();
    println!("export CSV again ({n} contacts, to nowhere) in {:.2} s", t.elapsed().as_secs_f64());
    memory("export CSV again");
    let t = Instant::now();
    let all = store.list_contacts(account).await.unwrap();
    println!(
        "(for comparison: list_contacts, reading and decrypting {} contacts, {:.2} s)",
        all.len(),
        t.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Generated contacts: domain::generate's generator and names, with addresses and birthdays too
// ---------------------------------------------------------------------------------------------

const CITIES: &[(&str, &str)] = &[
    ("北京", "中国"),
    ("上海", "中国"),
    ("深圳", "中国"),
    ("London", "UK"),
    ("Paris", "France"),
    ("Berlin", "Germany"),
];

fn contact(g: &mut Gen, i: usize) -> ContactData {
    let chinese = g.below(10) < 6;
    let (family, given) = if chinese {
        (g.pick(CN_FAMILY).to_string(), g.pick(CN_GIVEN).to_string())
    } else {
        (g.pick(LATIN_FAMILY).to_string(), g.pick(LATIN_GIVEN).to_string())
    };
    let phone = if chinese {
        format!("+86 1{}{} {} {}", 3 + g.below(7), g.digits(1), g.digits(4), g.digits(4))
    } else {
        format!("+1 (555) {}-{}", g.digits(3), g.digits(4))
    };
    let mut phones = vec![LabeledDraft { label: "mobile".into(), value: phone }];
    if g.below(4) == 0 {
        phones.push(LabeledDraft {
            label: "work".into(),
            value: format!("010 {} {}", g.digits(4), g.digits(4)),
        });
    }
    let mut addresses = Vec::new();
    if g.below(3) == 0 {
        let (city, country) = CITIES[g.below(CITIES.len())];
        addresses.push(domain::AddressDraft {
            label: "home".into(),
            street: format!("{} Example Road", 1 + g.below(300)),
            locality: city.into(),
            country: country.into(),
            ..Default::default()
        });
    }
    ContactDraft {
        family_name: family,
        given_name: given,
        phones,
        emails: vec![LabeledDraft {
            label: "home".into(),
            value: format!("user{i}@example.{}", ["com", "cn", "org"][i % 3]),
        }],
        addresses,
        organization: g.pick(ORGS).to_string(),
        birthday: if g.below(3) == 0 {
            format!("19{}-0{}-1{}", 50 + g.below(50), 1 + g.below(9), g.below(10))
        } else {
            String::new()
        },
        notes: if g.below(5) == 0 {
            format!("Generated contact #{i}, met at \"the fair\"")
        } else {
            String::new()
        },
        ..Default::default()
    }
    .parse()
    .unwrap_or_default()
}
