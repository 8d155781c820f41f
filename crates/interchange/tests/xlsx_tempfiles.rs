//! The Excel export never writes contacts to a disk in clear: rust_xlsxwriter's constant-memory
//! sheets are buffered only in a RAM-backed directory, and the system temp dir is never used.
//! Its own test binary: it points `TMPDIR` at a directory that does not exist, for the whole
//! process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;

use interchange::xlsx::{analyse, ram_tempdir, read_rows, WorkbookLimits, XlsxWriter};
use interchange::{Columns, Layout, Record};

#[test]
fn xlsx_export_never_uses_the_system_temp_dir() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("no-such-dir");
    std::env::set_var("TMPDIR", &missing);
    assert_eq!(std::env::temp_dir(), missing);

    let data = domain::ContactDraft { display_name: "Ada Lovelace".into(), ..Default::default() }
        .parse()
        .unwrap();
    let mut w = XlsxWriter::new(Layout::Rolo, Columns::default());
    for i in 0..3 {
        w.write(&Record { uid: &format!("uid-{i}"), data: &data, groups: &[] }).unwrap();
    }
    let bytes = w.finish(Cursor::new(Vec::new())).unwrap().into_inner();
    let a = analyse(&bytes, None, &WorkbookLimits::default()).unwrap();
    let rows = read_rows(&bytes, &a, &WorkbookLimits::default()).unwrap();
    assert_eq!(rows.len(), 3);
    assert!(!missing.exists());

    // Where sheets are buffered in files, the directory is a RAM filesystem.
    if let Some(dir) = ram_tempdir() {
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
        let mut fstype = mounts.lines().filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&dir.to_str().unwrap())).then(|| f[2].to_string())
        });
        assert_eq!(fstype.next_back().as_deref(), Some("tmpfs"), "{}", dir.display());
    }
}
