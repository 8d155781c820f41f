//! vdirsyncer's own CardDAV storage tests (tests/storage/dav of its sdist, which
//! scripts/dav-tools.sh extracts) run against a Rolo on a loopback port: a CardDAV client's
//! maintainers' idea of what a server must do, beside this crate's own tests.
//!
//! The suite runs in a temporary copy with Rolo's server class (server/tests/dav/
//! vdirsyncer_server.py) installed as `DAV_SERVER=rolo`. Needs `ROLO_VDIRSYNCER_SUITE` (the
//! extracted sdist, with `tests/`) and `ROLO_DAV_PYTHON` (a Python with vdirsyncer and the
//! suite's test dependencies); `make test` sets both. A missing one fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TestServer;
use domain::DeviceKind;

/// Rolo's server class for the suite, installed as tests/storage/servers/rolo/__init__.py.
const SERVER_MIXIN: &str = include_str!("../dav/vdirsyncer_server.py");

/// The tests that must pass: a card stored and read back as it was written, replaced, at an
/// href that is not ASCII, and two cards whose UIDs differ only in case kept apart.
const MUST_PASS: &[&str] =
    &["test_upload", "test_update", "test_dav_unicode_href", "test_case_sensitive_uids"];

/// Failures accepted, each with its reason. Everything else that fails fails this test.
const ALLOWED_FAILURES: &[&str] = &[];

/// How long the suite may take before it is stopped (it takes seconds).
const SUITE_TIMEOUT: Duration = Duration::from_secs(600);

/// An environment variable naming an existing path; anything else fails the test.
fn required_path(var: &str, what: &str) -> PathBuf {
    let value = std::env::var_os(var).filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!("{var} is not set: it must name {what} (`make test` sets it; scripts/dav-tools.sh installs it)")
    });
    let p = PathBuf::from(value);
    assert!(
        p.exists(),
        "{var}={} does not exist: it must name {what} (run scripts/dav-tools.sh)",
        p.display()
    );
    p
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_dir(&entry.path(), &target);
            }
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs pytest in `dir` with `env`, its output in files (no pipe to fill up); stopped after
/// [`SUITE_TIMEOUT`]. Its exit code and its output (stdout, then stderr).
fn run_suite(python: &Path, dir: &Path, env: &[(&str, String)]) -> (Option<i32>, String) {
    let (out_path, err_path) = (dir.join("pytest.out"), dir.join("pytest.err"));
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "pytest",
        "tests/storage/dav/test_carddav.py",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rA",
        // What the suite's own pyproject.toml sets (it is not copied: it asks for coverage).
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    ])
    .current_dir(dir)
    .env("PYTHONDONTWRITEBYTECODE", "1")
    .stdin(Stdio::null())
    .stdout(std::fs::File::create(&out_path).unwrap())
    .stderr(std::fs::File::create(&err_path).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} (ROLO_DAV_PYTHON): {e}", python.display()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > SUITE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the suite ran over {SUITE_TIMEOUT:?} and was stopped; its output so far:\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = format!(
        "{}{}",
        std::fs::read_to_string(&out_path).unwrap(),
        std::fs::read_to_string(&err_path).unwrap()
    );
    (status.code(), output)
}

/// The test function named in a `-rA` summary line (`FAILED path::Class::test_x[VCARD] - …`),
/// without its parameters.
fn test_name(line: &str) -> &str {
    let id = line.split_whitespace().nth(1).unwrap_or_default();
    let func = id.rsplit("::").next().unwrap_or_default();
    func.split('[').next().unwrap_or_default()
}

/// The section of pytest's output under the header `==== name ====`, to the next header.
fn section(output: &str, name: &str) -> String {
    let header = format!(" {name} ");
    let mut keep = false;
    let mut lines = Vec::new();
    for line in output.lines() {
        if line.starts_with('=') && line.ends_with('=') {
            keep = line.contains(&header);
        }
        if keep {
            lines.push(line);
        }
    }
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vdirsyncer_storage_suite() {
    let suite = required_path(
        "ROLO_VDIRSYNCER_SUITE",
        "the extracted vdirsyncer 0.21.0 sdist (its tests/ directory inside)",
    );
    let suite_tests = suite.join("tests");
    assert!(
        suite_tests.join("storage/dav/test_carddav.py").is_file(),
        "{} has no tests/storage/dav/test_carddav.py: ROLO_VDIRSYNCER_SUITE must name the \
         extracted vdirsyncer sdist (run scripts/dav-tools.sh)",
        suite.display()
    );
    let python = required_path(
        "ROLO_DAV_PYTHON",
        "a Python with vdirsyncer, pytest, pytest-asyncio, aioresponses, hypothesis, \
         pytest-httpserver and trustme",
    );

    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let (_, token) =
        s.store.create_device(alice.id, "vdirsyncer suite", DeviceKind::Pc).await.unwrap();
    let root = format!("{}{}", s.url, carddav::paths::ROOT);

    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&suite_tests, &tmp.path().join("tests"));
    let rolo_dir = tmp.path().join("tests/storage/servers/rolo");
    std::fs::create_dir_all(&rolo_dir).unwrap();
    std::fs::write(rolo_dir.join("__init__.py"), SERVER_MIXIN).unwrap();

    let env = vec![
        ("DAV_SERVER", "rolo".to_string()),
        ("ROLO_DAV_URL", root),
        ("ROLO_DAV_USER", "alice".to_string()),
        ("ROLO_DAV_PASSWORD", token),
    ];
    let dir = tmp.path().to_path_buf();
    let t = Instant::now();
    // pytest is a blocking program: run it off the runtime's worker threads, which serve Rolo.
    let (code, output) =
        tokio::task::spawn_blocking(move || run_suite(&python, &dir, &env)).await.unwrap();
    let elapsed = t.elapsed();
    s.shutdown().await;

    // Exit codes 0 (all passed) and 1 (some failed) are a run; anything else (interrupted,
    // internal error, usage error, nothing collected) is the harness failing.
    assert!(
        matches!(code, Some(0 | 1)),
        "pytest did not run the suite (exit code {code:?}):\n{output}"
    );

    let summary: Vec<&str> = output
        .lines()
        .filter(|l| {
            ["PASSED ", "FAILED ", "ERROR ", "SKIPPED ", "XFAIL ", "XPASS "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    let with = |status: &str| -> Vec<&str> {
        summary.iter().copied().filter(|l| l.starts_with(status)).collect()
    };
    let (passed, failed, errors, skipped) =
        (with("PASSED "), with("FAILED "), with("ERROR "), with("SKIPPED "));
    let skipped_count: usize = skipped
        .iter()
        .map(|l| {
            // `SKIPPED [n] location: reason`
            l.split('[')
                .nth(1)
                .and_then(|r| r.split(']').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(1)
        })
        .sum();
    let failures = section(&output, "FAILURES");
    if !failures.is_empty() {
        eprintln!("{failures}\n");
    }
    let errs = section(&output, "ERRORS");
    if !errs.is_empty() {
        eprintln!("{errs}\n");
    }
    eprintln!("{}", summary.join("\n"));
    eprintln!(
        "vdirsyncer CardDAV suite against Rolo in {elapsed:?}: {} passed, {} failed, {} errors, \
         {skipped_count} skipped — {}",
        passed.len(),
        failed.len(),
        errors.len(),
        output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default()
    );
    assert!(!passed.is_empty(), "no test passed: the run is not what it should be:\n{output}");

    let missing: Vec<&&str> =
        MUST_PASS.iter().filter(|name| !passed.iter().any(|l| test_name(l) == **name)).collect();
    let unexpected: Vec<&str> = failed
        .iter()
        .copied()
        .filter(|l| !ALLOWED_FAILURES.contains(&test_name(l)))
        .chain(errors.iter().copied())
        .collect();
    for name in ALLOWED_FAILURES {
        if passed.iter().any(|l| test_name(l) == *name) {
            eprintln!("note: {name} is allowed to fail but passed: take it off ALLOWED_FAILURES");
        }
    }
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "vdirsyncer's CardDAV suite: these must pass and did not: {missing:?}; these failed \
         (and are not allowed to): {unexpected:#?}\n(the failures' details are \
         printed above)"
    );
}

/// What litmus (the WebDAV suite, Debian package `litmus`) may fail, and why: each is something
/// an address book refuses on purpose, with the standard answer.
const LITMUS_ALLOWED: &[(&str, &str)] = &[
    // An address book holds vCards only (RFC 6352 §5.1): PUT of other bytes is 403
    // `valid-address-data` / 415 `supported-address-data`. Every test that first PUTs a plain
    // file fails at that PUT.
    ("put_get", "PUT of a file that is not a vCard"),
    ("put_get_utf8_segment", "PUT of a file that is not a vCard"),
    ("propinit", "PUT of a file that is not a vCard"),
    ("propmanyns", "PROPPATCH of the file propinit could not PUT"),
    ("copy_init", "PUT of a file that is not a vCard"),
    ("move", "PUT of a file that is not a vCard"),
    // An address book holds no collections (RFC 6352 §5.2): MKCOL inside one is 403
    // `addressbook-collection-location-ok`.
    ("mkcol", "MKCOL inside an address book"),
    ("delete_fragment", "MKCOL inside an address book"),
    ("copy_coll", "MKCOL inside an address book"),
    ("copy_shallow", "MKCOL inside an address book"),
    ("move_coll", "MKCOL inside an address book"),
];

/// The least each litmus suite must pass (of the tests it runs).
const LITMUS_MIN_PASSED: &[(&str, usize)] = &[("basic", 8), ("props", 9), ("copymove", 5)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litmus_webdav_suites() {
    let litmus = required_path("ROLO_LITMUS", "the litmus program (Debian package litmus)");
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let (_, token) = s.store.create_device(alice.id, "litmus", DeviceKind::Pc).await.unwrap();
    // litmus makes its scratch collection `litmus/` under the URL: an address book in the home.
    let home = format!("{}{}", s.url, carddav::paths::home_href("alice"));
    let tmp = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    let mut unexpected = Vec::new();
    for (suite, min) in LITMUS_MIN_PASSED {
        let (litmus, home, token, dir) =
            (litmus.clone(), home.clone(), token.clone(), tmp.path().to_path_buf());
        let out = tokio::task::spawn_blocking(move || {
            Command::new(litmus)
                .args([home.as_str(), "alice", token.as_str()])
                .env("TESTS", suite)
                .current_dir(dir)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let summary = text
            .lines()
            .find(|l| l.starts_with(&format!("<- summary for `{suite}'")))
            .unwrap_or_else(|| panic!("litmus {suite} printed no summary:\n{text}"))
            .to_string();
        // "<- summary for `basic': of 12 tests run: 8 passed, 4 failed. 66.7%"
        let number = |word: &str| -> usize {
            let before = summary.split(word).next().unwrap_or_default();
            before.split_whitespace().last().and_then(|n| n.parse().ok()).unwrap_or(0)
        };
        let passed = number(" passed");
        for line in text.lines().filter(|l| l.contains(" FAIL")) {
            // "…\r 3. put_get............... FAIL (…)": the name is the word before FAIL.
            let before = line.split(" FAIL").next().unwrap_or_default();
            let name = before.split_whitespace().last().unwrap_or_default().trim_end_matches('.');
            if !LITMUS_ALLOWED.iter().any(|(n, _)| *n == name) {
                unexpected
                    .push(format!("{suite}: {}", line.rsplit('\r').next().unwrap_or(line).trim()));
            }
        }
        if passed < *min {
            unexpected.push(format!("{suite}: {passed} passed, at least {min} must"));
        }
        report.push(summary);
    }
    s.shutdown().await;
    eprintln!("litmus against Rolo:\n{}", report.join("\n"));
    assert!(unexpected.is_empty(), "litmus: {unexpected:#?}");
}
