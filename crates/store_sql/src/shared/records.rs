//! Contacts and groups: the one write, and reads.

use super::*;

#[async_trait]
impl RecordRows for B {
    async fn write_records(
        &self,
        book: BookId,
        writes: &[RecordWrite],
        origin: &str,
        actor: AccountId,
    ) -> StoreResult<i64> {
        if writes.is_empty() {
            return self.current_seq(book).await;
        }
        let mut tx = dialect::begin_write(&self.pool).await.map_err(db_err)?;
        // One sequence number per write, in order; the book's row lock (the write lock on
        // SQLite) orders writers of one book.
        let n = writes.len() as i64;
        let last: i64 = sqlx::query(
            "UPDATE books SET change_seq = change_seq + $1 WHERE id = $2 RETURNING change_seq",
        )
        .bind(n)
        .bind(book.as_uuid())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?
        .try_get(0)
        .map_err(db_err)?;
        let seqs: Vec<(i64, &RecordWrite)> =
            writes.iter().enumerate().map(|(i, w)| (last - n + 1 + i as i64, w)).collect();

        // New records: many rows per statement (each statement costs a round trip).
        let new: Vec<&(i64, &RecordWrite)> =
            seqs.iter().filter(|(_, w)| w.base.is_none()).collect();
        for chunk in new.chunks(BATCH_ROWS) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO contacts (kind, book_id, id, revision, seq, deleted, sealed, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, (seq, w)| {
                b.push_bind(w.kind.as_str())
                    .push_bind(*book.as_uuid())
                    .push_bind(*w.id.as_uuid())
                    .push_bind(w.revision())
                    .push_bind(*seq)
                    .push_bind(w.sealed.is_none())
                    .push_bind(w.sealed.as_deref())
                    .push_bind(ms(w.at))
                    .push_bind(ms(w.at));
            });
            if let Err(e) = q.build().execute(&mut *tx).await {
                if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                    return Err(StoreError::Conflict(match chunk {
                        [(_, w)] => format!("A record with id {} already exists.", w.id),
                        _ => "One of the records' ids already exists.".into(),
                    }));
                }
                return Err(db_err(e));
            }
        }

        // Replaced records: each only at the revision it was based on, of its kind; a tombstone
        // is not deleted again.
        for (seq, w) in seqs.iter().filter(|(_, w)| w.base.is_some()) {
            let base = w.base.unwrap_or_default();
            let r = sqlx::query(
                "UPDATE contacts SET revision = $1, seq = $2, sealed = $3, deleted = $4, updated_at = $5 \
                 WHERE book_id = $6 AND id = $7 AND revision = $8 AND kind = $9 AND (deleted = FALSE OR $4 = FALSE)",
            )
            .bind(w.revision())
            .bind(seq)
            .bind(w.sealed.as_deref())
            .bind(w.sealed.is_none())
            .bind(ms(w.at))
            .bind(book.as_uuid())
            .bind(w.id.as_uuid())
            .bind(base)
            .bind(w.kind.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if r.rows_affected() != 1 {
                return Err(Self::why_not(&mut tx, book, w).await);
            }
        }

        for w in writes {
            if let Some(name) = &w.name {
                put_name(&mut *tx, name).await?;
            }
        }

        // The change log and the history.
        for chunk in seqs.chunks(BATCH_ROWS) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO changes (book_id, seq, entity, entity_id, revision, deleted, changed_at, origin) ",
            );
            q.push_values(chunk, |mut b, (seq, w)| {
                b.push_bind(*book.as_uuid())
                    .push_bind(*seq)
                    .push_bind(w.kind.as_str())
                    .push_bind(*w.id.as_uuid())
                    .push_bind(w.revision())
                    .push_bind(w.sealed.is_none())
                    .push_bind(ms(w.at))
                    .push_bind(origin);
            });
            q.build().execute(&mut *tx).await.map_err(db_err)?;
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO contact_revisions (book_id, contact_id, revision, sealed, origin, actor_id, changed_at) ",
            );
            q.push_values(chunk, |mut b, (_, w)| {
                b.push_bind(*book.as_uuid())
                    .push_bind(*w.id.as_uuid())
                    .push_bind(w.revision())
                    .push_bind(w.sealed.as_deref())
                    .push_bind(origin)
                    .push_bind(*actor.as_uuid())
                    .push_bind(ms(w.at));
            });
            q.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(last)
    }

    async fn record(&self, book: BookId, id: ContactId) -> StoreResult<Option<ContactRow>> {
        sqlx::query("SELECT * FROM contacts WHERE book_id = $1 AND id = $2")
            .bind(book.as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(contact_from)
            .transpose()
    }

    async fn records_by_ids(
        &self,
        book: BookId,
        ids: &[ContactId],
    ) -> StoreResult<Vec<ContactRow>> {
        let keys: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
        self.select_in("contacts", "id", book, &keys, contact_from).await
    }

    async fn live_records(&self, book: BookId, kind: EntityKind) -> StoreResult<Vec<ContactRow>> {
        let sql = match kind {
            EntityKind::Contact => {
                "SELECT * FROM contacts WHERE book_id = $1 AND kind = 'contact' AND deleted = FALSE"
            }
            EntityKind::Group => dialect::LIVE_GROUPS,
        };
        sqlx::query(sql)
            .bind(book.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(contact_from)
            .collect()
    }

    async fn count_contacts(&self, book: BookId) -> StoreResult<i64> {
        sqlx::query("SELECT COUNT(*) FROM contacts WHERE book_id = $1 AND kind = 'contact' AND deleted = FALSE")
            .bind(book.as_uuid())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?
            .try_get(0)
            .map_err(db_err)
    }
}

impl B {
    /// Explains why a replacing write matched no row.
    async fn why_not(
        tx: &mut Transaction<'static, Db>,
        book: BookId,
        w: &RecordWrite,
    ) -> StoreError {
        let row = sqlx::query(
            "SELECT revision, deleted, kind FROM contacts WHERE book_id = $1 AND id = $2",
        )
        .bind(book.as_uuid())
        .bind(w.id.as_uuid())
        .fetch_optional(&mut **tx)
        .await;
        match row {
            Ok(Some(r)) => {
                let kind: String = r.try_get("kind").unwrap_or_default();
                let deleted: bool = r.try_get("deleted").unwrap_or(true);
                if kind != w.kind.as_str() {
                    StoreError::WrongKind
                } else if deleted && w.sealed.is_none() {
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
