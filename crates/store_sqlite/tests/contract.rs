//! The backend contract on SQLite, plus what only a file-based store must prove.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use store::Backend;
use store_sqlite::SqliteBackend;

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
    let backend = Arc::new(SqliteBackend::connect(&format!("sqlite://{}", path.display())).await.unwrap());
    let store = store::contract::store_on(backend.clone()).await;
    store::contract::write_known_contacts(&store).await;

    // Scan the main file and the WAL as they are (before any checkpoint), then after one.
    let scan = |label: &str| {
        let mut files = 0;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let p = entry.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            files += 1;
            for needle in store::contract::SECRET_STRINGS.iter().chain(["Deleted", "deleted@example.org"].iter()) {
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
