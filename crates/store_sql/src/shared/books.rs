//! Address books, shares, teams, the audit log, and the master keys that wrap the books' keys.

use super::*;

const BOOK_COLUMNS: &str = "b.id, b.owner_id, b.kind, b.sealed_meta, b.meta_rev, b.key_id, b.wrapped_key, b.created_at, b.deleted_at";

/// Inserts a book (in the transaction that creates its account, or alone).
pub(crate) async fn insert_book<'e, E>(exec: E, b: &BookRow) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    sqlx::query(
        "INSERT INTO books (id, owner_id, kind, sealed_meta, meta_rev, key_id, wrapped_key, change_seq, purged_seq, created_at, deleted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, $9)",
    )
    .bind(b.id.as_uuid())
    .bind(b.owner_id.map(|o| *o.as_uuid()))
    .bind(b.kind.as_str())
    .bind(b.sealed_meta.as_deref())
    .bind(b.meta_rev)
    .bind(&b.key_id)
    .bind(&b.wrapped_key)
    .bind(ms(b.created_at))
    .bind(b.deleted_at.map(ms))
    .execute(exec)
    .await
    .map_err(|e| {
        if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
            StoreError::Conflict(format!("A book with id {} already exists.", b.id))
        } else {
            db_err(e)
        }
    })
    .map(|_| ())
}

pub(crate) fn book_from(r: &DbRow) -> StoreResult<BookRow> {
    let kind: String = r.try_get("kind").map_err(db_err)?;
    let owner: Option<Uuid> = r.try_get("owner_id").map_err(db_err)?;
    let deleted: Option<i64> = r.try_get("deleted_at").map_err(db_err)?;
    Ok(BookRow {
        id: BookId::from_uuid(r.try_get("id").map_err(db_err)?),
        owner_id: owner.map(AccountId::from_uuid),
        kind: BookKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown book kind {kind}")))?,
        sealed_meta: r.try_get("sealed_meta").map_err(db_err)?,
        meta_rev: r.try_get("meta_rev").map_err(db_err)?,
        key_id: r.try_get("key_id").map_err(db_err)?,
        wrapped_key: r.try_get("wrapped_key").map_err(db_err)?,
        created_at: time(r.try_get("created_at").map_err(db_err)?),
        deleted_at: deleted.map(time),
    })
}

fn share_from(r: &DbRow) -> StoreResult<ShareRow> {
    let kind: String = r.try_get("grantee_kind").map_err(db_err)?;
    Ok(ShareRow {
        book_id: BookId::from_uuid(r.try_get("book_id").map_err(db_err)?),
        grantee: GranteeRow::from_parts(&kind, r.try_get("grantee_id").map_err(db_err)?)
            .ok_or_else(|| StoreError::Backend(format!("unknown grantee kind {kind}")))?,
        can_write: r.try_get("can_write").map_err(db_err)?,
        created_at: time(r.try_get("created_at").map_err(db_err)?),
    })
}

#[async_trait]
impl BookRows for B {
    async fn create_book(&self, book: &BookRow) -> StoreResult<()> {
        insert_book(&self.pool, book).await
    }

    async fn book(&self, id: BookId) -> StoreResult<Option<BookRow>> {
        let sql = format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(book_from)
            .transpose()
    }

    async fn owned_books(&self, owner: AccountId) -> StoreResult<Vec<BookRow>> {
        let sql = format!(
            "SELECT {BOOK_COLUMNS} FROM books b WHERE b.owner_id = $1 ORDER BY b.created_at"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(book_from)
            .collect()
    }

    async fn directory_books(&self) -> StoreResult<Vec<BookRow>> {
        let sql = format!(
            "SELECT {BOOK_COLUMNS} FROM books b WHERE b.kind = 'directory' ORDER BY b.created_at"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(book_from)
            .collect()
    }

    async fn shared_with(&self, account: AccountId) -> StoreResult<Vec<(BookRow, bool)>> {
        let sql = format!(
            "SELECT {BOOK_COLUMNS}, s.can_write FROM book_shares s JOIN books b ON b.id = s.book_id \
             WHERE b.deleted_at IS NULL AND ( \
                 (s.grantee_kind = 'account' AND s.grantee_id = $1) \
              OR (s.grantee_kind = 'team' AND s.grantee_id IN (SELECT team_id FROM team_members WHERE account_id = $1)) \
              OR s.grantee_kind = 'everyone') \
             ORDER BY b.created_at"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| Ok((book_from(r)?, r.try_get("can_write").map_err(db_err)?)))
            .collect()
    }

    async fn book_access(
        &self,
        account: AccountId,
        book: BookId,
    ) -> StoreResult<Option<BookAccessRow>> {
        let sql = format!(
            "SELECT {BOOK_COLUMNS}, a.is_admin, a.disabled, \
                    CAST((SELECT MAX(CASE WHEN s.can_write THEN 2 ELSE 1 END) FROM book_shares s \
                          WHERE s.book_id = b.id AND ( \
                              (s.grantee_kind = 'account' AND s.grantee_id = $1) \
                           OR (s.grantee_kind = 'team' AND s.grantee_id IN (SELECT team_id FROM team_members WHERE account_id = $1)) \
                           OR s.grantee_kind = 'everyone')) AS BIGINT) AS share \
             FROM books b, accounts a WHERE b.id = $2 AND a.id = $1"
        );
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.as_uuid())
            .bind(book.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let share: Option<i64> = r.try_get("share").map_err(db_err)?;
        Ok(Some(BookAccessRow {
            book: book_from(&r)?,
            is_admin: r.try_get("is_admin").map_err(db_err)?,
            disabled: r.try_get("disabled").map_err(db_err)?,
            share: share.map(|s| s == 2),
        }))
    }

    async fn set_book_meta(
        &self,
        id: BookId,
        expected_rev: i64,
        sealed: &[u8],
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE books SET sealed_meta = $1, meta_rev = meta_rev + 1 WHERE id = $2 AND meta_rev = $3",
        )
        .bind(sealed)
        .bind(id.as_uuid())
        .bind(expected_rev)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_book_deleted(&self, id: BookId, at: Option<DateTime<Utc>>) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE books SET deleted_at = $1 WHERE id = $2")
            .bind(at.map(ms))
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn purge_books(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM books WHERE deleted_at IS NOT NULL AND deleted_at < $1")
            .bind(ms(before))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn shares(&self, book: BookId) -> StoreResult<Vec<ShareRow>> {
        sqlx::query("SELECT * FROM book_shares WHERE book_id = $1 ORDER BY created_at")
            .bind(book.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(share_from)
            .collect()
    }

    async fn put_share(&self, s: &ShareRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO book_shares (book_id, grantee_kind, grantee_id, can_write, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (book_id, grantee_kind, grantee_id) DO UPDATE SET can_write = excluded.can_write",
        )
        .bind(s.book_id.as_uuid())
        .bind(s.grantee.kind())
        .bind(s.grantee.id())
        .bind(s.can_write)
        .bind(ms(s.created_at))
        .execute(&self.pool)
        .await
        .map_err(db_err)
        .map(|_| ())
    }

    async fn delete_share(&self, book: BookId, grantee: GranteeRow) -> StoreResult<bool> {
        let r = sqlx::query(
            "DELETE FROM book_shares WHERE book_id = $1 AND grantee_kind = $2 AND grantee_id = $3",
        )
        .bind(book.as_uuid())
        .bind(grantee.kind())
        .bind(grantee.id())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn create_team(&self, team: &TeamRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(team.id.as_uuid())
            .bind(&team.name)
            .bind(ms(team.created_at))
            .execute(&self.pool)
            .await
            .map_err(|e| team_name_taken(e, &team.name))
            .map(|_| ())
    }

    async fn rename_team(&self, id: TeamId, name: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE teams SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(|e| team_name_taken(e, name))?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_team(&self, id: TeamId) -> StoreResult<bool> {
        let mut tx = dialect::begin_write(&self.pool).await.map_err(db_err)?;
        sqlx::query("DELETE FROM book_shares WHERE grantee_kind = 'team' AND grantee_id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let r = sqlx::query("DELETE FROM teams WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn teams(&self) -> StoreResult<Vec<TeamRow>> {
        sqlx::query("SELECT id, name, created_at FROM teams ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok(TeamRow {
                    id: TeamId::from_uuid(r.try_get("id").map_err(db_err)?),
                    name: r.try_get("name").map_err(db_err)?,
                    created_at: time(r.try_get("created_at").map_err(db_err)?),
                })
            })
            .collect()
    }

    async fn team_members(&self) -> StoreResult<Vec<(TeamId, AccountId)>> {
        sqlx::query("SELECT team_id, account_id FROM team_members")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok((
                    TeamId::from_uuid(r.try_get("team_id").map_err(db_err)?),
                    AccountId::from_uuid(r.try_get("account_id").map_err(db_err)?),
                ))
            })
            .collect()
    }

    async fn set_team_member(
        &self,
        team: TeamId,
        account: AccountId,
        member: bool,
    ) -> StoreResult<bool> {
        let sql = if member {
            "INSERT INTO team_members (team_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM team_members WHERE team_id = $1 AND account_id = $2"
        };
        let r = sqlx::query(sql)
            .bind(team.as_uuid())
            .bind(account.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) {
                    StoreError::NotFound
                } else {
                    db_err(e)
                }
            })?;
        Ok(r.rows_affected() == 1)
    }

    async fn add_audit(&self, row: &AuditRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_id, book_id, action, sealed) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(row.id)
        .bind(ms(row.at))
        .bind(row.actor_id.map(|a| *a.as_uuid()))
        .bind(row.book_id.map(|b| *b.as_uuid()))
        .bind(&row.action)
        .bind(row.sealed.as_deref())
        .execute(&self.pool)
        .await
        .map_err(db_err)
        .map(|_| ())
    }

    async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRow>> {
        sqlx::query("SELECT * FROM audit_log ORDER BY at DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                let actor: Option<Uuid> = r.try_get("actor_id").map_err(db_err)?;
                let book: Option<Uuid> = r.try_get("book_id").map_err(db_err)?;
                Ok(AuditRow {
                    id: r.try_get("id").map_err(db_err)?,
                    at: time(r.try_get("at").map_err(db_err)?),
                    actor_id: actor.map(AccountId::from_uuid),
                    book_id: book.map(BookId::from_uuid),
                    action: r.try_get("action").map_err(db_err)?,
                    sealed: r.try_get("sealed").map_err(db_err)?,
                })
            })
            .collect()
    }

    async fn key_ids_in_use(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT key_id, COUNT(*) AS n FROM books GROUP BY key_id ORDER BY key_id")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((r.try_get("key_id").map_err(db_err)?, r.try_get("n").map_err(db_err)?)))
            .collect()
    }

    async fn books_with_key(&self, key_id: &str) -> StoreResult<Vec<BookRow>> {
        let sql = format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.key_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(book_from)
            .collect()
    }

    async fn rewrap_book_key(
        &self,
        id: BookId,
        old_key_id: &str,
        new_key_id: &str,
        wrapped: &[u8],
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE books SET key_id = $1, wrapped_key = $2 WHERE id = $3 AND key_id = $4",
        )
        .bind(new_key_id)
        .bind(wrapped)
        .bind(id.as_uuid())
        .bind(old_key_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }
}

fn team_name_taken(e: sqlx::Error, name: &str) -> StoreError {
    if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
        StoreError::Conflict(format!("A team named “{name}” already exists."))
    } else {
        db_err(e)
    }
}
