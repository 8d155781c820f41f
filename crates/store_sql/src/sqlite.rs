//! SQLite (the embedded default): WAL mode, one file in the data directory.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use store::{StoreError, StoreResult};

pub(crate) type Db = sqlx::Sqlite;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type B = SqliteBackend;

#[path = "shared/mod.rs"]
mod shared;

/// The migrations this build applies (at every start).
pub(crate) use crate::migrations::SQLITE_MIGRATOR as MIGRATOR;

pub struct SqliteBackend {
    pool: SqlitePool,
}

/// Rows in flight between SQLite's worker thread and the reader: with sqlx's 50, a 10,000-row
/// read wakes the two threads hundreds of times (~40 µs each here).
const ROW_CHANNEL: usize = 1024;

impl SqliteBackend {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite::memory:`)
    /// and applies migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid SQLite URL {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .row_buffer_size(ROW_CHANNEL)
            // Reads map the file instead of copying each page through read(2) (the copy was a
            // tenth of a 100,000-contact export's profile). The mapped pages are the kernel's
            // page cache: shared, and dropped under memory pressure.
            .pragma("mmap_size", "268435456");
        let pool =
            SqlitePoolOptions::new().max_connections(8).connect_with(opts).await.map_err(|e| {
                StoreError::Backend(format!("cannot open the SQLite database {url}: {e}"))
            })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("database migration failed: {e}")))?;
        Ok(SqliteBackend { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// What SQLite does its own way.
pub(crate) mod dialect {
    use sqlx::{SqlitePool, Transaction};
    use store::{ContactRow, EntityKind, StoreError, StoreResult};

    use super::shared::{db_err, time};
    use domain::{BookId, ContactId};
    use uuid::Uuid;

    pub(crate) const NAME: &str = "sqlite";

    /// `VACUUM INTO`: a consistent copy from one read transaction, while writers go on.
    pub(crate) async fn backup_into(pool: &SqlitePool, path: &str) -> StoreResult<()> {
        sqlx::query("VACUUM INTO $1").bind(path).execute(pool).await.map_err(db_err).map(|_| ())
    }

    /// A write transaction holding SQLite's write lock from its first statement.
    pub(crate) async fn begin_write(
        pool: &SqlitePool,
    ) -> Result<Transaction<'static, super::Db>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Live groups. Without the index hint, SQLite reads every row of the book through the
    /// primary key.
    pub(crate) const LIVE_GROUPS: &str =
        "SELECT * FROM contacts INDEXED BY contacts_kind WHERE book_id = $1 AND kind = 'group' AND deleted = FALSE";

    /// The heads (no sealed content) of the rows selected, in change order, as one text value:
    /// sqlx hands rows over at ~4 µs each, most of the time of listing 10,000 contacts, while
    /// SQLite writes this list in C. Read by [`heads_from`].
    const PACKED_HEADS: &str =
        "group_concat(printf('%s %s %s %s %s %s %s', kind, hex(id), revision, seq, deleted, created_at, updated_at), ' ' ORDER BY seq)";

    pub(crate) async fn heads_since(
        pool: &SqlitePool,
        book: BookId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ContactRow>> {
        let sql = format!(
            "SELECT {PACKED_HEADS} FROM (SELECT kind, id, revision, seq, deleted, created_at, updated_at FROM contacts \
             WHERE book_id = $1 AND seq > $2 ORDER BY seq LIMIT $3)"
        );
        let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        let text: Option<String> =
            q.bind(book.as_uuid()).bind(after).bind(limit).fetch_one(pool).await.map_err(db_err)?;
        heads_from(book, text.as_deref().unwrap_or_default())
    }

    pub(crate) async fn live_heads(
        pool: &SqlitePool,
        book: BookId,
    ) -> StoreResult<Vec<ContactRow>> {
        let sql =
            format!("SELECT {PACKED_HEADS} FROM contacts WHERE book_id = $1 AND deleted = FALSE");
        let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(book.as_uuid())
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
        heads_from(book, text.as_deref().unwrap_or_default())
    }

    /// Reads [`PACKED_HEADS`].
    fn heads_from(book: BookId, text: &str) -> StoreResult<Vec<ContactRow>> {
        let bad = || StoreError::Backend("a contact heading does not decode".into());
        let mut words = text.split(' ').filter(|w| !w.is_empty());
        let mut out = Vec::new();
        while let Some(kind) = words.next() {
            let mut next = || words.next().ok_or_else(bad);
            let kind = EntityKind::parse(kind).ok_or_else(bad)?;
            let id = Uuid::try_parse(next()?).map_err(|_| bad())?;
            let mut num = || next().and_then(|w| w.parse::<i64>().map_err(|_| bad()));
            let (revision, seq, deleted, created_at, updated_at) =
                (num()?, num()?, num()?, num()?, num()?);
            out.push(ContactRow {
                kind,
                book_id: book,
                id: ContactId::from_uuid(id),
                revision,
                seq,
                deleted: deleted != 0,
                sealed: None,
                created_at: time(created_at),
                updated_at: time(updated_at),
            });
        }
        Ok(out)
    }
}
