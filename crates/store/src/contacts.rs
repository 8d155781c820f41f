//! Contacts: reads, and the writes each channel makes (all through [`Store::write`]).

use std::collections::HashSet;

use domain::{AccountId, Contact, ContactData, ContactId, Origin};
use uuid::Uuid;

use crate::backend::EntityKind;
use crate::dav::DavName;
use crate::records::{ContactState, Write};
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
    /// How many live contacts the account has.
    pub async fn count_contacts(&self, account: AccountId) -> StoreResult<i64> {
        self.backend.count_contacts(account).await
    }

    /// All live contacts of the account, sorted by display name.
    pub async fn list_contacts(&self, account: AccountId) -> StoreResult<Vec<Contact>> {
        let mut out = self.all_contacts(account).await?;
        out.sort_by(|a, b| {
            a.data
                .display_name
                .to_lowercase()
                .cmp(&b.data.display_name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// All live contacts of the account, in no particular order (cheaper than `list_contacts`).
    pub async fn all_contacts(&self, account: AccountId) -> StoreResult<Vec<Contact>> {
        let key = self.key_of(account).await?;
        let rows = self.backend.live_records(account, EntityKind::Contact).await?;
        rows.iter().map(|r| self.open(account, &key, r)).collect()
    }

    /// One live contact of the account; `NotFound` for another account's id or a deleted one.
    pub async fn get_contact(&self, account: AccountId, id: ContactId) -> StoreResult<Contact> {
        let row = self.backend.record(account, id).await?.ok_or(StoreError::NotFound)?;
        if row.deleted || row.kind != EntityKind::Contact {
            return Err(StoreError::NotFound);
        }
        let key = self.key_of(account).await?;
        self.open(account, &key, &row)
    }

    /// The contact as it stands, deleted or not; `None` if the account never had it.
    pub async fn contact_state(
        &self,
        account: AccountId,
        id: ContactId,
    ) -> StoreResult<Option<ContactState>> {
        let Some(row) = self.backend.record(account, id).await? else { return Ok(None) };
        let key = self.key_of(account).await?;
        self.state_of(account, &key, &row).map(Some)
    }

    /// Creates a contact with the given id (a device's UUID) or a fresh UUID v7.
    pub async fn create_contact(
        &self,
        account: AccountId,
        id: Option<ContactId>,
        data: &ContactData,
        origin: Origin,
    ) -> StoreResult<Contact> {
        Ok(self.create_contacts(account, &[(id, data.clone())], origin).await?.remove(0))
    }

    /// Creates many contacts in one transaction (all or none): ids given or fresh UUID v7s.
    pub async fn create_contacts(
        &self,
        account: AccountId,
        items: &[(Option<ContactId>, ContactData)],
        origin: Origin,
    ) -> StoreResult<Vec<Contact>> {
        let ids: Vec<ContactId> = items
            .iter()
            .map(|(id, _)| id.unwrap_or_else(|| ContactId::from_uuid(Uuid::now_v7())))
            .collect();
        let writes: Vec<Write<'_>> =
            ids.iter().zip(items).map(|(id, (_, data))| Write::contact(*id, None, data)).collect();
        let written = self.write(account, &writes, origin).await?;
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
        account: AccountId,
        id: ContactId,
        base_revision: i64,
        data: &ContactData,
        origin: Origin,
    ) -> StoreResult<i64> {
        self.put_contact(account, id, Some(base_revision), data, origin).await
    }

    /// Writes `data` as the next revision after `base` (`None`: a new contact). On a tombstone's
    /// revision this brings the contact back (an edit that wins over a deletion). Returns the
    /// new revision.
    pub async fn put_contact(
        &self,
        account: AccountId,
        id: ContactId,
        base: Option<i64>,
        data: &ContactData,
        origin: Origin,
    ) -> StoreResult<i64> {
        self.put_contact_named(account, id, base, data, None, origin).await
    }

    /// Like [`Store::put_contact`], storing the card's new CardDAV name (if any) with it.
    pub async fn put_contact_named(
        &self,
        account: AccountId,
        id: ContactId,
        base: Option<i64>,
        data: &ContactData,
        name: Option<&DavName>,
        origin: Origin,
    ) -> StoreResult<i64> {
        let w = Write::contact(id, base, data).named(name);
        Ok(self.write(account, &[w], origin).await.map_err(not_a_contact)?[0].revision)
    }

    /// Deletes a contact (leaves a tombstone for sync) if `base_revision` is still current.
    pub async fn delete_contact(
        &self,
        account: AccountId,
        id: ContactId,
        base_revision: i64,
        origin: Origin,
    ) -> StoreResult<()> {
        self.write(account, &[Write::delete(EntityKind::Contact, id, base_revision)], origin)
            .await
            .map_err(not_a_contact)?;
        Ok(())
    }

    /// Deletes many contacts in one transaction (each leaves a tombstone and goes to the trash);
    /// ids that are not live contacts of the account are skipped, and a contact changed
    /// meanwhile is deleted at its new revision. Returns the ids deleted.
    pub async fn delete_contacts(
        &self,
        account: AccountId,
        ids: &[ContactId],
        origin: Origin,
    ) -> StoreResult<Vec<ContactId>> {
        let wanted: HashSet<ContactId> = ids.iter().copied().collect();
        for attempt in 1..=ATTEMPTS {
            let rows = self
                .backend
                .records_by_ids(account, &wanted.iter().copied().collect::<Vec<_>>())
                .await?;
            let writes: Vec<Write<'_>> = rows
                .iter()
                .filter(|r| !r.deleted && r.kind == EntityKind::Contact)
                .map(|r| Write::delete(EntityKind::Contact, r.id, r.revision))
                .collect();
            match self.write(account, &writes, origin).await {
                Ok(done) => return Ok(done.into_iter().map(|w| w.id).collect()),
                Err(StoreError::Stale { .. } | StoreError::NotFound) if attempt < ATTEMPTS => {
                    continue
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Stale { current: 0 })
    }
}
