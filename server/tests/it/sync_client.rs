//! rolo-sync against a real server: two folders (two PCs) and the console on one account.

use crate::common;

use std::path::Path;

use common::TestServer;
use domain::{ContactDraft, ContactId, DeviceKind, Origin};
use rolo_sync::{setup, SyncError, Vdir};

async fn folder(
    s: &TestServer,
    account: domain::AccountId,
    name: &str,
) -> (tempfile::TempDir, Vdir) {
    let dir = tempfile::tempdir().unwrap();
    let (_, token) = s.store.create_device(account, name, DeviceKind::Pc).await.unwrap();
    setup(dir.path(), &s.url, &token).await.unwrap();
    let v = Vdir::open(dir.path()).unwrap();
    (dir, v)
}

fn vcards(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".vcf"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn card(uid: &str, name: &str, tel: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nTEL;TYPE=CELL:{tel}\r\nEND:VCARD\r\n")
}

const ANN: &str = "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f01";
const BEN: &str = "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f02";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_folders_and_the_console_converge() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let (da, a) = folder(&s, alice.id, "PC A").await;
    let (db, b) = folder(&s, alice.id, "PC B").await;

    // A adds → B gets it.
    std::fs::write(da.path().join(format!("{ANN}.vcf")), card(ANN, "Ann", "111")).unwrap();
    let sa = a.sync().await.unwrap();
    assert_eq!(sa.up_created, 1, "{sa}");
    let sb = b.sync().await.unwrap();
    assert_eq!(sb.down_created, 1, "{sb}");
    let files = vcards(db.path());
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, format!("{ANN}.vcf"));
    assert!(files[0].1.contains("111"));

    // B edits → A gets it.
    let path_b = db.path().join(format!("{ANN}.vcf"));
    std::fs::write(&path_b, files[0].1.replace("111", "112")).unwrap();
    assert_eq!(b.sync().await.unwrap().up_updated, 1);
    assert_eq!(a.sync().await.unwrap().down_updated, 1);
    assert!(vcards(da.path())[0].1.contains("112"));

    // The console adds and deletes → both folders follow.
    let id = ContactId::parse(ANN).unwrap();
    let rev = s.store.get_contact(alice.id, id).await.unwrap().revision;
    s.store.delete_contact(alice.id, id, rev, Origin::Console).await.unwrap();
    let zw =
        ContactDraft { family_name: "张".into(), given_name: "伟".into(), ..Default::default() }
            .parse()
            .unwrap();
    s.store.create_contact(alice.id, None, &zw, Origin::Console).await.unwrap();
    for (v, d) in [(&a, &da), (&b, &db)] {
        let sum = v.sync().await.unwrap();
        assert_eq!((sum.down_deleted, sum.down_created), (1, 1), "{sum}");
        let files = vcards(d.path());
        assert_eq!(files.len(), 1);
        assert!(files[0].1.contains("张伟"), "{}", files[0].1);
    }
    // Nothing more to do: a second sync is empty.
    let again = a.sync().await.unwrap();
    assert_eq!(again, rolo_sync::Summary::default());
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_on_both_sides_lose_nothing() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let (da, a) = folder(&s, alice.id, "PC A").await;
    let (db, b) = folder(&s, alice.id, "PC B").await;
    std::fs::write(da.path().join(format!("{ANN}.vcf")), card(ANN, "Ann", "111")).unwrap();
    a.sync().await.unwrap();
    b.sync().await.unwrap();

    // Both edit offline: A adds an email and changes the name, B adds a phone and changes the name too.
    let file = format!("{ANN}.vcf");
    let text_a = std::fs::read_to_string(da.path().join(&file)).unwrap();
    let text_a = text_a
        .replace("END:VCARD", "EMAIL;TYPE=WORK:ann@example.org\r\nEND:VCARD")
        .replace("FN:Ann", "FN:Ann A");
    std::fs::write(da.path().join(&file), text_a).unwrap();
    let text_b = std::fs::read_to_string(db.path().join(&file)).unwrap();
    let text_b =
        text_b.replace("END:VCARD", "TEL;TYPE=WORK:222\r\nEND:VCARD").replace("FN:Ann", "FN:Ann B");
    std::fs::write(db.path().join(&file), text_b).unwrap();

    assert_eq!(a.sync().await.unwrap().up_updated, 1);
    let sb = b.sync().await.unwrap();
    assert_eq!(sb.conflicts, 1, "{sb}");
    a.sync().await.unwrap();
    // Both folders now hold the same merged card: both additions, B's name (the later upload).
    let fa = vcards(da.path());
    let fb = vcards(db.path());
    assert_eq!(fa, fb);
    for needle in ["ann@example.org", "111", "222", "FN:Ann B"] {
        assert!(fa[0].1.contains(needle), "{needle} missing:\n{}", fa[0].1);
    }
    // A's name is in the server's history.
    let h = s.store.history(alice.id, ContactId::parse(ANN).unwrap()).await.unwrap();
    assert!(h.iter().any(|e| e.data.as_ref().is_some_and(|d| d.display_name == "Ann A")));

    // A deletes while B edits: the edit survives and comes back to A.
    std::fs::remove_file(da.path().join(&file)).unwrap();
    let text_b = std::fs::read_to_string(db.path().join(&file))
        .unwrap()
        .replace("END:VCARD", "NOTE:keep me\r\nEND:VCARD");
    std::fs::write(db.path().join(&file), text_b).unwrap();
    assert_eq!(a.sync().await.unwrap().up_deleted, 1);
    let sb = b.sync().await.unwrap();
    assert_eq!(sb.conflicts, 1, "{sb}");
    let sa = a.sync().await.unwrap();
    assert_eq!(sa.down_created, 1, "{sa}");
    assert!(vcards(da.path())[0].1.contains("keep me"));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_and_broken_files_crashes_and_revocation() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let (da, a) = folder(&s, alice.id, "PC A").await;

    // The token file is private.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(da.path().join(".rolo-sync/token")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // A card dropped in by another program without a UID is adopted; a broken one is reported
    // and left alone.
    std::fs::write(
        da.path().join("khard-new.vcf"),
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Dropped In\r\nTEL:555 0100\r\nEND:VCARD\r\n",
    )
    .unwrap();
    std::fs::write(
        da.path().join("broken.vcf"),
        "BEGIN:VCARD\r\nVERSION:3.0\r\nthis is not a card",
    )
    .unwrap();
    let sum = a.sync().await.unwrap();
    assert_eq!(sum.up_created, 1, "{sum}");
    assert!(sum.skipped.iter().any(|m| m.starts_with("broken.vcf")), "{sum}");
    assert!(da.path().join("broken.vcf").exists());
    let adopted = std::fs::read_to_string(da.path().join("khard-new.vcf")).unwrap();
    assert!(adopted.contains("UID:"), "{adopted}");
    assert_eq!(s.store.count_contacts(alice.id).await.unwrap(), 1);

    // Killed mid-sync: the state of before the sync comes back; the next run converges without
    // duplicates or lost edits.
    std::fs::write(da.path().join(format!("{ANN}.vcf")), card(ANN, "Ann", "111")).unwrap();
    let before = std::fs::read(da.path().join(".rolo-sync/state.json")).unwrap();
    a.sync().await.unwrap();
    std::fs::write(da.path().join(".rolo-sync/state.json"), &before).unwrap();
    let sum = a.sync().await.unwrap();
    assert_eq!((sum.up_created, sum.up_updated, sum.conflicts), (0, 0, 0), "{sum}");
    assert_eq!(s.store.count_contacts(alice.id).await.unwrap(), 2);
    assert_eq!(vcards(da.path()).len(), 3);
    assert_eq!(
        a.sync().await.unwrap(),
        rolo_sync::Summary { skipped: sum.skipped.clone(), ..Default::default() }
    );

    // Revoked: the next sync fails clearly and changes nothing locally.
    let dev = s.store.devices(alice.id).await.unwrap()[0].id;
    s.store.revoke_device(alice.id, dev).await.unwrap();
    assert!(matches!(a.sync().await, Err(SyncError::Unauthorized(_))));
    assert_eq!(vcards(da.path()).len(), 3);
    s.shutdown().await;
}

/// A first sync of 10,000 contacts writes a folder khard (a real vdir client) lists in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_sync_of_ten_thousand_contacts_is_readable_by_khard() {
    const N: usize = 10_000;
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let mut gen = domain::generate::Gen::new(3);
    let items: Vec<_> = (0..N).map(|i| (None, gen.contact(i))).collect();
    let made = s.store.create_contacts(alice.id, &items, Origin::Cli).await.unwrap();
    let (dir, v) = folder(&s, alice.id, "PC").await;
    let t = std::time::Instant::now();
    let sum = v.sync().await.unwrap();
    eprintln!("initial sync of {N} contacts: {:.1} s (debug build)", t.elapsed().as_secs_f64());
    assert_eq!(sum.down_created, N);

    // Every file parses back to exactly the server's data.
    let by_id: std::collections::HashMap<String, &domain::ContactData> =
        made.iter().map(|c| (c.id.to_string(), &c.data)).collect();
    let files = vcards(dir.path());
    assert_eq!(files.len(), N);
    for (name, text) in &files {
        let cards = interchange::vcard::parse_vcards(text);
        let card = cards[0].as_ref().unwrap();
        let id = name.trim_end_matches(".vcf");
        assert_eq!(card.uid.as_deref().map(|u| u.trim_start_matches("urn:uuid:")), Some(id));
        assert_eq!(&card.data, by_id[id], "{name}");
    }

    // khard lists them all, with the right ids (`make test` installs khard; a missing one fails).
    let khard = std::env::var("ROLO_KHARD").unwrap_or_default();
    assert!(
        !khard.is_empty() && Path::new(&khard).exists(),
        "khard is not installed at {khard:?} (run `make test`, which installs it, or set ROLO_KHARD)"
    );
    {
        let conf = dir.path().join(".rolo-sync/khard.conf");
        std::fs::write(
            &conf,
            format!("[addressbooks]\n[[rolo]]\npath = {}\n", dir.path().display()),
        )
        .unwrap();
        let out = std::process::Command::new(&khard)
            .args(["-c", conf.to_str().unwrap(), "list", "--parsable"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let listed: std::collections::HashSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        assert_eq!(listed.len(), N);
        assert!(made.iter().all(|c| listed.contains(&c.id.to_string())));
    }
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_membership_survives_editing_the_file() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let family = s.store.create_group(alice.id, "Family", Origin::Console).await.unwrap();
    let mut d = ContactDraft { given_name: "Ann".into(), ..Default::default() }.parse().unwrap();
    d.groups = vec![family.id];
    let ann = s.store.create_contact(alice.id, None, &d, Origin::Console).await.unwrap();
    let (dir, v) = folder(&s, alice.id, "PC").await;
    v.sync().await.unwrap();
    let file = dir.path().join(format!("{}.vcf", ann.id));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&format!("X-ROLO-GROUP:{}", family.id)), "{text}");
    std::fs::write(&file, text.replace("END:VCARD", "NOTE:edited in the folder\r\nEND:VCARD"))
        .unwrap();
    assert_eq!(v.sync().await.unwrap().up_updated, 1);
    let now = s.store.get_contact(alice.id, ann.id).await.unwrap();
    assert_eq!(now.data.notes, "edited in the folder");
    assert_eq!(now.data.groups, vec![family.id]);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_folder_per_book_follows_the_shares() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    let bob = s.account("bob", "bob-password-12").await;
    let work = s.store.create_book(alice.id, "Work & Co", "").await.unwrap();
    let w = s.store.open_book(alice.id, work.id).await.unwrap();
    let wendy = ContactDraft { given_name: "Wendy".into(), ..Default::default() }.parse().unwrap();
    let c = s.store.create_contact(w, None, &wendy, Origin::Console).await.unwrap();
    let dir_book = s.store.create_book(alice.id, "Directory", "").await.unwrap();
    let d = s.store.open_book(alice.id, dir_book.id).await.unwrap();
    let rita = ContactDraft { given_name: "Rita".into(), ..Default::default() }.parse().unwrap();
    s.store.create_contact(d, None, &rita, Origin::Console).await.unwrap();
    let (dir, v) = folder(&s, bob.id, "Bob's PC").await;
    std::fs::write(dir.path().join(format!("{ANN}.vcf")), card(ANN, "Ann", "111")).unwrap();
    v.sync().await.unwrap();
    assert_eq!(vcards(dir.path()).len(), 1);

    // Shared: each book in a folder of its own, the first book's folder unchanged.
    s.store.share_book(w, &domain::Grantee::Account(bob.id), true).await.unwrap();
    s.store.share_book(d, &domain::Grantee::Account(bob.id), false).await.unwrap();
    let sum = v.sync().await.unwrap();
    assert_eq!(sum.down_created, 2, "{sum}");
    let work_dir =
        dir.path().join(format!("Work _ Co-{}", &work.id.as_uuid().simple().to_string()[..8]));
    let files = vcards(&work_dir);
    assert_eq!(files.len(), 1, "{work_dir:?}");
    assert!(files[0].1.contains("Wendy"));
    assert_eq!(vcards(dir.path()).len(), 1, "the first book's folder holds its own contacts only");

    // An edit in the shared folder goes to that book, with bob as its author.
    let path = work_dir.join(&files[0].0);
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replace("END:VCARD", "NOTE:from bob's PC\r\nEND:VCARD");
    std::fs::write(&path, edited).unwrap();
    let sum = v.sync().await.unwrap();
    assert_eq!(sum.up_updated, 1, "{sum}");
    assert_eq!(s.store.get_contact(w, c.id).await.unwrap().data.notes, "from bob's PC");
    assert_eq!(s.store.history(w, c.id).await.unwrap()[0].actor_name.as_deref(), Some("bob"));

    // A read-only book's folder does not upload.
    let dir_folder =
        dir.path().join(format!("Directory-{}", &dir_book.id.as_uuid().simple().to_string()[..8]));
    std::fs::write(dir_folder.join(format!("{BEN}.vcf")), card(BEN, "Ben", "222")).unwrap();
    let sum = v.sync().await.unwrap();
    assert_eq!(sum.up_created, 0, "{sum}");
    assert!(sum.skipped.iter().any(|m| m.contains("read-only")), "{sum}");
    assert_eq!(s.store.count_contacts(d).await.unwrap(), 1);

    // Withdrawn: the folder's contacts go (and the folder, once it holds nothing else).
    s.store.unshare_book(w, &domain::Grantee::Account(bob.id)).await.unwrap();
    v.sync().await.unwrap();
    assert!(!work_dir.exists(), "{work_dir:?} is still there");
    assert!(dir_folder.exists());
    s.shutdown().await;
}
