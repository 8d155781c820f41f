//! Rolo's SQL, written once for SQLite and PostgreSQL. This module is compiled twice, into
//! `crate::sqlite` and `crate::postgres` (by `#[path]`), each giving it its database's types
//! (`Db`, `DbRow`), its backend (`B`) and its `dialect`: the few things the two databases do
//! differently (opening a write transaction, listing heads fast, an index hint). Queries use
//! `$1`-style parameters, which both databases read.

mod accounts;
mod books;
mod devices;
mod feed;
mod history;
mod instances;
mod names;
mod records;
mod rows;
mod sessions;
mod signin;

pub(crate) use async_trait::async_trait;
pub(crate) use books::insert_book;
pub(crate) use chrono::{DateTime, Utc};
pub(crate) use domain::{AccountId, BookId, BookKind, ContactId, DeviceId, TeamId, Username};
pub(crate) use names::put_name;
pub(crate) use rows::*;
pub(crate) use sqlx::{QueryBuilder, Row, Transaction};
pub(crate) use store::{
    AccountRow, AccountRows, AuditRow, Backend, BookAccessRow, BookRow, BookRows, ChangeRow,
    ContactRow, DavCardRow, DavNameRow, DavNameRows, DeviceRow, DeviceRows, EntityKind, FeedRows,
    GranteeRow, HistoryRows, ImportJobRow, InstanceRows, JobCounts, NewAccount, RecordRows,
    RecordWrite, RevisionRow, SecondFactorRow, SessionRow, SessionRows, ShareRow, SigninRows,
    StoreError, StoreResult, SyncRecord, TeamRow, ThrottleRow, TrashRow, DAV_CARDS_BY_HASH,
    DAV_CARDS_BY_ID, DAV_CARDS_NAMED_ONLY,
};
pub(crate) use uuid::Uuid;

pub(crate) use super::{dialect, Db, DbRow, B};

/// Rows per multi-row INSERT: each sqlx statement costs a thread round trip, so batch.
pub(crate) const BATCH_ROWS: usize = 100;

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn time(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

#[async_trait]
impl Backend for B {
    fn kind(&self) -> &'static str {
        dialect::NAME
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err).map(|_| ())
    }

    async fn migrations(&self) -> StoreResult<(i64, i64)> {
        let applied: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        let known = super::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        Ok((applied, known))
    }

    async fn backup_into(&self, path: &str) -> StoreResult<()> {
        dialect::backup_into(&self.pool, path).await
    }
}

impl B {
    pub(crate) async fn select_in<'k, K, T>(
        &self,
        table: &str,
        column: &str,
        book: BookId,
        keys: &'k [K],
        row: fn(&DbRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>>
    where
        K: sqlx::Encode<'k, Db> + sqlx::Type<Db> + Sync,
    {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let mut q = QueryBuilder::<Db>::new(format!("SELECT * FROM {table} WHERE book_id = "));
            q.push_bind(*book.as_uuid()).push(format!(" AND {column} IN ("));
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
}
