//! Accounts (an account is created with its first book).

use super::*;

#[async_trait]
impl AccountRows for B {
    async fn count_accounts(&self) -> StoreResult<i64> {
        sqlx::query("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?
            .try_get(0)
            .map_err(db_err)
    }

    async fn create_account(&self, a: &NewAccount) -> StoreResult<()> {
        let mut tx = dialect::begin_write(&self.pool).await.map_err(db_err)?;
        let res = sqlx::query(
            "INSERT INTO accounts (id, username, password_hash, is_admin, disabled, created_at) \
             VALUES ($1, $2, $3, $4, FALSE, $5)",
        )
        .bind(a.id.as_uuid())
        .bind(a.username.as_str())
        .bind(&a.password_hash)
        .bind(a.is_admin)
        .bind(ms(a.created_at))
        .execute(&mut *tx)
        .await;
        let res = match res {
            Ok(_) => {
                let first = BookRow {
                    id: BookId::first_of(a.id),
                    owner_id: Some(a.id),
                    kind: BookKind::Personal,
                    sealed_meta: None,
                    meta_rev: 0,
                    key_id: a.key_id.clone(),
                    wrapped_key: a.wrapped_key.clone(),
                    created_at: a.created_at,
                    deleted_at: None,
                };
                insert_book(&mut *tx, &first).await?;
                tx.commit().await
            }
            Err(e) => Err(e),
        };
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                Err(StoreError::Conflict(format!("The username “{}” is taken.", a.username)))
            }
            Err(e) => Err(db_err(e)),
        }
    }

    async fn account_by_username(&self, username: &Username) -> StoreResult<Option<AccountRow>> {
        sqlx::query("SELECT id, username, password_hash, is_admin, disabled, created_at, lang FROM accounts WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(account_from)
            .transpose()
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<AccountRow>> {
        sqlx::query("SELECT id, username, password_hash, is_admin, disabled, created_at, lang FROM accounts WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(account_from)
            .transpose()
    }

    async fn list_accounts(&self) -> StoreResult<Vec<AccountRow>> {
        sqlx::query("SELECT id, username, password_hash, is_admin, disabled, created_at, lang FROM accounts ORDER BY username")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(account_from)
            .collect()
    }

    async fn set_disabled(&self, id: AccountId, disabled: bool) -> StoreResult<bool> {
        self.set_account_column("UPDATE accounts SET disabled = $1 WHERE id = $2", disabled, id)
            .await
    }

    async fn set_password_hash(&self, id: AccountId, hash: &str) -> StoreResult<bool> {
        self.set_account_column("UPDATE accounts SET password_hash = $1 WHERE id = $2", hash, id)
            .await
    }

    async fn set_admin(&self, id: AccountId, is_admin: bool) -> StoreResult<bool> {
        self.set_account_column("UPDATE accounts SET is_admin = $1 WHERE id = $2", is_admin, id)
            .await
    }

    async fn set_lang(&self, id: AccountId, lang: Option<&str>) -> StoreResult<bool> {
        self.set_account_column("UPDATE accounts SET lang = $1 WHERE id = $2", lang, id).await
    }

    async fn account_stats(&self) -> StoreResult<Vec<(AccountId, i64, Option<DateTime<Utc>>)>> {
        let rows = sqlx::query(
            "SELECT a.id, \
                    (SELECT COUNT(*) FROM contacts c JOIN books b ON b.id = c.book_id \
                     WHERE b.owner_id = a.id AND c.kind = 'contact' AND c.deleted = FALSE) AS n, \
                    (SELECT MAX(ch.changed_at) FROM changes ch JOIN books b ON b.id = ch.book_id \
                     WHERE b.owner_id = a.id) AS last \
             FROM accounts a",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let last: Option<i64> = r.try_get("last").map_err(db_err)?;
                Ok((
                    AccountId::from_uuid(r.try_get("id").map_err(db_err)?),
                    r.try_get("n").map_err(db_err)?,
                    last.map(time),
                ))
            })
            .collect()
    }
}

impl B {
    /// Sets one column of an account; false when there is no such account.
    async fn set_account_column<'q, T>(
        &self,
        sql: &'static str,
        value: T,
        id: AccountId,
    ) -> StoreResult<bool>
    where
        T: 'q + Send + sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    {
        let r = sqlx::query(sql)
            .bind(value)
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }
}
