//! Sign-in attempts, second factors, sign-ins waiting for their second factor, settings.

use super::*;

#[async_trait]
impl SigninRows for B {
    async fn throttle_row(&self, key: &str) -> StoreResult<Option<ThrottleRow>> {
        let row =
            sqlx::query("SELECT failures, next_at, updated_at FROM signin_throttle WHERE key = $1")
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

    async fn throttle_swap(
        &self,
        key: &str,
        expected: Option<&ThrottleRow>,
        new: &ThrottleRow,
    ) -> StoreResult<bool> {
        let r = match expected {
            None => sqlx::query(
                "INSERT INTO signin_throttle (key, failures, next_at, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(new.failures)
            .bind(new.next_at)
            .bind(new.updated_at)
            .execute(&self.pool)
            .await,
            Some(old) => sqlx::query(
                "UPDATE signin_throttle SET failures = $1, next_at = $2, updated_at = $3 \
                 WHERE key = $4 AND failures = $5 AND next_at = $6 AND updated_at = $7",
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
        sqlx::query("DELETE FROM signin_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn throttle_purge(&self, before: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM signin_throttle WHERE updated_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn second_factor(&self, account: AccountId) -> StoreResult<Option<SecondFactorRow>> {
        let row = sqlx::query(
            "SELECT sealed, confirmed, last_step, recovery, created_at FROM second_factors WHERE account_id = $1",
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
            "INSERT INTO second_factors (account_id, sealed, confirmed, last_step, recovery, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
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
        let r = sqlx::query("DELETE FROM second_factors WHERE account_id = $1")
            .bind(account.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn use_second_factor_step(&self, account: AccountId, step: i64) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE second_factors SET last_step = $1 WHERE account_id = $2 AND last_step < $3",
        )
        .bind(step)
        .bind(account.as_uuid())
        .bind(step)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn swap_recovery_codes(
        &self,
        account: AccountId,
        expected: &str,
        new: &str,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE second_factors SET recovery = $1 WHERE account_id = $2 AND recovery = $3",
        )
        .bind(new)
        .bind(account.as_uuid())
        .bind(expected)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn create_pending_signin(&self, s: &SessionRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO pending_signins (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
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
        let row = sqlx::query(
            "SELECT account_id, created_at, expires_at FROM pending_signins WHERE token_hash = $1",
        )
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
        sqlx::query("DELETE FROM pending_signins WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn purge_pending_signins(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM pending_signins WHERE expires_at <= $1")
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| r.try_get("value").map_err(db_err)).transpose()
    }

    async fn set_setting(&self, key: &str, value: Option<&str>) -> StoreResult<()> {
        match value {
            Some(v) => sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(v)
                .execute(&self.pool)
                .await,
            None => sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(&self.pool).await,
        }
        .map_err(db_err)?;
        Ok(())
    }
}
