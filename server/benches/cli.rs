//! `rolo import` and `rolo export` as a user runs them: `cargo bench -p server --bench cli`.
//!
//! Writes a 100,000-row CSV (Google Contacts columns, generated mixed Chinese and Latin
//! contacts), then runs the release `rolo` binary as whole processes on a fresh SQLite data
//! directory: `rolo import` of the file, then `rolo export` in every format. Prints each
//! process's wall time and peak resident memory. Targets: import and every
//! export ≤ 1.5 s, peak memory ≤ 100 MB.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::Instant;

use domain::generate::Gen;
use interchange::csv::CsvWriter;
use interchange::{Columns, Layout, Record};

const N: usize = 100_000;

/// Runs the command to its end: (wall seconds, peak resident memory in MB, peak private memory
/// in MB, stderr). The first is the process's own high-water mark (`VmHWM`, which starts afresh
/// at `exec`; it counts the pages of the database file SQLite maps, which are the kernel's page
/// cache, shared and dropped at will); the second the most anonymous memory (`RssAnon`: heap
/// and stacks, what the process itself holds) seen, read every few milliseconds while it runs.
fn run(cmd: &mut Command) -> (f64, f64, f64, String) {
    let err = tempfile::NamedTempFile::new().unwrap();
    cmd.stderr(err.reopen().unwrap()).stdout(std::process::Stdio::null());
    let t = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let mut anon_kb = 0u64;
    let field = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            peak_kb = peak_kb.max(field(&text, "VmHWM:").unwrap_or(0));
            anon_kb = anon_kb.max(field(&text, "RssAnon:").unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(3));
    };
    let secs = t.elapsed().as_secs_f64();
    let stderr = std::fs::read_to_string(err.path()).unwrap_or_default();
    assert!(status.success(), "{cmd:?} failed: {stderr}");
    (secs, peak_kb as f64 / 1024.0, anon_kb as f64 / 1024.0, stderr)
}

fn main() {
    let rolo = env!("CARGO_BIN_EXE_rolo");
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("contacts.csv");
    let mut gen = Gen::new(7);
    let contacts = gen.book(N);
    let mut w = CsvWriter::new(Vec::new(), Layout::Google, Columns::fit(&contacts)).unwrap();
    for data in &contacts {
        w.write(&Record { uid: "", data, groups: &[] }).unwrap();
    }
    let csv = w.finish().unwrap();
    drop(contacts);
    std::fs::write(&csv_path, &csv).unwrap();
    println!("{N}-row CSV, {:.1} MB; rolo = {rolo}", csv.len() as f64 / 1e6);

    let data = dir.path().join("data");
    let password = dir.path().join("password");
    std::fs::write(&password, "bench-password-1\n").unwrap();
    let rolo_cmd = |args: &[&str]| {
        let mut c = Command::new(rolo);
        c.args(args).env("ROLO_DATA_DIR", &data).env("ROLO_LOG", "warn");
        for var in ["ROLO_DATABASE_URL", "ROLO_MASTER_KEY", "ROLO_MASTER_KEY_FILE"] {
            c.env_remove(var);
        }
        c
    };
    let (secs, _, _, _) = run(&mut rolo_cmd(&["account", "list"]));
    println!("rolo account list (a process's start, the database opened): {secs:.2} s");
    run(&mut rolo_cmd(&[
        "account",
        "create",
        "bench",
        "--password-file",
        password.to_str().unwrap(),
    ]));

    let (secs, mb, anon, _) =
        run(&mut rolo_cmd(&["import", "--account", "bench", csv_path.to_str().unwrap()]));
    println!(
        "rolo import: {N} rows in {secs:.2} s, peak {anon:.0} MB private, {mb:.0} MB resident (targets: ≤ 1.5 s, ≤ 100 MB)"
    );

    for format in ["csv", "google-csv", "outlook-csv", "xlsx", "xlsx-groups", "vcf", "vcf3"] {
        let out = dir.path().join(format!("export-{format}"));
        let (secs, mb, anon, _) = run(&mut rolo_cmd(&[
            "export",
            "--account",
            "bench",
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
        ]));
        let size = std::fs::metadata(&out).unwrap().len() as f64 / 1e6;
        println!(
            "rolo export --format {format}: {size:.1} MB in {secs:.2} s, peak {anon:.0} MB private, {mb:.0} MB resident (targets: ≤ 1.5 s, ≤ 100 MB)"
        );
    }
}
