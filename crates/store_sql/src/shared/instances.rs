//! What instances on one database share beyond records: import jobs and the access epoch.

use super::*;

type JobQuery<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

/// Binds a job's six counters, in their column order (`rows_done` … `failed`).
fn bind_counts<'q>(q: JobQuery<'q>, c: &JobCounts) -> JobQuery<'q> {
    q.bind(c.rows_done)
        .bind(c.rows_total)
        .bind(c.imported)
        .bind(c.updated)
        .bind(c.skipped)
        .bind(c.failed)
}

fn import_job_from(r: &DbRow) -> StoreResult<ImportJobRow> {
    let get = |c: &str| -> StoreResult<i64> { r.try_get(c).map_err(db_err) };
    Ok(ImportJobRow {
        id: r.try_get("id").map_err(db_err)?,
        book_id: BookId::from_uuid(r.try_get("book_id").map_err(db_err)?),
        account_id: AccountId::from_uuid(r.try_get("account_id").map_err(db_err)?),
        state: r.try_get("state").map_err(db_err)?,
        counts: JobCounts {
            rows_done: get("rows_done")?,
            rows_total: get("rows_total")?,
            imported: get("imported")?,
            updated: get("updated")?,
            skipped: get("skipped")?,
            failed: get("failed")?,
        },
        sealed_group: r.try_get("sealed_group").map_err(db_err)?,
        sealed_failures: r.try_get("sealed_failures").map_err(db_err)?,
        sealed_message: r.try_get("sealed_message").map_err(db_err)?,
        sealed_report: r.try_get("sealed_report").map_err(db_err)?,
        created_at: time(get("created_at")?),
        updated_at: time(get("updated_at")?),
        ended_at: r.try_get::<Option<i64>, _>("ended_at").map_err(db_err)?.map(time),
    })
}

#[async_trait]
impl InstanceRows for B {
    async fn create_import_job(&self, j: &ImportJobRow) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO import_jobs (id, book_id, account_id, state, rows_done, rows_total, imported, updated, skipped, failed, \
             sealed_group, sealed_failures, sealed_message, sealed_report, created_at, updated_at, ended_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(j.id)
        .bind(j.book_id.as_uuid())
        .bind(j.account_id.as_uuid())
        .bind(&j.state);
        bind_counts(q, &j.counts)
            .bind(j.sealed_group.as_deref())
            .bind(j.sealed_failures.as_deref())
            .bind(j.sealed_message.as_deref())
            .bind(j.sealed_report.as_deref())
            .bind(ms(j.created_at))
            .bind(ms(j.updated_at))
            .bind(j.ended_at.map(ms))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn import_job(&self, id: Uuid) -> StoreResult<Option<ImportJobRow>> {
        let row = sqlx::query(
            "SELECT id, book_id, account_id, state, rows_done, rows_total, imported, updated, skipped, failed, \
             sealed_group, sealed_failures, sealed_message, NULL AS sealed_report, created_at, updated_at, ended_at \
             FROM import_jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(import_job_from).transpose()
    }

    async fn import_job_report(&self, id: Uuid) -> StoreResult<Option<Vec<u8>>> {
        let report: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT sealed_report FROM import_jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        Ok(report.flatten())
    }

    async fn set_import_job_counts(
        &self,
        id: Uuid,
        c: &JobCounts,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let q = sqlx::query(
            "UPDATE import_jobs SET rows_done = $1, rows_total = $2, imported = $3, updated = $4, skipped = $5, failed = $6, \
             updated_at = $7 WHERE id = $8 AND state = 'running'",
        );
        let r =
            bind_counts(q, c).bind(ms(at)).bind(id).execute(&self.pool).await.map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn end_import_job(
        &self,
        j: &ImportJobRow,
        if_updated_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        let q = sqlx::query(
            "UPDATE import_jobs SET state = $1, rows_done = $2, rows_total = $3, imported = $4, updated = $5, skipped = $6, failed = $7, \
             sealed_group = $8, sealed_failures = $9, sealed_message = $10, sealed_report = $11, updated_at = $12, ended_at = $13 \
             WHERE id = $14 AND state = 'running' AND ($15 OR updated_at = $16)",
        )
        .bind(&j.state);
        let r = bind_counts(q, &j.counts)
            .bind(j.sealed_group.as_deref())
            .bind(j.sealed_failures.as_deref())
            .bind(j.sealed_message.as_deref())
            .bind(j.sealed_report.as_deref())
            .bind(ms(j.updated_at))
            .bind(j.ended_at.map(ms))
            .bind(j.id)
            .bind(if_updated_at.is_none())
            .bind(if_updated_at.map(ms).unwrap_or(0))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn purge_import_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let r = sqlx::query(
            "DELETE FROM import_jobs WHERE ended_at < $1 OR (ended_at IS NULL AND updated_at < $2)",
        )
        .bind(ms(before))
        .bind(ms(before))
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn access_epoch(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT epoch FROM access_epoch WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)
            .map(|e| e.unwrap_or(0))
    }

    async fn bump_access_epoch(&self) -> StoreResult<i64> {
        sqlx::query_scalar("UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)
            .map(|e| e.unwrap_or(0))
    }
}
