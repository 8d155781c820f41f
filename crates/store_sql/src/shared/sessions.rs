//! Console sessions.

use super::*;

#[async_trait]
impl SessionRows for B {
    async fn create_session(&self, s: &SessionRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
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
                    a.id, a.username, a.password_hash, a.is_admin, a.disabled, a.created_at, a.lang \
             FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1",
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
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_account_sessions(&self, id: AccountId) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn account_sessions(&self, id: AccountId) -> StoreResult<Vec<SessionRow>> {
        let rows = sqlx::query("SELECT token_hash, created_at, expires_at FROM sessions WHERE account_id = $1 ORDER BY created_at DESC")
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
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn count_live_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE expires_at > $1")
            .bind(ms(now))
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(n.max(0) as u64)
    }
}
