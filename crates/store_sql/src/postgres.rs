//! PostgreSQL: for deployments that run several stateless Rolo instances on one database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use store::{StoreError, StoreResult};

pub(crate) type Db = sqlx::Postgres;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) type B = PostgresBackend;

#[path = "shared/mod.rs"]
mod shared;

/// The migrations this build applies (at every start).
pub(crate) use crate::migrations::POSTGRES_MIGRATOR as MIGRATOR;

pub struct PostgresBackend {
    pool: PgPool,
}

impl PostgresBackend {
    /// Connects to `url` (`postgres://…`) and applies migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?;
        Self::connect_with(opts).await
    }

    /// Connects with explicit options (e.g. a `search_path` for a schema of its own).
    pub async fn connect_with(opts: PgConnectOptions) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("database migration failed: {e}")))?;
        Ok(PostgresBackend { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// What PostgreSQL does its own way.
pub(crate) mod dialect {
    use sqlx::{PgPool, Transaction};
    use store::{ContactRow, StoreError, StoreResult};

    use super::shared::{contact_from, db_err};
    use domain::BookId;

    pub(crate) const NAME: &str = "postgres";

    /// PostgreSQL is backed up with its own tools (`pg_dump`), not by Rolo.
    pub(crate) async fn backup_into(_pool: &PgPool, _path: &str) -> StoreResult<()> {
        Err(StoreError::Backend(
            "a PostgreSQL database is backed up with pg_dump (see the README, Backups)".into(),
        ))
    }

    /// A write transaction. The first write (`UPDATE books … RETURNING`) locks the book's
    /// row, which orders concurrent writers of one book across instances.
    pub(crate) async fn begin_write(
        pool: &PgPool,
    ) -> Result<Transaction<'static, super::Db>, sqlx::Error> {
        pool.begin().await
    }

    pub(crate) const LIVE_GROUPS: &str =
        "SELECT * FROM contacts WHERE book_id = $1 AND kind = 'group' AND deleted = FALSE";

    const HEADS: &str = "SELECT kind, book_id, id, revision, seq, deleted, NULL::bytea AS sealed, created_at, updated_at FROM contacts ";

    pub(crate) async fn heads_since(
        pool: &PgPool,
        book: BookId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ContactRow>> {
        let sql = format!("{HEADS} WHERE book_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(book.as_uuid())
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await;
        rows.map_err(db_err)?.iter().map(contact_from).collect()
    }

    pub(crate) async fn live_heads(pool: &PgPool, book: BookId) -> StoreResult<Vec<ContactRow>> {
        let sql = format!("{HEADS} WHERE book_id = $1 AND deleted = FALSE ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(book.as_uuid()).fetch_all(pool).await;
        rows.map_err(db_err)?.iter().map(contact_from).collect()
    }
}
