//! SQLite backend (the embedded default): WAL mode, one file in the data directory.
//!
//! Every contact write runs in one transaction that first bumps the account's change
//! sequence (taking SQLite's write lock at once), then writes the contact row and appends
//! the change-log row.
#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{AccountId, ContactId, DeviceId, Username};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use store::{
    TrashRow,
    AccountRow, Backend, ChangeRow, ContactRow, DavCardRow, DavNameRow, DAV_CARDS_BY_HASH, DAV_CARDS_BY_ID, DAV_CARDS_NAMED_ONLY, DeviceRow, EntityKind, NewAccount, RevisionRow, SecondFactorRow, SessionRow, StoreError, StoreResult, ThrottleRow,
    SyncRecord,
};
use uuid::Uuid;

/// Rows per multi-row INSERT: each sqlx statement costs a thread round trip, so batch.
const BATCH_ROWS: usize = 100;

pub struct SqliteBackend {
    pool: SqlitePool,
}

fn db_err(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

fn account_from(r: &SqliteRow) -> StoreResult<AccountRow> {
    let username: String = r.try_get("username").map_err(db_err)?;
    Ok(AccountRow {
        id: AccountId::from_uuid(r.try_get("id").map_err(db_err)?),
        username: Username::parse(&username).map_err(StoreError::Backend)?,
        password_hash: r.try_get("password_hash").map_err(db_err)?,
        is_admin: r.try_get("is_admin").map_err(db_err)?,
        disabled: r.try_get("disabled").map_err(db_err)?,
        key_id: r.try_get("key_id").map_err(db_err)?,
        wrapped_key: r.try_get("wrapped_key").map_err(db_err)?,
        created_at: time(r.try_get("created_at").map_err(db_err)?),
        lang: r.try_get("lang").map_err(db_err)?,
    })
}

fn revision_from(r: &SqliteRow) -> StoreResult<RevisionRow> {
    Ok(RevisionRow {
        revision: r.try_get("revision").map_err(db_err)?,
        sealed: r.try_get("sealed").map_err(db_err)?,
        origin: r.try_get("origin").map_err(db_err)?,
        changed_at: time(r.try_get("changed_at").map_err(db_err)?),
    })
}

fn device_from(r: &SqliteRow) -> StoreResult<DeviceRow> {
    let opt_time = |v: Option<i64>| v.map(time);
    Ok(DeviceRow {
        id: DeviceId::from_uuid(r.try_get("id").map_err(db_err)?),
        account_id: AccountId::from_uuid(r.try_get("account_id").map_err(db_err)?),
        name: r.try_get("name").map_err(db_err)?,
        kind: r.try_get("kind").map_err(db_err)?,
        token_hash: r.try_get("token_hash").map_err(db_err)?,
        created_at: time(r.try_get("created_at").map_err(db_err)?),
        revoked_at: opt_time(r.try_get("revoked_at").map_err(db_err)?),
        last_sync_at: opt_time(r.try_get("last_sync_at").map_err(db_err)?),
        last_cursor: r.try_get("last_cursor").map_err(db_err)?,
        last_addr: r.try_get("last_addr").map_err(db_err)?,
        changes_sent: r.try_get("changes_sent").map_err(db_err)?,
        changes_received: r.try_get("changes_received").map_err(db_err)?,
    })
}

fn contact_from(r: &SqliteRow) -> StoreResult<ContactRow> {
    let kind: String = r.try_get("kind").map_err(db_err)?;
    Ok(ContactRow {
        kind: EntityKind::parse(&kind).ok_or_else(|| StoreError::Backend(format!("unknown kind {kind}")))?,
        account_id: AccountId::from_uuid(r.try_get("account_id").map_err(db_err)?),
        id: ContactId::from_uuid(r.try_get("id").map_err(db_err)?),
        revision: r.try_get("revision").map_err(db_err)?,
        seq: r.try_get("seq").map_err(db_err)?,
        deleted: r.try_get("deleted").map_err(db_err)?,
        sealed: r.try_get("sealed").map_err(db_err)?,
        created_at: time(r.try_get("created_at").map_err(db_err)?),
        updated_at: time(r.try_get("updated_at").map_err(db_err)?),
    })
}

/// Rows in flight between SQLite's worker thread and the reader.
const ROW_CHANNEL: usize = 1024;

impl SqliteBackend {
    /// `SELECT * FROM {table} WHERE account_id = … AND {column} IN (keys…)`, 500 keys a query.
    async fn select_in<'k, K, T>(
        &self,
        table: &str,
        column: &str,
        account: AccountId,
        keys: &'k [K],
        row: fn(&SqliteRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>>
    where
        K: sqlx::Encode<'k, Sqlite> + sqlx::Type<Sqlite> + Sync,
    {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT * FROM {table} WHERE account_id = "));
            q.push_bind(*account.as_uuid()).push(format!(" AND {column} IN ("));
            let mut list = q.separated(", ");
            for k in chunk {
                list.push_bind(k);
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await.map_err(db_err)? {
                out.push(row(&r)?);
            }
        }
        Ok(out)
    }

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
            // Rows cross from SQLite's worker thread in a channel of this many: with sqlx's 50,
            // a 10,000-row read wakes the two threads hundreds of times (~40 µs each here).
            .row_buffer_size(ROW_CHANNEL);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open the SQLite database {url}: {e}")))?;
        sqlx::migrate!("../../migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("database migration failed: {e}")))?;
        Ok(SqliteBackend { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Starts a write transaction holding SQLite's write lock from the first statement.
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)
    }

    async fn bump_seq(tx: &mut Transaction<'static, Sqlite>, account: AccountId) -> StoreResult<i64> {
        let row = sqlx::query("UPDATE accounts SET change_seq = change_seq + 1 WHERE id = ? RETURNING change_seq")
            .bind(account.as_uuid())
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
        row.ok_or(StoreError::NotFound)?.try_get(0).map_err(db_err)
    }

    /// Appends to the change log and stores the revision in the history.
    #[allow(clippy::too_many_arguments)]
    async fn log_change(
        tx: &mut Transaction<'static, Sqlite>,
        kind: EntityKind,
        account: AccountId,
        seq: i64,
        id: ContactId,
        revision: i64,
        sealed: Option<&[u8]>,
        at: DateTime<Utc>,
        origin: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO changes (account_id, seq, entity, entity_id, revision, deleted, changed_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(account.as_uuid())
        .bind(seq)
        .bind(kind.as_str())
        .bind(id.as_uuid())
        .bind(revision)
        .bind(sealed.is_none())
        .bind(ms(at))
        .bind(origin)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO contact_revisions (account_id, contact_id, revision, sealed, origin, changed_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(account.as_uuid())
        .bind(id.as_uuid())
        .bind(revision)
        .bind(sealed)
        .bind(origin)
        .bind(ms(at))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Explains why a conditional write matched no row. With `tombstone_is_missing`, a deleted
    /// contact counts as not found (deleting it again); otherwise its revision is reported.
    async fn why_not(
        tx: &mut Transaction<'static, Sqlite>,
        account: AccountId,
        id: ContactId,
        tombstone_is_missing: bool,
    ) -> StoreError {
        let row = sqlx::query("SELECT revision, deleted FROM contacts WHERE account_id = ? AND id = ?")
            .bind(account.as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(&mut **tx)
            .await;
        match row {
            Ok(Some(r)) => {
                let deleted: bool = r.try_get("deleted").unwrap_or(true);
                if deleted && tombstone_is_missing {
                    StoreError::NotFound
                } else {
                    StoreError::Stale { current: r.try_get("revision").unwrap_or(0) }
                }
            }
            Ok(None) => StoreError::NotFound,
            Err(e) => db_err(e),
        }
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err).map(|_| ())
    }

    async fn count_accounts(&self) -> StoreResult<i64> {
        sqlx::query("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await.map_err(db_err)?.try_get(0).map_err(db_err)
    }

    async fn create_account(&self, a: &NewAccount) -> StoreResult<()> {
        let res = sqlx::query(
            "INSERT INTO accounts (id, username, password_hash, is_admin, disabled, key_id, wrapped_key, change_seq, created_at) \
             VALUES (?, ?, ?, ?, 0, ?, ?, 0, ?)",
        )
        .bind(a.id.as_uuid())
        .bind(a.username.as_str())
        .bind(&a.password_hash)
        .bind(a.is_admin)
        .bind(&a.key_id)
        .bind(&a.wrapped_key)
        .bind(ms(a.created_at))
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                Err(StoreError::Conflict(format!("The username “{}” is taken.", a.username)))
            }
            Err(e) => Err(db_err(e)),
        }
    }

    async fn account_by_username(&self, username: &Username) -> StoreResult<Option<AccountRow>> {
        sqlx::query("SELECT id, username, password_hash, is_admin, disabled, key_id, wrapped_key, created_at, lang FROM accounts WHERE username = ?")
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(account_from)
            .transpose()
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<AccountRow>> {
        sqlx::query("SELECT id, username, password_hash, is_admin, disabled, key_id, wrapped_key, created_at, lang FROM accounts WHERE id = ?")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(account_from)
            .transpose()
    }

    async fn list_accounts(&self) -> StoreResult<Vec<AccountRow>> {
        sqlx::query("SELECT id, username, password_hash, is_admin, disabled, key_id, wrapped_key, created_at, lang FROM accounts ORDER BY username")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(account_from)
            .collect()
    }

    async fn set_disabled(&self, id: AccountId, disabled: bool) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE accounts SET disabled = ? WHERE id = ?")
            .bind(disabled)
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_password_hash(&self, id: AccountId, hash: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE accounts SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_admin(&self, id: AccountId, is_admin: bool) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE accounts SET is_admin = ? WHERE id = ?")
            .bind(is_admin)
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_lang(&self, id: AccountId, lang: Option<&str>) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE accounts SET lang = ? WHERE id = ?")
            .bind(lang)
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn account_stats(&self) -> StoreResult<Vec<(AccountId, i64, Option<DateTime<Utc>>)>> {
        let rows = sqlx::query(
            "SELECT a.id, \
                    (SELECT COUNT(*) FROM contacts c WHERE c.account_id = a.id AND c.kind = 'contact' AND c.deleted = FALSE) AS n, \
                    (SELECT MAX(ch.changed_at) FROM changes ch WHERE ch.account_id = a.id) AS last \
             FROM accounts a",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let last: Option<i64> = r.try_get("last").map_err(db_err)?;
                Ok((AccountId::from_uuid(r.try_get("id").map_err(db_err)?), r.try_get("n").map_err(db_err)?, last.map(time)))
            })
            .collect()
    }

    async fn key_ids_in_use(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT key_id, COUNT(*) AS n FROM accounts GROUP BY key_id ORDER BY key_id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| Ok((r.try_get("key_id").map_err(db_err)?, r.try_get("n").map_err(db_err)?))).collect()
    }

    async fn accounts_with_key(&self, key_id: &str) -> StoreResult<Vec<AccountRow>> {
        sqlx::query("SELECT id, username, password_hash, is_admin, disabled, key_id, wrapped_key, created_at, lang FROM accounts WHERE key_id = ?")
            .bind(key_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(account_from)
            .collect()
    }

    async fn rewrap_account_key(&self, id: AccountId, old_key_id: &str, new_key_id: &str, wrapped: &[u8]) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE accounts SET key_id = ?, wrapped_key = ? WHERE id = ? AND key_id = ?")
            .bind(new_key_id)
            .bind(wrapped)
            .bind(id.as_uuid())
            .bind(old_key_id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn create_session(&self, s: &SessionRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(&s.token_hash)
            .bind(s.account_id.as_uuid())
            .bind(ms(s.created_at))
            .bind(ms(s.expires_at))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<(SessionRow, AccountRow)>> {
        let row = sqlx::query(
            "SELECT s.token_hash, s.created_at AS s_created, s.expires_at, \
                    a.id, a.username, a.password_hash, a.is_admin, a.disabled, a.key_id, a.wrapped_key, a.created_at, a.lang \
             FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let account = account_from(&r)?;
        let session = SessionRow {
            token_hash: r.try_get("token_hash").map_err(db_err)?,
            account_id: account.id,
            created_at: time(r.try_get("s_created").map_err(db_err)?),
            expires_at: time(r.try_get("expires_at").map_err(db_err)?),
        };
        Ok(Some((session, account)))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_account_sessions(&self, id: AccountId) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE account_id = ?").bind(id.as_uuid()).execute(&self.pool).await.map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn account_sessions(&self, id: AccountId) -> StoreResult<Vec<SessionRow>> {
        let rows = sqlx::query("SELECT token_hash, created_at, expires_at FROM sessions WHERE account_id = ? ORDER BY created_at DESC")
            .bind(id.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(SessionRow {
                    token_hash: r.try_get("token_hash").map_err(db_err)?,
                    account_id: id,
                    created_at: time(r.try_get("created_at").map_err(db_err)?),
                    expires_at: time(r.try_get("expires_at").map_err(db_err)?),
                })
            })
            .collect()
    }

    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(ms(now)).execute(&self.pool).await.map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn throttle_row(&self, key: &str) -> StoreResult<Option<ThrottleRow>> {
        let row = sqlx::query("SELECT failures, next_at, updated_at FROM signin_throttle WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            Ok(ThrottleRow {
                failures: r.try_get("failures").map_err(db_err)?,
                next_at: r.try_get("next_at").map_err(db_err)?,
                updated_at: r.try_get("updated_at").map_err(db_err)?,
            })
        })
        .transpose()
    }

    async fn throttle_swap(&self, key: &str, expected: Option<&ThrottleRow>, new: &ThrottleRow) -> StoreResult<bool> {
        let r = match expected {
            None => sqlx::query(
                "INSERT INTO signin_throttle (key, failures, next_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(new.failures)
            .bind(new.next_at)
            .bind(new.updated_at)
            .execute(&self.pool)
            .await,
            Some(old) => sqlx::query(
                "UPDATE signin_throttle SET failures = ?, next_at = ?, updated_at = ? \
                 WHERE key = ? AND failures = ? AND next_at = ? AND updated_at = ?",
            )
            .bind(new.failures)
            .bind(new.next_at)
            .bind(new.updated_at)
            .bind(key)
            .bind(old.failures)
            .bind(old.next_at)
            .bind(old.updated_at)
            .execute(&self.pool)
            .await,
        }
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM signin_throttle WHERE key = ?").bind(key).execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn throttle_purge(&self, before: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM signin_throttle WHERE updated_at < ?").bind(before).execute(&self.pool).await.map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn second_factor(&self, account: AccountId) -> StoreResult<Option<SecondFactorRow>> {
        let row = sqlx::query(
            "SELECT sealed, confirmed, last_step, recovery, created_at FROM second_factors WHERE account_id = ?",
        )
        .bind(account.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| {
            Ok(SecondFactorRow {
                account_id: account,
                sealed: r.try_get("sealed").map_err(db_err)?,
                confirmed: r.try_get("confirmed").map_err(db_err)?,
                last_step: r.try_get("last_step").map_err(db_err)?,
                recovery: r.try_get("recovery").map_err(db_err)?,
                created_at: time(r.try_get("created_at").map_err(db_err)?),
            })
        })
        .transpose()
    }

    async fn put_second_factor(&self, f: &SecondFactorRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO second_factors (account_id, sealed, confirmed, last_step, recovery, created_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (account_id) DO UPDATE SET sealed = excluded.sealed, confirmed = excluded.confirmed, \
             last_step = excluded.last_step, recovery = excluded.recovery, created_at = excluded.created_at",
        )
        .bind(f.account_id.as_uuid())
        .bind(&f.sealed)
        .bind(f.confirmed)
        .bind(f.last_step)
        .bind(&f.recovery)
        .bind(ms(f.created_at))
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_second_factor(&self, account: AccountId) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM second_factors WHERE account_id = ?").bind(account.as_uuid()).execute(&self.pool).await.map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn use_second_factor_step(&self, account: AccountId, step: i64) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE second_factors SET last_step = ? WHERE account_id = ? AND last_step < ?")
            .bind(step)
            .bind(account.as_uuid())
            .bind(step)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn swap_recovery_codes(&self, account: AccountId, expected: &str, new: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE second_factors SET recovery = ? WHERE account_id = ? AND recovery = ?")
            .bind(new)
            .bind(account.as_uuid())
            .bind(expected)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn create_pending_signin(&self, s: &SessionRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO pending_signins (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(&s.token_hash)
            .bind(s.account_id.as_uuid())
            .bind(ms(s.created_at))
            .bind(ms(s.expires_at))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn pending_signin(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query("SELECT account_id, created_at, expires_at FROM pending_signins WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            Ok(SessionRow {
                token_hash: token_hash.to_string(),
                account_id: AccountId::from_uuid(r.try_get("account_id").map_err(db_err)?),
                created_at: time(r.try_get("created_at").map_err(db_err)?),
                expires_at: time(r.try_get("expires_at").map_err(db_err)?),
            })
        })
        .transpose()
    }

    async fn delete_pending_signin(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM pending_signins WHERE token_hash = ?").bind(token_hash).execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn purge_pending_signins(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM pending_signins WHERE expires_at <= ?").bind(ms(now)).execute(&self.pool).await.map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(&self.pool).await.map_err(db_err)?;
        row.map(|r| r.try_get("value").map_err(db_err)).transpose()
    }

    async fn set_setting(&self, key: &str, value: Option<&str>) -> StoreResult<()> {
        match value {
            Some(v) => sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(v)
                .execute(&self.pool)
                .await,
            None => sqlx::query("DELETE FROM settings WHERE key = ?").bind(key).execute(&self.pool).await,
        }
        .map_err(db_err)?;
        Ok(())
    }

    async fn insert_contact(&self, row: &ContactRow, name: Option<&DavNameRow>, origin: &str) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let seq = Self::bump_seq(&mut tx, row.account_id).await?;
        let res = sqlx::query(
            "INSERT INTO contacts (kind, account_id, id, revision, seq, deleted, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, FALSE, ?, ?, ?)",
        )
        .bind(row.kind.as_str())
        .bind(row.account_id.as_uuid())
        .bind(row.id.as_uuid())
        .bind(row.revision)
        .bind(seq)
        .bind(&row.sealed)
        .bind(ms(row.created_at))
        .bind(ms(row.updated_at))
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                return Err(StoreError::Conflict(format!("A contact with id {} already exists.", row.id)));
            }
            Err(e) => return Err(db_err(e)),
        }
        if let Some(n) = name {
            put_name(&mut *tx, n).await?;
        }
        Self::log_change(&mut tx, row.kind, row.account_id, seq, row.id, row.revision, row.sealed.as_deref(), row.updated_at, origin).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(seq)
    }

    async fn insert_contacts(&self, account: AccountId, rows: &[ContactRow], origin: &str) -> StoreResult<i64> {
        if rows.is_empty() {
            return self.current_seq(account).await;
        }
        let mut tx = self.begin_write().await?;
        let n = rows.len() as i64;
        let last: i64 = sqlx::query("UPDATE accounts SET change_seq = change_seq + ? WHERE id = ? RETURNING change_seq")
            .bind(n)
            .bind(account.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?
            .try_get(0)
            .map_err(db_err)?;
        let first = last - n + 1;
        for (chunk_no, chunk) in rows.chunks(BATCH_ROWS).enumerate() {
            let base = first + (chunk_no * BATCH_ROWS) as i64;
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO contacts (kind, account_id, id, revision, seq, deleted, sealed, created_at, updated_at) ",
            );
            q.push_values(chunk.iter().enumerate(), |mut b, (i, r)| {
                b.push_bind(r.kind.as_str())
                    .push_bind(account.as_uuid())
                    .push_bind(r.id.as_uuid())
                    .push_bind(1_i64)
                    .push_bind(base + i as i64)
                    .push_bind(false)
                    .push_bind(r.sealed.as_deref())
                    .push_bind(ms(r.created_at))
                    .push_bind(ms(r.updated_at));
            });
            if let Err(e) = q.build().execute(&mut *tx).await {
                if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                    return Err(StoreError::Conflict("one of the contacts' ids already exists".into()));
                }
                return Err(db_err(e));
            }
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO changes (account_id, seq, entity, entity_id, revision, deleted, changed_at, origin) ",
            );
            q.push_values(chunk.iter().enumerate(), |mut b, (i, r)| {
                b.push_bind(account.as_uuid())
                    .push_bind(base + i as i64)
                    .push_bind(r.kind.as_str())
                    .push_bind(r.id.as_uuid())
                    .push_bind(1_i64)
                    .push_bind(false)
                    .push_bind(ms(r.updated_at))
                    .push_bind(origin);
            });
            q.build().execute(&mut *tx).await.map_err(db_err)?;
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO contact_revisions (account_id, contact_id, revision, sealed, origin, changed_at) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(account.as_uuid())
                    .push_bind(r.id.as_uuid())
                    .push_bind(1_i64)
                    .push_bind(r.sealed.as_deref())
                    .push_bind(origin)
                    .push_bind(ms(r.updated_at));
            });
            q.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(last)
    }

    async fn update_contact(&self, row: &ContactRow, base_revision: i64, name: Option<&DavNameRow>, origin: &str) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let seq = Self::bump_seq(&mut tx, row.account_id).await?;
        let r = sqlx::query(
            "UPDATE contacts SET revision = ?, seq = ?, sealed = ?, deleted = ?, updated_at = ? \
             WHERE account_id = ? AND id = ? AND revision = ?",
        )
        .bind(row.revision)
        .bind(seq)
        .bind(if row.deleted { None } else { row.sealed.as_ref() })
        .bind(row.deleted)
        .bind(ms(row.updated_at))
        .bind(row.account_id.as_uuid())
        .bind(row.id.as_uuid())
        .bind(base_revision)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if r.rows_affected() != 1 {
            return Err(Self::why_not(&mut tx, row.account_id, row.id, false).await);
        }
        if let Some(n) = name {
            put_name(&mut *tx, n).await?;
        }
        let sealed = if row.deleted { None } else { row.sealed.as_deref() };
        Self::log_change(&mut tx, row.kind, row.account_id, seq, row.id, row.revision, sealed, row.updated_at, origin).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(seq)
    }

    async fn delete_contact(
        &self,
        account: AccountId,
        id: ContactId,
        base_revision: i64,
        new_revision: i64,
        now: DateTime<Utc>,
        origin: &str,
    ) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let seq = Self::bump_seq(&mut tx, account).await?;
        let r = sqlx::query(
            "UPDATE contacts SET revision = ?, seq = ?, sealed = NULL, deleted = 1, updated_at = ? \
             WHERE account_id = ? AND id = ? AND revision = ? AND deleted = 0 RETURNING kind",
        )
        .bind(new_revision)
        .bind(seq)
        .bind(ms(now))
        .bind(account.as_uuid())
        .bind(id.as_uuid())
        .bind(base_revision)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(r) = r else {
            return Err(Self::why_not(&mut tx, account, id, true).await);
        };
        let kind: String = r.try_get(0).map_err(db_err)?;
        let kind = EntityKind::parse(&kind).unwrap_or(EntityKind::Contact);
        Self::log_change(&mut tx, kind, account, seq, id, new_revision, None, now, origin).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(seq)
    }

    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Option<ContactRow>> {
        sqlx::query("SELECT * FROM contacts WHERE account_id = ? AND id = ?")
            .bind(account.as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(contact_from)
            .transpose()
    }

    async fn count_contacts(&self, account: AccountId) -> StoreResult<i64> {
        sqlx::query("SELECT COUNT(*) FROM contacts WHERE account_id = ? AND kind = 'contact' AND deleted = 0")
            .bind(account.as_uuid())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?
            .try_get(0)
            .map_err(db_err)
    }

    async fn contacts_by_ids(&self, account: AccountId, ids: &[ContactId]) -> StoreResult<Vec<ContactRow>> {
        let keys: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
        self.select_in("contacts", "id", account, &keys, contact_from).await
    }

    async fn live_contacts(&self, account: AccountId) -> StoreResult<Vec<ContactRow>> {
        sqlx::query("SELECT * FROM contacts WHERE account_id = ? AND kind = 'contact' AND deleted = 0")
            .bind(account.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(contact_from)
            .collect()
    }

    async fn live_groups(&self, account: AccountId) -> StoreResult<Vec<ContactRow>> {
        // Without INDEXED BY, SQLite reads every row of the account through the primary key.
        sqlx::query("SELECT * FROM contacts INDEXED BY contacts_kind WHERE account_id = ? AND kind = 'group' AND deleted = 0")
            .bind(account.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(contact_from)
            .collect()
    }

    async fn changes_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<ChangeRow>> {
        let rows = sqlx::query(
            "SELECT seq, entity, entity_id, revision, deleted, changed_at FROM changes \
             WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(account.as_uuid())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let entity: String = r.try_get("entity").map_err(db_err)?;
                Ok(ChangeRow {
                    seq: r.try_get("seq").map_err(db_err)?,
                    entity: EntityKind::parse(&entity).ok_or_else(|| StoreError::Backend(format!("unknown entity {entity}")))?,
                    entity_id: ContactId::from_uuid(r.try_get::<Uuid, _>("entity_id").map_err(db_err)?),
                    revision: r.try_get("revision").map_err(db_err)?,
                    deleted: r.try_get("deleted").map_err(db_err)?,
                    changed_at: time(r.try_get("changed_at").map_err(db_err)?),
                })
            })
            .collect()
    }

    async fn current_seq(&self, account: AccountId) -> StoreResult<i64> {
        let row = sqlx::query("SELECT change_seq FROM accounts WHERE id = ?")
            .bind(account.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(match row {
            Some(r) => r.try_get(0).map_err(db_err)?,
            None => 0,
        })
    }

    async fn purged_seq(&self, account: AccountId) -> StoreResult<i64> {
        let row = sqlx::query("SELECT purged_seq FROM accounts WHERE id = ?")
            .bind(account.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(match row {
            Some(r) => r.try_get(0).map_err(db_err)?,
            None => 0,
        })
    }

    async fn contacts_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<ContactRow>> {
        sqlx::query("SELECT * FROM contacts WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?")
            .bind(account.as_uuid())
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(contact_from)
            .collect()
    }

    async fn revision(&self, account: AccountId, id: ContactId, revision: i64) -> StoreResult<Option<RevisionRow>> {
        sqlx::query(
            "SELECT revision, sealed, origin, changed_at FROM contact_revisions WHERE account_id = ? AND contact_id = ? AND revision = ?",
        )
        .bind(account.as_uuid())
        .bind(id.as_uuid())
        .bind(revision)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(revision_from)
        .transpose()
    }

    async fn revisions(&self, account: AccountId, id: ContactId) -> StoreResult<Vec<RevisionRow>> {
        sqlx::query(
            "SELECT revision, sealed, origin, changed_at FROM contact_revisions WHERE account_id = ? AND contact_id = ? ORDER BY revision DESC",
        )
        .bind(account.as_uuid())
        .bind(id.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(revision_from)
        .collect()
    }

    async fn trash(&self, account: AccountId) -> StoreResult<Vec<TrashRow>> {
        sqlx::query(
            "SELECT c.id, c.revision AS tomb_revision, c.updated_at AS deleted_at, COALESCE(d.origin, 'console') AS deleted_by, \
                    r.revision, r.sealed, r.origin, r.changed_at \
             FROM contacts c \
             JOIN contact_revisions r ON r.account_id = c.account_id AND r.contact_id = c.id AND r.revision = c.revision - 1 \
             LEFT JOIN contact_revisions d ON d.account_id = c.account_id AND d.contact_id = c.id AND d.revision = c.revision \
             WHERE c.account_id = ? AND c.kind = 'contact' AND c.deleted = 1 AND r.sealed IS NOT NULL \
             ORDER BY c.updated_at DESC, c.seq DESC",
        )
        .bind(account.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(TrashRow {
                id: ContactId::from_uuid(r.try_get("id").map_err(db_err)?),
                revision: r.try_get("tomb_revision").map_err(db_err)?,
                deleted_at: time(r.try_get("deleted_at").map_err(db_err)?),
                deleted_by: r.try_get("deleted_by").map_err(db_err)?,
                live: revision_from(r)?,
            })
        })
        .collect()
    }

    async fn purge_trash(&self, account: Option<AccountId>, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let (count, delete) = match account {
            Some(_) => (
                "SELECT COUNT(*) FROM contacts WHERE account_id = ? AND kind = 'contact' AND deleted = 1 AND updated_at < ? AND EXISTS (SELECT 1 FROM contact_revisions r WHERE r.account_id = contacts.account_id AND r.contact_id = contacts.id)",
                "DELETE FROM contact_revisions WHERE (account_id, contact_id) IN (SELECT account_id, id FROM contacts WHERE account_id = ? AND kind = 'contact' AND deleted = 1 AND updated_at < ?)",
            ),
            None => (
                "SELECT COUNT(*) FROM contacts WHERE kind = 'contact' AND deleted = 1 AND updated_at < ? AND EXISTS (SELECT 1 FROM contact_revisions r WHERE r.account_id = contacts.account_id AND r.contact_id = contacts.id)",
                "DELETE FROM contact_revisions WHERE (account_id, contact_id) IN (SELECT account_id, id FROM contacts WHERE kind = 'contact' AND deleted = 1 AND updated_at < ?)",
            ),
        };
        let mut q = sqlx::query(count);
        let mut d = sqlx::query(delete);
        if let Some(a) = account {
            q = q.bind(a.as_uuid());
            d = d.bind(a.as_uuid());
        }
        let n: i64 = q.bind(ms(before)).fetch_one(&mut *tx).await.map_err(db_err)?.try_get(0).map_err(db_err)?;
        d.bind(ms(before)).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(n as u64)
    }

    async fn create_device(&self, d: &DeviceRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO devices (id, account_id, name, kind, token_hash, created_at, changes_sent, changes_received) \
             VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
        )
        .bind(d.id.as_uuid())
        .bind(d.account_id.as_uuid())
        .bind(&d.name)
        .bind(&d.kind)
        .bind(&d.token_hash)
        .bind(ms(d.created_at))
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<(DeviceRow, AccountRow)>> {
        let row = sqlx::query("SELECT * FROM devices WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let device = device_from(&r)?;
        match self.account(device.account_id).await? {
            Some(account) => Ok(Some((device, account))),
            None => Ok(None),
        }
    }

    async fn devices(&self, account: AccountId) -> StoreResult<Vec<DeviceRow>> {
        sqlx::query("SELECT * FROM devices WHERE account_id = ? ORDER BY created_at, id")
            .bind(account.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(device_from)
            .collect()
    }

    async fn device(&self, account: AccountId, id: DeviceId) -> StoreResult<Option<DeviceRow>> {
        sqlx::query("SELECT * FROM devices WHERE account_id = ? AND id = ?")
            .bind(account.as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(device_from)
            .transpose()
    }

    async fn rename_device(&self, account: AccountId, id: DeviceId, name: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE devices SET name = ? WHERE account_id = ? AND id = ?")
            .bind(name)
            .bind(account.as_uuid())
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn revoke_device(&self, account: AccountId, id: DeviceId, at: DateTime<Utc>) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE devices SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL")
            .bind(ms(at))
            .bind(account.as_uuid())
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn record_sync(&self, id: DeviceId, rec: &SyncRecord) -> StoreResult<()> {
        sqlx::query(
            "UPDATE devices SET last_sync_at = ?, last_cursor = COALESCE(?, last_cursor), last_addr = COALESCE(?, last_addr), \
             changes_sent = changes_sent + ?, changes_received = changes_received + ? WHERE id = ?",
        )
        .bind(ms(rec.at))
        .bind(rec.cursor)
        .bind(&rec.addr)
        .bind(rec.sent)
        .bind(rec.received)
        .bind(id.as_uuid())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn heads_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<ContactRow>> {
        let sql = format!(
            "SELECT {PACKED_HEADS} FROM (SELECT kind, id, revision, seq, deleted, created_at, updated_at FROM contacts \
             WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?)"
        );
        let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        let text: Option<String> = q.bind(account.as_uuid()).bind(after).bind(limit).fetch_one(&self.pool).await.map_err(db_err)?;
        heads_from(account, text.as_deref().unwrap_or_default())
    }

    async fn live_heads(&self, account: AccountId) -> StoreResult<Vec<ContactRow>> {
        let q = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {PACKED_HEADS} FROM contacts WHERE account_id = ? AND deleted = 0")));
        let text: Option<String> = q.bind(account.as_uuid()).fetch_one(&self.pool).await.map_err(db_err)?;
        heads_from(account, text.as_deref().unwrap_or_default())
    }

    async fn dav_names(&self, account: AccountId) -> StoreResult<Vec<DavNameRow>> {
        sqlx::query("SELECT * FROM dav_names WHERE account_id = ?")
            .bind(account.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(dav_name_from)
            .collect()
    }

    async fn dav_names_by_ids(&self, account: AccountId, ids: &[ContactId]) -> StoreResult<Vec<DavNameRow>> {
        let keys: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
        self.select_in("dav_names", "id", account, &keys, dav_name_from).await
    }

    async fn dav_names_by_hashes(&self, account: AccountId, hashes: &[String]) -> StoreResult<Vec<DavNameRow>> {
        self.select_in("dav_names", "href_hash", account, hashes, dav_name_from).await
    }

    async fn dav_cards(&self, account: AccountId, ids: &[ContactId], hashes: &[String]) -> StoreResult<Vec<DavCardRow>> {
        const CHUNK: usize = 250;
        let ids: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
        let mut out = Vec::with_capacity(ids.len() + hashes.len());
        for n in 0..ids.len().div_ceil(CHUNK).max(hashes.len().div_ceil(CHUNK)) {
            let ids = ids.chunks(CHUNK).nth(n).unwrap_or_default();
            let hashes = hashes.chunks(CHUNK).nth(n).unwrap_or_default();
            let mut q = QueryBuilder::<Sqlite>::new("");
            let mut first = true;
            if !ids.is_empty() {
                union_part(&mut q, &mut first, DAV_CARDS_BY_ID, account, ids.iter().copied());
                union_part(&mut q, &mut first, DAV_CARDS_NAMED_ONLY, account, ids.iter().copied());
            }
            if !hashes.is_empty() {
                union_part(&mut q, &mut first, DAV_CARDS_BY_HASH, account, hashes.iter().map(String::as_str));
            }
            if first {
                continue;
            }
            for r in q.build().fetch_all(&self.pool).await.map_err(db_err)? {
                out.push(dav_card_from(account, &r)?);
            }
        }
        Ok(out)
    }

    async fn put_dav_name(&self, row: &DavNameRow) -> StoreResult<()> {
        put_name(&self.pool, row).await
    }
}

/// The heads (no sealed content) of the rows selected, in change order, as one text value:
/// sqlx hands rows over at ~4 µs each, most of the time of listing 10,000 contacts, while
/// SQLite writes this list in C. Read by [`heads_from`].
const PACKED_HEADS: &str = "group_concat(printf('%s %s %s %s %s %s %s', kind, hex(id), revision, seq, deleted, created_at, updated_at), ' ' ORDER BY seq)";

/// Reads [`PACKED_HEADS`].
fn heads_from(account: AccountId, text: &str) -> StoreResult<Vec<ContactRow>> {
    let bad = || StoreError::Backend("a contact heading does not decode".into());
    let mut words = text.split(' ').filter(|w| !w.is_empty());
    let mut out = Vec::new();
    while let Some(kind) = words.next() {
        let mut next = || words.next().ok_or_else(bad);
        let kind = EntityKind::parse(kind).ok_or_else(bad)?;
        let id = Uuid::try_parse(next()?).map_err(|_| bad())?;
        let mut num = || next().and_then(|w| w.parse::<i64>().map_err(|_| bad()));
        let (revision, seq, deleted, created_at, updated_at) = (num()?, num()?, num()?, num()?, num()?);
        out.push(ContactRow {
            kind,
            account_id: account,
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

/// Appends one part of a `UNION ALL` query: `part.0`, the account, `part.1`, the keys, `)`.
fn union_part<'t, T>(q: &mut QueryBuilder<Sqlite>, first: &mut bool, part: (&str, &str), account: AccountId, keys: impl Iterator<Item = T>)
where
    T: sqlx::Encode<'t, Sqlite> + sqlx::Type<Sqlite>,
{
    if !std::mem::replace(first, false) {
        q.push(" UNION ALL ");
    }
    q.push(part.0).push_bind(*account.as_uuid()).push(part.1);
    let mut list = q.separated(", ");
    for k in keys {
        list.push_bind(k);
    }
    q.push(")");
}

fn dav_card_from(account: AccountId, r: &SqliteRow) -> StoreResult<DavCardRow> {
    let kind: Option<String> = r.try_get("kind").map_err(db_err)?;
    let contact = match kind {
        Some(_) => Some(contact_from(r)?),
        None => None,
    };
    let name = match r.try_get::<Option<String>, _>("name_hash").map_err(db_err)? {
        Some(href_hash) => Some(DavNameRow {
            account_id: account,
            id: ContactId::from_uuid(r.try_get("name_id").map_err(db_err)?),
            href_hash,
            sealed: r.try_get("name_sealed").map_err(db_err)?,
        }),
        None => None,
    };
    Ok(DavCardRow { contact, name })
}

fn dav_name_from(r: &SqliteRow) -> StoreResult<DavNameRow> {
    Ok(DavNameRow {
        account_id: AccountId::from_uuid(r.try_get("account_id").map_err(db_err)?),
        id: ContactId::from_uuid(r.try_get("id").map_err(db_err)?),
        href_hash: r.try_get("href_hash").map_err(db_err)?,
        sealed: r.try_get("sealed").map_err(db_err)?,
    })
}

/// Stores a CardDAV name (replacing the id's earlier one). `Conflict` if another id has the href.
async fn put_name<'e>(db: impl sqlx::Executor<'e, Database = Sqlite>, row: &DavNameRow) -> StoreResult<()> {
    let r = sqlx::query(
        "INSERT INTO dav_names (account_id, id, href_hash, sealed) VALUES (?, ?, ?, ?) \
         ON CONFLICT (account_id, id) DO UPDATE SET href_hash = excluded.href_hash, sealed = excluded.sealed",
    )
    .bind(row.account_id.as_uuid())
    .bind(row.id.as_uuid())
    .bind(&row.href_hash)
    .bind(&row.sealed)
    .execute(db)
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
            Err(StoreError::Conflict("another card already has that name".into()))
        }
        Err(e) => Err(db_err(e)),
    }
}
