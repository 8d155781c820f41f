//! The migrations each database applies at every start, embedded by build.rs.

use std::sync::LazyLock;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::SqlSafeStr;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

pub(crate) static SQLITE_MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| migrator(SQLITE));
pub(crate) static POSTGRES_MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| migrator(POSTGRES));

/// The same `Migrator` as sqlx's `migrate!` makes of the folder: the checksum of each file's text
/// (what sqlx compares with the one recorded when it ran), `-- no-transaction` honoured.
fn migrator(files: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        files
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    sql.starts_with("-- no-transaction"),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// What sqlx itself reads from the folder (and what its macro embedded before): the same
    /// versions, descriptions, checksums and transaction modes, so databases migrated by earlier
    /// builds are recognised.
    #[tokio::test]
    async fn embedded_migrations_match_what_sqlx_reads() {
        for (folder, ours) in [("sqlite", &*SQLITE_MIGRATOR), ("postgres", &*POSTGRES_MIGRATOR)] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(folder);
            let theirs = Migrator::new(dir.as_path()).await.expect("sqlx reads the folder");
            let shape = |m: &Migrator| -> Vec<_> {
                m.iter()
                    .map(|m| {
                        (
                            m.version,
                            m.description.to_string(),
                            m.checksum.to_vec(),
                            m.no_tx,
                            m.migration_type,
                        )
                    })
                    .collect()
            };
            assert!(ours.iter().count() >= 9, "{folder}: migrations missing");
            assert_eq!(shape(ours), shape(&theirs), "{folder}");
        }
    }
}
