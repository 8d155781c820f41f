//! The `rolo` binary: account commands, key rotation, and clear failures at startup.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn rolo(data: &Path, args: &[&str], stdin: &str, extra_env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolo"));
    cmd.args(args)
        .env_remove("ROLO_DATABASE_URL")
        .env_remove("ROLO_MASTER_KEY")
        .env_remove("ROLO_MASTER_KEY_FILE")
        .env("ROLO_DATA_DIR", data)
        .env("ROLO_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn err(o: &Output) -> String {
    assert!(!o.status.success(), "unexpected success: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn accounts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(&rolo(d, &["account", "create", "Alice", "--admin"], "alice-password-1\n", &[]));
    assert!(out.contains("Created admin account alice"), "{out}");
    // The key file was generated, private.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(d.join("master.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let pw = d.join("pw");
    std::fs::write(&pw, "bob-password-22\n").unwrap();
    ok(&rolo(d, &["account", "create", "bob", "--password-file", pw.to_str().unwrap()], "", &[]));
    let e = err(&rolo(d, &["account", "create", "bob"], "another-password\n", &[]));
    assert!(e.contains("taken"), "{e}");
    let e = err(&rolo(d, &["account", "create", "carol"], "short\n", &[]));
    assert!(e.contains("at least 8"), "{e}");
    let e = err(&rolo(d, &["account", "create", "bad name"], "whatever-password\n", &[]));
    assert!(e.contains("invalid username"), "{e}");

    ok(&rolo(d, &["account", "disable", "bob"], "", &[]));
    let list = ok(&rolo(d, &["account", "list"], "", &[]));
    assert!(list.contains("alice") && list.contains("admin"), "{list}");
    assert!(list.lines().any(|l| l.starts_with("bob") && l.contains("disabled")), "{list}");
    ok(&rolo(d, &["account", "enable", "bob"], "", &[]));
    ok(&rolo(d, &["account", "set-password", "bob"], "a-new-password\n", &[]));
    let e = err(&rolo(d, &["account", "disable", "nobody"], "", &[]));
    assert!(e.contains("no such account"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_step_sign_in_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    ok(&rolo(&d, &["account", "create", "alice"], "alice-password-1\n", &[]));
    let store = crate::common::open_store_in(&d).await.unwrap();
    let alice =
        store.account_by_username(&domain::Username::parse("alice").unwrap()).await.unwrap();
    let e = store.begin_second_factor(alice.id).await.unwrap();
    let secret = totp_rs::Secret::try_from_base32(&e.secret).unwrap();
    let code =
        totp_rs::Builder::new().with_secret(secret).build().unwrap().generate_current().to_string();
    store.confirm_second_factor(alice.id, &code).await.unwrap();
    let out = ok(&rolo(&d, &["account", "reset-2fa", "alice"], "", &[]));
    assert!(out.contains("Two-step sign-in of alice is off"), "{out}");
    assert_eq!(store.second_factor_state(alice.id).await.unwrap(), store::SecondFactorState::Off);
    let out = ok(&rolo(&d, &["account", "reset-2fa", "alice"], "", &[]));
    assert!(out.contains("had no two-step sign-in"), "{out}");
    ok(&rolo(&d, &["account", "require-2fa", "on"], "", &[]));
    assert!(store.second_factor_required().await.unwrap());
    ok(&rolo(&d, &["account", "require-2fa", "off"], "", &[]));
    assert!(!store.second_factor_required().await.unwrap());
    let e = err(&rolo(&d, &["account", "require-2fa", "maybe"], "", &[]));
    assert!(e.contains("possible values"), "{e}");
}

#[test]
fn key_rotation_keeps_data_readable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&rolo(d, &["account", "create", "alice"], "alice-password-1\n", &[]));
    ok(&rolo(d, &["account", "create", "bob"], "bob-password-22\n", &[]));
    let before = ok(&rolo(d, &["key", "status"], "", &[]));
    assert!(before.contains("active") && before.contains("wraps 2 account key(s)"), "{before}");

    let out = ok(&rolo(d, &["key", "rotate"], "", &[]));
    assert!(out.contains("re-wrapped 2 account key(s)"), "{out}");
    let status = ok(&rolo(d, &["key", "status"], "", &[]));
    let lines: Vec<&str> = status.lines().collect();
    assert_eq!(lines.len(), 2, "{status}");
    assert!(lines[0].contains("active") && lines[0].contains("wraps 2"), "{status}");
    assert!(lines[1].contains("retired") && lines[1].contains("wraps 0"), "{status}");

    let out = ok(&rolo(d, &["key", "prune"], "", &[]));
    assert!(out.contains("Removed 1"), "{out}");
    let status = ok(&rolo(d, &["key", "status"], "", &[]));
    assert_eq!(status.lines().count(), 1, "{status}");
    // Everything still opens with the new key alone: accounts sign in (password check) and
    // the store opens their data keys.
    ok(&rolo(d, &["account", "set-password", "alice"], "yet-another-pw\n", &[]));
}

#[test]
fn startup_failures_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&rolo(d, &["account", "create", "alice"], "alice-password-1\n", &[]));

    // Key file gone while the database has accounts: refuse, never generate a new key.
    std::fs::rename(d.join("master.key"), d.join("saved.key")).unwrap();
    let e = err(&rolo(d, &["serve"], "", &[("ROLO_LISTEN", "127.0.0.1:0")]));
    assert!(
        e.contains("master key file")
            && e.contains("missing")
            && e.contains("No new key was generated"),
        "{e}"
    );
    assert!(!d.join("master.key").exists());

    // A key file with the wrong key.
    let other = tempfile::tempdir().unwrap();
    ok(&rolo(other.path(), &["account", "create", "x"], "some-password-1\n", &[]));
    std::fs::copy(other.path().join("master.key"), d.join("master.key")).unwrap();
    let e = err(&rolo(d, &["account", "list"], "", &[]));
    assert!(e.contains("do not include key id"), "{e}");

    // A corrupt key file.
    std::fs::write(d.join("master.key"), "not a key\n").unwrap();
    let e = err(&rolo(d, &["account", "list"], "", &[]));
    assert!(e.contains("base64"), "{e}");

    // A key file others can read.
    std::fs::copy(d.join("saved.key"), d.join("master.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("master.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = err(&rolo(d, &["account", "list"], "", &[]));
    assert!(e.contains("chmod 600"), "{e}");
    std::fs::set_permissions(d.join("master.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(&rolo(d, &["account", "list"], "", &[]));

    // ROLO_MASTER_KEY with a malformed value.
    let e = err(&rolo(d, &["account", "list"], "", &[("ROLO_MASTER_KEY", "abc")]));
    assert!(e.contains("ROLO_MASTER_KEY") && e.contains("base64"), "{e}");

    // A database that cannot be reached, and one of an unknown kind.
    let e = err(&rolo(
        d,
        &["account", "list"],
        "",
        &[("ROLO_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")],
    ));
    assert!(e.contains("cannot connect to PostgreSQL"), "{e}");
    let e = err(&rolo(d, &["account", "list"], "", &[("ROLO_DATABASE_URL", "mysql://x")]));
    assert!(e.contains("must start with sqlite: or postgres://"), "{e}");

    // An address already in use.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let e = err(&rolo(d, &["serve"], "", &[("ROLO_LISTEN", addr.as_str())]));
    assert!(e.contains("cannot listen on"), "{e}");
    // A bad setting.
    let e = err(&rolo(d, &["serve"], "", &[("ROLO_SESSION_HOURS", "forever")]));
    assert!(e.contains("ROLO_SESSION_HOURS"), "{e}");
}

#[test]
fn devices_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&rolo(d, &["account", "create", "alice"], "alice-password-1\n", &[]));
    let o = rolo(
        d,
        &["device", "create", "--account", "alice", "--name", "Work laptop", "--kind", "pc"],
        "",
        &[],
    );
    let token = ok(&o).trim().to_string();
    assert!(
        token.starts_with("rolo_") && !token.contains(' '),
        "only the token on stdout: {token}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("shown only now"));
    let e = err(&rolo(
        d,
        &["device", "create", "--account", "alice", "--name", "x", "--kind", "toaster"],
        "",
        &[],
    ));
    assert!(e.contains("phone, tablet, pc or other"), "{e}");
    let e = err(&rolo(d, &["device", "create", "--account", "nobody", "--name", "x"], "", &[]));
    assert!(e.contains("no account named nobody"), "{e}");

    ok(&rolo(d, &["device", "rename", "--account", "alice", "Work laptop", "Old laptop"], "", &[]));
    let list = ok(&rolo(d, &["device", "list", "--account", "alice"], "", &[]));
    assert!(
        list.contains("Old laptop")
            && list.contains("pc")
            && list.contains("active")
            && list.contains("last sync never"),
        "{list}"
    );
    ok(&rolo(d, &["device", "revoke", "--account", "alice", "Old laptop"], "", &[]));
    let list = ok(&rolo(d, &["device", "list", "--account", "alice"], "", &[]));
    assert!(list.contains("revoked"), "{list}");
    let e = err(&rolo(d, &["device", "revoke", "--account", "alice", "Old laptop"], "", &[]));
    assert!(e.contains("already revoked"), "{e}");

    let out = ok(&rolo(d, &["generate", "--account", "alice", "--count", "120"], "", &[]));
    assert!(out.contains("Added 120 generated contacts"), "{out}");
}

#[test]
fn import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/interchange/tests/fixtures");
    let gbk = fixtures.join("chinese_gbk.csv");
    let gbk = gbk.to_str().unwrap();
    ok(&rolo(d, &["account", "create", "alice"], "alice-password-1\n", &[]));
    ok(&rolo(d, &["account", "create", "bob"], "bob-password-22\n", &[]));

    // A dry run shows the detection, the columns and the first rows, and writes nothing.
    let out = ok(&rolo(d, &["import", "--account", "alice", gbk, "--dry-run"], "", &[]));
    for want in [
        "CSV, encoding GBK",
        "Chinese columns",
        "2 row(s)",
        "姓名 → display name",
        "手机 → phone (mobile)",
        "部门 → extra field",
        "line 2: 张伟 · 138 0013 8000",
        "groups: 同学, 羽毛球",
        "Nothing was written",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }

    let report = d.join("report.csv");
    let out = ok(&rolo(
        d,
        &["import", "--account", "alice", gbk, "--report", report.to_str().unwrap()],
        "",
        &[],
    ));
    assert!(out.contains("Imported 2 new contact(s) into alice, updated 0, skipped 0 duplicate(s), 0 row(s) failed (CSV, GBK, Chinese columns"), "{out}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.starts_with("\u{feff}Line,Outcome,Contact,Reason\n2,imported,"), "{text}");
    // Again: all duplicates.
    let out = ok(&rolo(d, &["import", "--account", "alice", gbk], "", &[]));
    assert!(
        out.contains("Imported 0 new contact(s) into alice, updated 0, skipped 2 duplicate(s)"),
        "{out}"
    );

    // Update, and rows that fail.
    let csv = d.join("more.csv");
    std::fs::write(&csv, "Name,Phone,Company\n张伟,+86 138 0013 8000,新公司\nBad,call me,\nNew Person,+1 555 0100,\n").unwrap();
    let out = ok(&rolo(
        d,
        &["import", "--account", "alice", csv.to_str().unwrap(), "--duplicates", "update"],
        "",
        &[],
    ));
    assert!(out.contains("Imported 1 new contact(s) into alice, updated 1, skipped 0 duplicate(s), 1 row(s) failed"), "{out}");
    assert!(out.contains("  line 3: Phone: “c” is not allowed in a phone number."), "{out}");

    // Exports: CSV layouts and vCard to standard output, xlsx to a file.
    let csv_out = ok(&rolo(d, &["export", "--account", "alice"], "", &[]));
    assert!(csv_out.starts_with("\u{feff}UID,Display Name,"), "{csv_out}");
    assert!(
        csv_out.contains("张伟")
            && csv_out.contains("新公司")
            && csv_out.contains("李娜")
            && csv_out.contains("New Person"),
        "{csv_out}"
    );
    // One row per contact (a cell may hold line breaks: 张伟's two groups).
    let rows = csv_out
        .lines()
        .filter(|l| l.get(..36).is_some_and(|u| uuid::Uuid::parse_str(u).is_ok()))
        .count();
    assert_eq!(rows, 3, "{csv_out}");
    assert!(csv_out.contains("\"同学\n羽毛球\""), "{csv_out}");
    let google = ok(&rolo(d, &["export", "--account", "alice", "--format", "google-csv"], "", &[]));
    assert!(google.starts_with("\u{feff}File As,First Name"), "{google}");
    let outlook =
        ok(&rolo(d, &["export", "--account", "alice", "--format", "outlook-csv"], "", &[]));
    assert!(outlook.starts_with("\u{feff}First Name,Last Name"), "{outlook}");
    let vcf = ok(&rolo(d, &["export", "--account", "alice", "--format", "vcf"], "", &[]));
    // Three contacts, then a group card for each group with members.
    let group_cards = vcf.matches("\r\nKIND:group\r\n").count();
    assert!(group_cards >= 1, "{vcf}");
    assert_eq!(vcf.matches("BEGIN:VCARD").count(), 3 + group_cards);
    assert!(vcf.contains("VERSION:4.0"));
    let vcf3 = ok(&rolo(d, &["export", "--account", "alice", "--format", "vcf3"], "", &[]));
    assert!(vcf3.contains("VERSION:3.0"));
    let e = err(&rolo(d, &["export", "--account", "alice", "--format", "xlsx"], "", &[]));
    assert!(e.contains("give --output FILE.xlsx"), "{e}");
    let xlsx = d.join("book.xlsx");
    let o = rolo(
        d,
        &["export", "--account", "alice", "--format", "xlsx", "--output", xlsx.to_str().unwrap()],
        "",
        &[],
    );
    assert!(ok(&o).is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("Exported 3 contact(s) of alice to"));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK\x03\x04"));
    // The workbook imports into another account: the same three contacts.
    let out = ok(&rolo(d, &["import", "--account", "bob", xlsx.to_str().unwrap()], "", &[]));
    assert!(
        out.contains("Imported 3 new contact(s) into bob") && out.contains("(Excel, Rolo columns"),
        "{out}"
    );
    let vcf_file = d.join("book.vcf");
    std::fs::write(&vcf_file, &vcf).unwrap();
    let out = ok(&rolo(d, &["import", "--account", "bob", vcf_file.to_str().unwrap()], "", &[]));
    assert!(
        out.contains("Imported 0 new contact(s) into bob, updated 0, skipped 3 duplicate(s)"),
        "same UIDs: {out}"
    );

    // Clear refusals.
    let e = err(&rolo(d, &["import", "--account", "nobody", gbk], "", &[]));
    assert!(e.contains("no account named nobody"), "{e}");
    let junk = fixtures.join("junk.bin");
    let e = err(&rolo(d, &["import", "--account", "alice", junk.to_str().unwrap()], "", &[]));
    assert!(e.contains("This is not a CSV text file."), "{e}");
    let e = err(&rolo(d, &["import", "--account", "alice", gbk, "--max-rows", "1"], "", &[]));
    assert!(e.contains("The file has 2 rows but at most 1 can be imported at once"), "{e}");
    let e = err(&rolo(d, &["import", "--account", "alice", gbk, "--encoding", "klingon"], "", &[]));
    assert!(e.contains("not an encoding Rolo knows"), "{e}");
    let e = err(&rolo(d, &["import", "--account", "alice", gbk, "--duplicates", "maybe"], "", &[]));
    assert!(e.contains("skip") && e.contains("update") && e.contains("create"), "{e}");
}

/// The groups of each contact of an account, by display name, and the account's group names.
async fn groups_by_contact(
    store: &store::Store,
    account: domain::AccountId,
) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let groups = store.list_groups(account).await.unwrap();
    let name =
        |id: &domain::GroupId| groups.iter().find(|g| g.id == *id).map(|g| g.name.clone()).unwrap();
    let mut contacts: Vec<(String, Vec<String>)> = store
        .all_contacts(account)
        .await
        .unwrap()
        .iter()
        .map(|c| {
            let mut g: Vec<String> = c.data.groups.iter().map(name).collect();
            g.sort();
            (c.data.display_name.clone(), g)
        })
        .collect();
    contacts.sort();
    let mut names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    names.sort();
    (names, contacts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_page_and_rolo_import_give_the_same_groups() {
    let s = crate::common::TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let bob = s.account("bob", "bob-password-22").await;
    let gbk = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/interchange/tests/fixtures/chinese_gbk.csv");
    // The command line, into alice, every contact also in a chosen group.
    let out = ok(&rolo(
        s.data_dir(),
        &["import", "--account", "alice", gbk.to_str().unwrap(), "--group", "导入"],
        "",
        &[],
    ));
    assert!(out.contains("Imported 2 new contact(s)"), "{out}");
    // The console's import page, into bob, the same file and the same chosen group.
    let web = crate::common::signed_in(&s, "bob", "bob-password-22").await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(std::fs::read(&gbk).unwrap())
                .file_name("chinese_gbk.csv"),
        )
        .text("group", "new")
        .text("new_group", "导入");
    let r = web.post(format!("{}/console/import", s.url)).multipart(form).send().await.unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let job: serde_json::Value = r.json().await.unwrap();
    let job = job["job"].as_str().unwrap().to_string();
    loop {
        let st: serde_json::Value = web
            .get(format!("{}/console/import/{job}", s.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if st["state"] == "done" {
            break;
        }
        assert_eq!(st["state"], "running", "{st}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (a, b) =
        (groups_by_contact(&s.store, alice.id).await, groups_by_contact(&s.store, bob.id).await);
    assert_eq!(a, b);
    assert_eq!(a.0, ["同学", "客户", "导入", "羽毛球"]);
    assert_eq!(
        a.1,
        [
            ("张伟".to_string(), vec!["同学".into(), "导入".into(), "羽毛球".into()]),
            ("李娜".into(), vec!["客户".into(), "导入".into()])
        ]
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_into_directories_and_other_accounts_books_are_audited() {
    let s = crate::common::TestServer::start().await;
    let root = s
        .store
        .create_account(&domain::Username::parse("root").unwrap(), "root-password-1", true)
        .await
        .unwrap();
    let bob = s.account("bob", "bob-password-22").await;
    let dir = s.store.create_directory(root.id, "Company", "").await.unwrap();
    let csv = s.data_dir().join("people.csv");
    std::fs::write(&csv, "Name,Phone\nAnn Admin,555 0100\nBen Boss,555 0101\n").unwrap();
    let file = csv.to_str().unwrap();

    // Into the directory, by its name.
    let out = ok(&rolo(
        s.data_dir(),
        &["import", "--account", "root", "--book", "Company", file],
        "",
        &[],
    ));
    assert!(out.contains("Imported 2 new contact(s)"), "{out}");
    let d = s.store.open_book(root.id, dir.id).await.unwrap();
    assert_eq!(s.store.count_contacts(d).await.unwrap(), 2);
    // Into bob's book, by an administrator on bob's behalf; not by anyone else.
    let out =
        ok(&rolo(s.data_dir(), &["import", "--account", "bob", "--by", "root", file], "", &[]));
    assert!(out.contains("Imported 2 new contact(s)"), "{out}");
    let e =
        err(&rolo(s.data_dir(), &["import", "--account", "root", "--by", "bob", file], "", &[]));
    assert!(e.contains("not an administrator"), "{e}");
    let e = err(&rolo(
        s.data_dir(),
        &["import", "--account", "bob", "--book", "Company", file],
        "",
        &[],
    ));
    assert!(e.contains("no address book"), "{e}");
    let c = s.store.list_contacts(bob.id).await.unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        s.store.history(bob.id, c[0].id).await.unwrap()[0].actor_name.as_deref(),
        Some("root")
    );
    // bob's own import is his business: not in the audit log.
    ok(&rolo(
        s.data_dir(),
        &["import", "--account", "bob", "--duplicates", "create", file],
        "",
        &[],
    ));

    let log = ok(&rolo(s.data_dir(), &["audit"], "", &[]));
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].contains("root") && lines[0].contains("people.csv into “Contacts”: 2 added"),
        "{log}"
    );
    assert!(
        lines[1].contains("root") && lines[1].contains("people.csv into “Company”: 2 added"),
        "{log}"
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_and_teams_from_the_command_line() {
    let s = crate::common::TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let bob = s.account("bob", "bob-password-22").await;
    s.store
        .create_account(&domain::Username::parse("root").unwrap(), "root-password-1", true)
        .await
        .unwrap();
    let run = |args: &[&str]| ok(&rolo(s.data_dir(), args, "", &[]));
    let fail = |args: &[&str]| err(&rolo(s.data_dir(), args, "", &[]));

    run(&["book", "create", "--account", "alice", "Work", "--description", "Clients"]);
    let listed = run(&["book", "list", "--account", "alice"]);
    assert!(
        listed.contains("Contacts") && listed.contains("Work") && listed.contains("owner"),
        "{listed}"
    );
    assert!(fail(&["book", "create", "--account", "alice", "Company", "--directory"])
        .contains("not an administrator"));
    run(&["book", "create", "--account", "root", "Company", "--directory"]);

    // Shares: with an account, a team, everyone; withdrawn.
    run(&["book", "share", "--account", "alice", "Work", "--with", "bob", "--write"]);
    let b = s.store.books(bob.id).await.unwrap();
    assert!(b.iter().any(|x| x.name == "Work" && x.access == domain::Access::ReadWrite));
    assert!(fail(&["book", "rename", "--account", "bob", "Work", "Mine"]).contains("owner"));
    run(&["team", "create", "Sales"]);
    run(&["team", "add", "Sales", "bob"]);
    assert!(run(&["team", "list"]).contains("bob"));
    run(&["book", "share", "--account", "root", "Company", "--team", "Sales"]);
    assert!(s.store.books(bob.id).await.unwrap().iter().any(|x| x.name == "Company"));
    run(&["team", "remove", "Sales", "bob"]);
    assert!(!s.store.books(bob.id).await.unwrap().iter().any(|x| x.name == "Company"));
    run(&["book", "unshare", "--account", "alice", "Work", "--with", "bob"]);
    assert!(!s.store.books(bob.id).await.unwrap().iter().any(|x| x.name == "Work"));
    assert!(fail(&["book", "share", "--account", "alice", "Work"]).contains("--with"));

    // Rename, delete to the trash, restore; the first book stays.
    run(&["book", "rename", "--account", "alice", "Work", "Clients"]);
    run(&["book", "delete", "--account", "alice", "Clients"]);
    assert_eq!(s.store.books(alice.id).await.unwrap().len(), 1);
    run(&["book", "restore", "--account", "alice", "Clients"]);
    assert_eq!(s.store.books(alice.id).await.unwrap().len(), 2);
    assert!(
        fail(&["book", "delete", "--account", "alice", "Contacts"]).contains("first address book")
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_load_and_restore() {
    let s = crate::common::TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let mut gen = domain::generate::Gen::new(3);
    let items: Vec<_> = (0..2000).map(|i| (None, gen.contact(i))).collect();
    s.store.create_contacts(alice.id, &items, domain::Origin::Cli).await.unwrap();

    // Writes go on while the backup is taken.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, stop) = (s.store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let all = store.all_contacts(alice.id).await.unwrap();
                let c = &all[n % all.len()];
                let mut data = c.data.clone();
                data.notes = format!("edit {n}");
                let _ = store
                    .update_contact(alice.id, c.id, c.revision, &data, domain::Origin::Cli)
                    .await;
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("rolo-backup.db");
    let f = file.to_str().unwrap();
    let data = s.data_dir().to_path_buf();
    let out = tokio::task::spawn_blocking({
        let f = f.to_string();
        move || ok(&rolo(&data, &["backup", &f], "", &[]))
    })
    .await
    .unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let edits = writer.await.unwrap();
    assert!(edits > 0, "the backup was taken under load");
    assert!(out.contains("needs the master key id"), "{out}");
    assert!(err(&rolo(s.data_dir(), &["backup", f], "", &[])).contains("exists"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // No contact in clear in it.
    let bytes = std::fs::read(&file).unwrap();
    let name = &items[0].1.display_name;
    assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()), "{name} in clear");

    // Restored into another data directory holding the same key: every contact is there, each
    // exactly as it was at its revision.
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(s.data_dir().join("master.key"), other.path().join("master.key")).unwrap();
    ok(&rolo(other.path(), &["restore", f], "", &[]));
    let restored = crate::common::open_store_in(other.path()).await.unwrap();
    let a = restored.account_by_username(&domain::Username::parse("alice").unwrap()).await.unwrap();
    let back = restored.all_contacts(a.id).await.unwrap();
    assert_eq!(back.len(), 2000);
    for c in &back {
        let then = s.store.revision_data(alice.id, c.id, c.revision).await.unwrap();
        assert_eq!(then, Some(Some(c.data.clone())), "contact {} at revision {}", c.id, c.revision);
    }
    drop(restored);
    // Not over a database with accounts without --force; not without the key it needs.
    assert!(err(&rolo(other.path(), &["restore", f], "", &[])).contains("--force"));
    ok(&rolo(other.path(), &["restore", "--force", f], "", &[]));
    let keyless = tempfile::tempdir().unwrap();
    let e = err(&rolo(
        keyless.path(),
        &["restore", f],
        "",
        &[("ROLO_MASTER_KEY_FILE", keyless.path().join("none.key").to_str().unwrap())],
    ));
    assert!(e.contains("master key"), "{e}");
    assert!(!keyless.path().join("rolo.db").exists());
    s.shutdown().await;
}

/// PostgreSQL is backed up with its own tools: pg_dump -Fc of a Rolo database, pg_restore into
/// a new database, and Rolo reads every contact of the restored one with the same key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backs_up_with_pg_dump_and_pg_restore() {
    let s = crate::common::TestServer::start_postgres().await;
    let alice = s.account("alice", "alice-password-1").await;
    let mut gen = domain::generate::Gen::new(5);
    let items: Vec<_> = (0..300).map(|i| (None, gen.contact(i))).collect();
    s.store.create_contacts(alice.id, &items, domain::Origin::Cli).await.unwrap();
    let base = std::env::var("ROLO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let url = s.database_url();
    let schema = url.rsplit("search_path%3D").next().unwrap().to_string();
    let dump = s.data_dir().join("rolo.dump");
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} (make test installs postgresql-client): {e}"));
        assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run("pg_dump", &["-Fc", "-n", &schema, "-f", dump.to_str().unwrap(), &base]);
    let db = format!("rolo_restore_{}", uuid::Uuid::new_v4().simple());
    run("psql", &["-q", "-X", "-d", &base, "-c", &format!("CREATE DATABASE {db}")]);
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let restored_url = format!("{prefix}/{db}");
    run("pg_restore", &["-d", &restored_url, dump.to_str().unwrap()]);

    let config = server::config::Config {
        database_url: format!("{restored_url}?options=-c%20search_path%3D{schema}"),
        master_key_file: s.data_dir().join("master.key"),
        data_dir: s.data_dir().to_path_buf(),
        ..server::config::Config::from_env().unwrap()
    };
    let restored = server::setup::open_store(&config).await.unwrap();
    let back = restored.all_contacts(alice.id).await.unwrap();
    assert_eq!(back.len(), 300);
    for c in &back {
        assert_eq!(s.store.get_contact(alice.id, c.id).await.unwrap().data, c.data);
    }
    drop(restored);
    s.shutdown().await;
    run("psql", &["-q", "-X", "-d", &base, "-c", &format!("DROP DATABASE {db} WITH (FORCE)")]);
}

/// `ROLO_LOG_FORMAT=json`: the server's log lines are JSON objects.
#[test]
fn json_logs() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolo"))
        .arg("serve")
        .env_remove("ROLO_DATABASE_URL")
        .env_remove("ROLO_MASTER_KEY")
        .env_remove("ROLO_MASTER_KEY_FILE")
        .env("ROLO_DATA_DIR", dir.path())
        .env("ROLO_SITE_ROOT", dir.path().join("no-site"))
        .env("ROLO_LISTEN", "127.0.0.1:0")
        .env("ROLO_LOG", "info")
        .env("ROLO_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut found = None;
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(20)) {
        if line.starts_with('{') {
            found = Some(line);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let line = found.expect("the server wrote no JSON log line within 20 s");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(v["level"].is_string() && v["fields"]["message"].is_string(), "{line}");
}
