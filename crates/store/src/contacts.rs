//! Contacts: reads, and the writes each channel makes (all through [`Store::write`]).

use std::collections::HashSet;

use domain::{Contact, ContactData, ContactId, Origin};
use uuid::Uuid;

use crate::backend::EntityKind;
use crate::books::Scope;
use crate::dav::DavName;
use crate::records::{ContactState, PreparedWrite, Write};
use crate::{Store, StoreError, StoreResult};

/// How often a write that raced another one is tried again.
const ATTEMPTS: usize = 3;

/// Another kind of record under a contact's id is, for contact operations, no contact.
fn not_a_contact(e: StoreError) -> StoreError {
    match e {
        StoreError::WrongKind => StoreError::NotFound,
        e => e,
    }
}

impl Store {
    /// How many live contacts the book has.
    pub async fn count_contacts(&self, scope: impl Into<Scope>) -> StoreResult<i64> {
        let scope: Scope = scope.into();
        let book = scope.book();
        self.backend.count_contacts(book).await
    }

    /// All live contacts of the book, sorted by display name.
    pub async fn list_contacts(&self, scope: impl Into<Scope>) -> StoreResult<Vec<Contact>> {
        let scope: Scope = scope.into();
        let mut out = self.all_contacts(scope).await?;
        out.sort_by(|a, b| {
            a.data
                .display_name
                .to_lowercase()
                .cmp(&b.data.display_name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// All live contacts of the book, in no particular order (cheaper than `list_contacts`).
    pub async fn all_contacts(&self, scope: impl Into<Scope>) -> StoreResult<Vec<Contact>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let key = self.key_of(book).await?;
        let rows = self.backend.live_records(book, EntityKind::Contact).await?;
        crate::par_map(&rows, |r| self.open(book, &key, r)).into_iter().collect()
    }

    /// One live contact of the book; `NotFound` for another book's id or a deleted one.
    pub async fn get_contact(
        &self,
        scope: impl Into<Scope>,
        id: ContactId,
    ) -> StoreResult<Contact> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let row = self.backend.record(book, id).await?.ok_or(StoreError::NotFound)?;
        if row.deleted || row.kind != EntityKind::Contact {
            return Err(StoreError::NotFound);
        }
        let key = self.key_of(book).await?;
        self.open(book, &key, &row)
    }

    /// The contact as it stands, deleted or not; `None` if the book never had it.
    pub async fn contact_state(
        &self,
        scope: impl Into<Scope>,
        id: ContactId,
    ) -> StoreResult<Option<ContactState>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let Some(row) = self.backend.record(book, id).await? else { return Ok(None) };
        let key = self.key_of(book).await?;
        self.state_of(book, &key, &row).map(Some)
    }

    /// Creates a contact with the given id (a device's UUID) or a fresh UUID v7.
    pub async fn create_contact(
        &self,
        scope: impl Into<Scope>,
        id: Option<ContactId>,
        data: &ContactData,
        origin: Origin,
    ) -> StoreResult<Contact> {
        let scope: Scope = scope.into();
        Ok(self.create_contacts(scope, &[(id, data.clone())], origin).await?.remove(0))
    }

    /// [`Store::create_contacts`] checked and sealed, not yet written
    /// ([`Store::prepare_write`]): the import writes one batch while it reads the next.
    pub async fn prepare_create_contacts(
        &self,
        scope: impl Into<Scope>,
        items: &[(Option<ContactId>, ContactData)],
        origin: Origin,
    ) -> StoreResult<PreparedWrite> {
        let writes: Vec<Write<'_>> = items
            .iter()
            .map(|(id, data)| {
                let id = id.unwrap_or_else(|| ContactId::from_uuid(Uuid::now_v7()));
                Write::contact(id, None, data)
            })
            .collect();
        self.prepare_write(scope, &writes, origin).await
    }

    /// Creates many contacts in one transaction (all or none): ids given or fresh UUID v7s.
    pub async fn create_contacts(
        &self,
        scope: impl Into<Scope>,
        items: &[(Option<ContactId>, ContactData)],
        origin: Origin,
    ) -> StoreResult<Vec<Contact>> {
        let written = self.prepare_create_contacts(scope, items, origin).await?.commit().await?;
        Ok(written
            .into_iter()
            .zip(items)
            .map(|(w, (_, data))| Contact {
                id: w.id,
                revision: w.revision,
                created_at: w.at,
                updated_at: w.at,
                data: data.clone(),
            })
            .collect())
    }

    /// Replaces a contact's content if `base_revision` is still current (`Stale` otherwise);
    /// returns the new revision.
    pub async fn update_contact(
        &self,
        scope: impl Into<Scope>,
        id: ContactId,
        base_revision: i64,
        data: &ContactData,
        origin: Origin,
    ) -> StoreResult<i64> {
        let scope: Scope = scope.into();
        self.put_contact(scope, id, Some(base_revision), data, origin).await
    }

    /// Writes `data` as the next revision after `base` (`None`: a new contact). On a tombstone's
    /// revision this brings the contact back (an edit that wins over a deletion). Returns the
    /// new revision.
    pub async fn put_contact(
        &self,
        scope: impl Into<Scope>,
        id: ContactId,
        base: Option<i64>,
        data: &ContactData,
        origin: Origin,
    ) -> StoreResult<i64> {
        let scope: Scope = scope.into();
        self.put_contact_named(scope, id, base, data, None, origin).await
    }

    /// Like [`Store::put_contact`], storing the card's new CardDAV name (if any) with it.
    pub async fn put_contact_named(
        &self,
        scope: impl Into<Scope>,
        id: ContactId,
        base: Option<i64>,
        data: &ContactData,
        name: Option<&DavName>,
        origin: Origin,
    ) -> StoreResult<i64> {
        let scope: Scope = scope.into();
        let w = Write::contact(id, base, data).named(name);
        Ok(self.write(scope, &[w], origin).await.map_err(not_a_contact)?[0].revision)
    }

    /// Deletes a contact (leaves a tombstone for sync) if `base_revision` is still current.
    pub async fn delete_contact(
        &self,
        scope: impl Into<Scope>,
        id: ContactId,
        base_revision: i64,
        origin: Origin,
    ) -> StoreResult<()> {
        let scope: Scope = scope.into();
        self.write(scope, &[Write::delete(EntityKind::Contact, id, base_revision)], origin)
            .await
            .map_err(not_a_contact)?;
        Ok(())
    }

    /// Deletes many contacts in one transaction (each leaves a tombstone and goes to the trash);
    /// ids that are not live contacts of the book are skipped, and a contact changed
    /// meanwhile is deleted at its new revision. Returns the ids deleted.
    pub async fn delete_contacts(
        &self,
        scope: impl Into<Scope>,
        ids: &[ContactId],
        origin: Origin,
    ) -> StoreResult<Vec<ContactId>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let wanted: HashSet<ContactId> = ids.iter().copied().collect();
        for attempt in 1..=ATTEMPTS {
            let rows = self
                .backend
                .records_by_ids(book, &wanted.iter().copied().collect::<Vec<_>>())
                .await?;
            let writes: Vec<Write<'_>> = rows
                .iter()
                .filter(|r| !r.deleted && r.kind == EntityKind::Contact)
                .map(|r| Write::delete(EntityKind::Contact, r.id, r.revision))
                .collect();
            match self.write(scope, &writes, origin).await {
                Ok(done) => return Ok(done.into_iter().map(|w| w.id).collect()),
                Err(StoreError::Stale { .. } | StoreError::NotFound) if attempt < ATTEMPTS => {
                    continue
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Stale { current: 0 })
    }

    /// Copies (or, with `remove`, moves) contacts from one book to another: each comes into
    /// `to` as a new contact with all its content but its groups (groups belong to a book) —
    /// under its own id when `to` does not have it, else a new one — in one transaction; a move
    /// then deletes them from `from` (to its trash), so a failure between the two leaves a copy,
    /// never a loss. Ids that are not live contacts of `from` are skipped. Returns how many.
    pub async fn copy_contacts(
        &self,
        from: Scope,
        to: Scope,
        ids: &[ContactId],
        remove: bool,
        origin: Origin,
    ) -> StoreResult<usize> {
        to.check_write()?;
        if remove {
            from.check_write()?;
        }
        if from.book() == to.book() {
            return Ok(0);
        }
        let uuids: Vec<Uuid> = ids.iter().map(|i| *i.as_uuid()).collect();
        let found = self.entry_states(from, &uuids).await?;
        let taken = self.entry_states(to, &uuids).await?;
        let mut items = Vec::new();
        let mut moved = Vec::new();
        for id in ids {
            let Some(crate::FeedItem::Contact(c)) = found.get(id.as_uuid()) else { continue };
            let Some(data) = &c.data else { continue };
            let mut data = data.clone();
            data.groups.clear();
            let keep = (!taken.contains_key(id.as_uuid())).then_some(*id);
            items.push((keep, data));
            moved.push(*id);
        }
        if items.is_empty() {
            return Ok(0);
        }
        self.create_contacts(to, &items, origin).await?;
        if remove {
            self.delete_contacts(from, &moved, origin).await?;
        }
        Ok(moved.len())
    }
}
