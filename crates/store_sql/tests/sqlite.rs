//! The backend contract on SQLite, plus what only a file-based store must prove.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use store::Backend;
use store_sql::SqliteBackend;

/// A fresh database in its own temporary directory (kept alive by leaking the guard).
async fn fresh() -> Arc<dyn Backend> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
    std::mem::forget(dir);
    Arc::new(SqliteBackend::connect(&url).await.unwrap())
}

store::contract_tests!(fresh);

#[tokio::test]
async fn no_plaintext_contact_data_in_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rolo.db");
    let backend =
        Arc::new(SqliteBackend::connect(&format!("sqlite://{}", path.display())).await.unwrap());
    let store = store::contract::store_on(backend.clone()).await;
    store::contract::write_known_contacts(&store).await;

    // Scan the main file and the WAL as they are (before any checkpoint), then after one.
    let scan = |label: &str| {
        let mut files = 0;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let p = entry.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            files += 1;
            for needle in store::contract::SECRET_STRINGS
                .iter()
                .chain(["Deleted", "deleted@example.org"].iter())
            {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{label}: {needle:?} found in plaintext in {}",
                    p.display()
                );
            }
        }
        assert!(files >= 2, "expected the database and its WAL, found {files} files");
    };
    scan("before checkpoint");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(backend.pool()).await.unwrap();
    scan("after checkpoint");
    // The scan can fail: the username is stored in clear and is found.
    let db = std::fs::read(&path).unwrap();
    assert!(db.windows(12).any(|w| w == b"secret-owner"));
}

#[tokio::test]
async fn unreachable_database_gives_a_clear_error() {
    let err = SqliteBackend::connect("sqlite:///nonexistent-dir/sub/rolo.db").await.err().unwrap();
    assert!(err.to_string().contains("cannot open the SQLite database"), "{err}");
}

/// A running server keeps working through `rolo key rotate` + `rolo key prune` done by another
/// process: when it meets a key id it does not hold, it re-reads the key file.
#[tokio::test]
async fn a_running_store_follows_a_rotation_in_the_key_file() {
    use crypto::{Keyring, MasterKey};
    use domain::Origin;
    use store::{KeySource, Store};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
    let key_file = dir.path().join("master.key");
    let old = Keyring::new(vec![MasterKey::generate().unwrap()]).unwrap();
    old.write_file(&key_file).unwrap();

    let backend: Arc<dyn Backend> = Arc::new(SqliteBackend::connect(&url).await.unwrap());
    let running = Store::new(backend.clone(), KeySource::File(key_file.clone())).await.unwrap();
    let user = |n: &str| domain::Username::parse(n).unwrap();
    let a = running.create_account(&user("alice"), "alice-password-1", false).await.unwrap();
    let b = running.create_account(&user("bob"), "bob-password-22", false).await.unwrap();
    let c = running
        .create_contact(
            b.id,
            None,
            &store::contract::contact("Bo", "B", "555 0101", "b@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();

    // Another process rotates and prunes.
    let other_backend: Arc<dyn Backend> = Arc::new(SqliteBackend::connect(&url).await.unwrap());
    let other = Store::new(other_backend, KeySource::File(key_file.clone())).await.unwrap();
    let rotated = old.rotated(MasterKey::generate().unwrap());
    rotated.write_file(&key_file).unwrap();
    other.rotate_to(rotated.clone()).await.unwrap();
    rotated.without(&[old.active().id().clone()]).write_file(&key_file).unwrap();

    // The running store already held Bob's data key; Alice's it must unwrap with the new key,
    // which it only finds by re-reading the file.
    assert_eq!(running.get_contact(b.id, c.id).await.unwrap().data.display_name, "Bo B");
    let made = running
        .create_contact(
            a.id,
            None,
            &store::contract::contact("Al", "A", "555 0102", "a@example.org"),
            Origin::Console,
        )
        .await;
    assert!(made.is_ok(), "{made:?}");
    assert!(running.missing_key_ids().await.unwrap().is_empty());
}
