//! CardDAV names.

use super::*;

#[async_trait]
impl DavNameRows for B {
    async fn dav_names(&self, book: BookId) -> StoreResult<Vec<DavNameRow>> {
        sqlx::query("SELECT * FROM dav_names WHERE book_id = $1")
            .bind(book.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(dav_name_from)
            .collect()
    }

    async fn dav_names_by_ids(
        &self,
        book: BookId,
        ids: &[ContactId],
    ) -> StoreResult<Vec<DavNameRow>> {
        let keys: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
        self.select_in("dav_names", "id", book, &keys, dav_name_from).await
    }

    async fn dav_names_by_hashes(
        &self,
        book: BookId,
        hashes: &[String],
    ) -> StoreResult<Vec<DavNameRow>> {
        self.select_in("dav_names", "href_hash", book, hashes, dav_name_from).await
    }

    async fn dav_cards(
        &self,
        book: BookId,
        ids: &[ContactId],
        hashes: &[String],
    ) -> StoreResult<Vec<DavCardRow>> {
        const CHUNK: usize = 250;
        let ids: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
        let mut out = Vec::with_capacity(ids.len() + hashes.len());
        for n in 0..ids.len().div_ceil(CHUNK).max(hashes.len().div_ceil(CHUNK)) {
            let ids = ids.chunks(CHUNK).nth(n).unwrap_or_default();
            let hashes = hashes.chunks(CHUNK).nth(n).unwrap_or_default();
            let mut q = QueryBuilder::<Db>::new("");
            let mut first = true;
            if !ids.is_empty() {
                union_part(&mut q, &mut first, DAV_CARDS_BY_ID, book, ids.iter().copied());
                union_part(&mut q, &mut first, DAV_CARDS_NAMED_ONLY, book, ids.iter().copied());
            }
            if !hashes.is_empty() {
                union_part(
                    &mut q,
                    &mut first,
                    DAV_CARDS_BY_HASH,
                    book,
                    hashes.iter().map(String::as_str),
                );
            }
            if first {
                continue;
            }
            for r in q.build().fetch_all(&self.pool).await.map_err(db_err)? {
                out.push(dav_card_from(book, &r)?);
            }
        }
        Ok(out)
    }

    async fn put_dav_name(&self, row: &DavNameRow) -> StoreResult<()> {
        put_name(&self.pool, row).await
    }
}

fn union_part<'t, T>(
    q: &mut QueryBuilder<Db>,
    first: &mut bool,
    part: (&str, &str),
    book: BookId,
    keys: impl Iterator<Item = T>,
) where
    T: sqlx::Encode<'t, Db> + sqlx::Type<Db>,
{
    if !std::mem::replace(first, false) {
        q.push(" UNION ALL ");
    }
    q.push(part.0).push_bind(*book.as_uuid()).push(part.1);
    let mut list = q.separated(", ");
    for k in keys {
        list.push_bind(k);
    }
    q.push(")");
}

pub(crate) async fn put_name<'e>(
    db: impl sqlx::Executor<'e, Database = Db>,
    row: &DavNameRow,
) -> StoreResult<()> {
    let r = sqlx::query(
        "INSERT INTO dav_names (book_id, id, href_hash, sealed) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (book_id, id) DO UPDATE SET href_hash = excluded.href_hash, sealed = excluded.sealed",
    )
    .bind(row.book_id.as_uuid())
    .bind(row.id.as_uuid())
    .bind(&row.href_hash)
    .bind(&row.sealed)
    .execute(db)
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
            Err(StoreError::Conflict("another card already has that name".into()))
        }
        Err(e) => Err(db_err(e)),
    }
}
