//! Timing: `cargo run --release -p interchange --example bench_csv`.
//! Exports 100,000 generated contacts to CSV and xlsx, then parses the CSV back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::time::Instant;

use domain::{ContactDraft, LabeledDraft};
use interchange::csv::{analyse, read_rows, CsvOptions, CsvWriter};
use interchange::xlsx::XlsxWriter;
use interchange::{Columns, Layout, Record};

fn main() {
    const N: usize = 100_000;
    let contacts: Vec<_> = (0..N)
        .map(|i| {
            ContactDraft {
                family_name: format!("张{i}"),
                given_name: "伟".into(),
                phones: vec![LabeledDraft {
                    label: "mobile".into(),
                    value: format!("+86 138 {:04} {:04}", i / 10_000, i % 10_000),
                }],
                emails: vec![LabeledDraft {
                    label: "work".into(),
                    value: format!("user{i}@example.cn"),
                }],
                organization: "示例科技".into(),
                birthday: "1990-05-17".into(),
                notes: "met, at \"the\" fair; twice".into(),
                ..Default::default()
            }
            .parse()
            .unwrap()
        })
        .collect();
    let uids: Vec<String> = (0..N).map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect();
    let columns = Columns::fit(&contacts);

    let t = Instant::now();
    let mut w = CsvWriter::new(Vec::new(), Layout::Rolo, columns).unwrap();
    for (uid, data) in uids.iter().zip(&contacts) {
        w.write(&Record { uid, data, groups: &[] }).unwrap();
    }
    let csv = w.finish().unwrap();
    println!("export {N} contacts to CSV: {:?} ({} MB)", t.elapsed(), csv.len() / 1_000_000);

    let t = Instant::now();
    let mut x = XlsxWriter::new(Layout::Rolo, columns);
    for (uid, data) in uids.iter().zip(&contacts) {
        x.write(&Record { uid, data, groups: &[] }).unwrap();
    }
    let xlsx = x.finish(Cursor::new(Vec::new())).unwrap().into_inner();
    println!("export {N} contacts to xlsx: {:?} ({} MB)", t.elapsed(), xlsx.len() / 1_000_000);

    let t = Instant::now();
    let analysis = analyse(&csv, &CsvOptions::default()).unwrap();
    let (ok, err) = read_rows(&csv, &analysis).unwrap().fold((0, 0), |(o, e), r| {
        if r.is_ok() {
            (o + 1, e)
        } else {
            (o, e + 1)
        }
    });
    println!("parse {N}-row CSV: {:?} ({ok} rows, {err} errors)", t.elapsed());
    assert_eq!((ok, err), (N, 0));
}
