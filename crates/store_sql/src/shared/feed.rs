//! The change feed.

use super::*;

#[async_trait]
impl FeedRows for B {
    async fn records_since(
        &self,
        book: BookId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ContactRow>> {
        sqlx::query("SELECT * FROM contacts WHERE book_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
            .bind(book.as_uuid())
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(contact_from)
            .collect()
    }

    async fn heads_since(
        &self,
        book: BookId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ContactRow>> {
        dialect::heads_since(&self.pool, book, after, limit).await
    }

    async fn live_heads(&self, book: BookId) -> StoreResult<Vec<ContactRow>> {
        dialect::live_heads(&self.pool, book).await
    }

    async fn changes_since(
        &self,
        book: BookId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ChangeRow>> {
        let rows = sqlx::query(
            "SELECT seq, entity, entity_id, revision, deleted, changed_at FROM changes \
             WHERE book_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(book.as_uuid())
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
                    entity: EntityKind::parse(&entity)
                        .ok_or_else(|| StoreError::Backend(format!("unknown entity {entity}")))?,
                    entity_id: ContactId::from_uuid(
                        r.try_get::<Uuid, _>("entity_id").map_err(db_err)?,
                    ),
                    revision: r.try_get("revision").map_err(db_err)?,
                    deleted: r.try_get("deleted").map_err(db_err)?,
                    changed_at: time(r.try_get("changed_at").map_err(db_err)?),
                })
            })
            .collect()
    }

    async fn current_seq(&self, book: BookId) -> StoreResult<i64> {
        let row = sqlx::query("SELECT change_seq FROM books WHERE id = $1")
            .bind(book.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(match row {
            Some(r) => r.try_get(0).map_err(db_err)?,
            None => 0,
        })
    }

    async fn purged_seq(&self, book: BookId) -> StoreResult<i64> {
        let row = sqlx::query("SELECT purged_seq FROM books WHERE id = $1")
            .bind(book.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(match row {
            Some(r) => r.try_get(0).map_err(db_err)?,
            None => 0,
        })
    }
}
