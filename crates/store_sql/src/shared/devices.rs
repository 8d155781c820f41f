//! Sync devices.

use super::*;

#[async_trait]
impl DeviceRows for B {
    async fn create_device(&self, d: &DeviceRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO devices (id, account_id, name, kind, token_hash, created_at, changes_sent, changes_received) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0)",
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

    async fn device_by_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(DeviceRow, AccountRow)>> {
        let row = sqlx::query("SELECT * FROM devices WHERE token_hash = $1")
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
        sqlx::query("SELECT * FROM devices WHERE account_id = $1 ORDER BY created_at, id")
            .bind(account.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(device_from)
            .collect()
    }

    async fn device(&self, account: AccountId, id: DeviceId) -> StoreResult<Option<DeviceRow>> {
        sqlx::query("SELECT * FROM devices WHERE account_id = $1 AND id = $2")
            .bind(account.as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(device_from)
            .transpose()
    }

    async fn rename_device(
        &self,
        account: AccountId,
        id: DeviceId,
        name: &str,
    ) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE devices SET name = $1 WHERE account_id = $2 AND id = $3")
            .bind(name)
            .bind(account.as_uuid())
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn revoke_device(
        &self,
        account: AccountId,
        id: DeviceId,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE devices SET revoked_at = $1 WHERE account_id = $2 AND id = $3 AND revoked_at IS NULL")
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
            "UPDATE devices SET last_sync_at = $1, last_cursor = COALESCE($2, last_cursor), last_addr = COALESCE($3, last_addr), \
             changes_sent = changes_sent + $4, changes_received = changes_received + $5 WHERE id = $6",
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
}
