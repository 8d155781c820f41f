//! Past revisions and the trash.

use super::*;

#[async_trait]
impl HistoryRows for B {
    async fn revision(
        &self,
        book: BookId,
        id: ContactId,
        revision: i64,
    ) -> StoreResult<Option<RevisionRow>> {
        sqlx::query(
            "SELECT revision, sealed, origin, actor_id, changed_at FROM contact_revisions WHERE book_id = $1 AND contact_id = $2 AND revision = $3",
        )
        .bind(book.as_uuid())
        .bind(id.as_uuid())
        .bind(revision)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(revision_from)
        .transpose()
    }

    async fn revisions(&self, book: BookId, id: ContactId) -> StoreResult<Vec<RevisionRow>> {
        sqlx::query(
            "SELECT revision, sealed, origin, actor_id, changed_at FROM contact_revisions WHERE book_id = $1 AND contact_id = $2 ORDER BY revision DESC",
        )
        .bind(book.as_uuid())
        .bind(id.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(revision_from)
        .collect()
    }

    async fn trash(&self, book: BookId) -> StoreResult<Vec<TrashRow>> {
        sqlx::query(
            "SELECT c.id, c.revision AS tomb_revision, c.updated_at AS deleted_at, COALESCE(d.origin, 'console') AS deleted_by, \
                    r.revision, r.sealed, r.origin, r.actor_id, r.changed_at \
             FROM contacts c \
             JOIN contact_revisions r ON r.book_id = c.book_id AND r.contact_id = c.id AND r.revision = c.revision - 1 \
             LEFT JOIN contact_revisions d ON d.book_id = c.book_id AND d.contact_id = c.id AND d.revision = c.revision \
             WHERE c.book_id = $1 AND c.kind = 'contact' AND c.deleted = TRUE AND r.sealed IS NOT NULL \
             ORDER BY c.updated_at DESC, c.seq DESC",
        )
        .bind(book.as_uuid())
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

    async fn contacts_changed_since(
        &self,
        book: BookId,
        after: DateTime<Utc>,
    ) -> StoreResult<Vec<(ContactRow, Option<RevisionRow>)>> {
        // The revision at `after` is found through the history's primary key (book, contact,
        // revision) for each contact changed since: one statement, whatever their number.
        sqlx::query(
            "SELECT c.kind, c.book_id, c.id, c.revision, c.seq, c.deleted, c.sealed, c.created_at, c.updated_at, \
                    r.revision AS then_revision, r.sealed AS then_sealed, r.origin AS then_origin, \
                    r.actor_id AS then_actor_id, r.changed_at AS then_changed_at \
             FROM contacts c \
             LEFT JOIN contact_revisions r ON r.book_id = c.book_id AND r.contact_id = c.id \
                 AND r.revision = (SELECT MAX(p.revision) FROM contact_revisions p \
                                   WHERE p.book_id = c.book_id AND p.contact_id = c.id AND p.changed_at <= $2) \
             WHERE c.book_id = $1 AND c.kind = 'contact' AND c.updated_at > $2",
        )
        .bind(book.as_uuid())
        .bind(ms(after))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            let then = match r.try_get::<Option<i64>, _>("then_revision").map_err(db_err)? {
                Some(revision) => Some(RevisionRow {
                    revision,
                    sealed: r.try_get("then_sealed").map_err(db_err)?,
                    origin: r.try_get("then_origin").map_err(db_err)?,
                    actor: r
                        .try_get::<Option<Uuid>, _>("then_actor_id")
                        .map_err(db_err)?
                        .map(AccountId::from_uuid),
                    changed_at: time(r.try_get("then_changed_at").map_err(db_err)?),
                }),
                None => None,
            };
            Ok((contact_from(r)?, then))
        })
        .collect()
    }

    async fn purge_trash(&self, book: Option<BookId>, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = dialect::begin_write(&self.pool).await.map_err(db_err)?;
        let (count, delete) = match book {
            Some(_) => (
                "SELECT COUNT(*) FROM contacts WHERE book_id = $1 AND kind = 'contact' AND deleted = TRUE AND updated_at < $2 AND EXISTS (SELECT 1 FROM contact_revisions r WHERE r.book_id = contacts.book_id AND r.contact_id = contacts.id)",
                "DELETE FROM contact_revisions WHERE (book_id, contact_id) IN (SELECT book_id, id FROM contacts WHERE book_id = $1 AND kind = 'contact' AND deleted = TRUE AND updated_at < $2)",
            ),
            None => (
                "SELECT COUNT(*) FROM contacts WHERE kind = 'contact' AND deleted = TRUE AND updated_at < $1 AND EXISTS (SELECT 1 FROM contact_revisions r WHERE r.book_id = contacts.book_id AND r.contact_id = contacts.id)",
                "DELETE FROM contact_revisions WHERE (book_id, contact_id) IN (SELECT book_id, id FROM contacts WHERE kind = 'contact' AND deleted = TRUE AND updated_at < $1)",
            ),
        };
        let mut q = sqlx::query(count);
        let mut d = sqlx::query(delete);
        if let Some(a) = book {
            q = q.bind(a.as_uuid());
            d = d.bind(a.as_uuid());
        }
        let n: i64 = q
            .bind(ms(before))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?
            .try_get(0)
            .map_err(db_err)?;
        d.bind(ms(before)).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(n as u64)
    }
}
