//! Import/export benchmark: `cargo bench -p transfer --bench transfer`. Prints figures.
//!
//! 1. generates a 100,000-row CSV (Google Contacts columns, mixed Chinese and Latin names);
//! 2. imports it into a fresh SQLite store (sealed with AES-256-GCM, change-logged);
//! 3. exports the 100,000 contacts to CSV, to xlsx and to vCard 4.
//!
//! After each stage: the stage's peak resident memory (VmHWM, reset between stages through
//! `/proc/self/clear_refs`) and the resident memory now (VmRSS).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use domain::{ContactData, ContactDraft, LabeledDraft, Username};
use interchange::csv::CsvWriter;
use interchange::{Columns, Layout, Record};
use store_sqlite::SqliteBackend;
use transfer::{ExportFormat, ExportOptions, ImportOptions, Limits, Selection, VcardVersion};

const N: usize = 100_000;

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(|l| l[field.len()..].trim().to_string()))
        .unwrap_or_else(|| "?".into())
}

/// Prints the stage's peak and current memory, then starts a new peak.
fn memory(stage: &str) {
    println!("    memory after {stage}: peak (VmHWM) {}, now (VmRSS) {}", status("VmHWM:"), status("VmRSS:"));
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    memory("start");

    let t = Instant::now();
    let contacts = Gen::new(42).book(N);
    let columns = Columns::fit(&contacts);
    let mut w = CsvWriter::new(Vec::new(), Layout::Google, columns).unwrap();
    for data in &contacts {
        w.write(&Record { uid: "", data, groups: &[] }).unwrap();
    }
    let csv = w.finish().unwrap();
    drop(contacts);
    println!("generate: {N} rows of CSV, {:.1} MB, in {:.2} s", csv.len() as f64 / 1e6, t.elapsed().as_secs_f64());
    memory("generating");

    let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
    let store = store::contract::store_on(Arc::new(SqliteBackend::connect(&url).await.unwrap())).await;
    let account = store.create_account(&Username::parse("bench").unwrap(), "bench-password-1", false).await.unwrap().id;

    let t = Instant::now();
    let options = ImportOptions { limits: Limits { max_bytes: 200 << 20, max_rows: 200_000 }, ..Default::default() };
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
        let n = transfer::export(&store, account, &ExportOptions { format, selection: Selection::All }, file).await.unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(n, count);
        let size = std::fs::metadata(&path).unwrap().len();
        println!("export {name}: {n} contacts, {:.1} MB, in {secs:.2} s (reading and decrypting included); target ≤ 3 s", size as f64 / 1e6);
        memory(&format!("export {name}"));
    }

    let t = Instant::now();
    let n = transfer::export(&store, account, &ExportOptions { format: ExportFormat::Csv(Layout::Rolo), selection: Selection::All }, std::io::sink())
        .await
        .unwrap();
    println!("export CSV again ({n} contacts, to nowhere) in {:.2} s", t.elapsed().as_secs_f64());
    memory("export CSV again");
    let t = Instant::now();
    let all = store.list_contacts(account).await.unwrap();
    println!("(for comparison: list_contacts, reading and decrypting {} contacts, {:.2} s)", all.len(), t.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------------------------
// Generated contacts (the idea of server/src/generate.rs: deterministic, varied)
// ---------------------------------------------------------------------------------------------

const CN_FAMILY: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "欧阳", "诸葛"];
const CN_GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "晓明", "志强", "海燕", "建华", "子涵", "雨欣", "浩然", "梓萱"];
const LATIN_GIVEN: &[&str] = &["Ada", "Alan", "Grace", "Linus", "Ken", "Barbara", "Dennis", "Margaret", "Edsger", "Donald", "Frances", "John", "Radia", "Tim", "Hedy", "Claude", "Sophie", "Lucas", "Emma", "Noah", "Olivia", "Mateo", "Amelia", "Hugo", "Chloé", "Jörg", "Zoë", "Yusuf", "Priya", "Kenji"];
const LATIN_FAMILY: &[&str] = &["Lovelace", "Turing", "Hopper", "Torvalds", "Thompson", "Liskov", "Ritchie", "Hamilton", "Dijkstra", "Knuth", "Allen", "McCarthy", "Perlman", "Berners-Lee", "Lamarr", "Shannon", "Martin", "Bernard", "Müller", "Schmidt", "García", "Rossi", "Dubois", "Nakamura", "Kowalski", "Andersen", "O'Brien", "Smith", "Johnson", "Brown"];
const ORGS: &[&str] = &["", "", "Acme", "Initech", "华为", "腾讯", "Globex", "阿里巴巴", "Umbrella", "小米", "Stark Industries", ""];
const CITIES: &[(&str, &str)] = &[("北京", "中国"), ("上海", "中国"), ("深圳", "中国"), ("London", "UK"), ("Paris", "France"), ("Berlin", "Germany")];

struct Gen(u64);

impl Gen {
    fn new(seed: u64) -> Self {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }

    fn contact(&mut self, i: usize) -> ContactData {
        let chinese = self.below(10) < 6;
        let (family, given) = if chinese {
            (self.pick(CN_FAMILY).to_string(), self.pick(CN_GIVEN).to_string())
        } else {
            (self.pick(LATIN_FAMILY).to_string(), self.pick(LATIN_GIVEN).to_string())
        };
        let phone = if chinese {
            format!("+86 1{}{} {} {}", 3 + self.below(7), self.digits(1), self.digits(4), self.digits(4))
        } else {
            format!("+1 (555) {}-{}", self.digits(3), self.digits(4))
        };
        let mut phones = vec![LabeledDraft { label: "mobile".into(), value: phone }];
        if self.below(4) == 0 {
            phones.push(LabeledDraft { label: "work".into(), value: format!("010 {} {}", self.digits(4), self.digits(4)) });
        }
        let mut addresses = Vec::new();
        if self.below(3) == 0 {
            let (city, country) = CITIES[self.below(CITIES.len())];
            addresses.push(domain::AddressDraft {
                label: "home".into(),
                street: format!("{} Example Road", 1 + self.below(300)),
                locality: city.into(),
                country: country.into(),
                ..Default::default()
            });
        }
        ContactDraft {
            family_name: family,
            given_name: given,
            phones,
            emails: vec![LabeledDraft { label: "home".into(), value: format!("user{i}@example.{}", ["com", "cn", "org"][i % 3]) }],
            addresses,
            organization: self.pick(ORGS).to_string(),
            birthday: if self.below(3) == 0 { format!("19{}-0{}-1{}", 50 + self.below(50), 1 + self.below(9), self.below(10)) } else { String::new() },
            notes: if self.below(5) == 0 { format!("Generated contact #{i}, met at \"the fair\"") } else { String::new() },
            ..Default::default()
        }
        .parse()
        .unwrap_or_default()
    }

    fn book(&mut self, n: usize) -> Vec<ContactData> {
        (0..n).map(|i| self.contact(i)).collect()
    }
}
