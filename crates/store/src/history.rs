//! Past revisions, and the trash (deleted contacts whose last content is still in the history).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use domain::{AccountId, ContactData, ContactId, Origin};

use crate::backend::EntityKind;
use crate::store::now_ms;
use crate::{Store, StoreError, StoreResult};

/// One entry of a contact's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub revision: i64,
    pub origin: Origin,
    pub changed_at: DateTime<Utc>,
    /// `None` for a deletion.
    pub data: Option<ContactData>,
}

/// A contact in the trash: its last content, and its deletion.
#[derive(Debug, Clone, PartialEq)]
pub struct TrashEntry {
    pub id: ContactId,
    pub data: ContactData,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by: Origin,
}

impl Store {
    /// A contact's history, newest first.
    pub async fn history(
        &self,
        account: AccountId,
        id: ContactId,
    ) -> StoreResult<Vec<HistoryEntry>> {
        let acc = self.account_row(account).await?;
        match self.backend.record(account, id).await? {
            Some(row) if row.kind == EntityKind::Contact => {}
            _ => return Ok(Vec::new()),
        }
        let key = self.data_key(&acc).await?;
        self.backend
            .revisions(account, id)
            .await?
            .into_iter()
            .map(|r| {
                let data = match &r.sealed {
                    Some(sealed) => Some(self.open_data(acc.id, &key, id, r.revision, sealed)?),
                    None => None,
                };
                Ok(HistoryEntry {
                    revision: r.revision,
                    origin: Origin::from_db(&r.origin),
                    changed_at: r.changed_at,
                    data,
                })
            })
            .collect()
    }

    /// The content of one past revision: `Some(None)` if that revision was a deletion,
    /// `None` if it is not stored.
    pub async fn revision_data(
        &self,
        account: AccountId,
        id: ContactId,
        revision: i64,
    ) -> StoreResult<Option<Option<ContactData>>> {
        let acc = self.account_row(account).await?;
        let Some(rev) = self.backend.revision(account, id, revision).await? else {
            return Ok(None);
        };
        let key = self.data_key(&acc).await?;
        match rev.sealed {
            Some(sealed) => Ok(Some(Some(self.open_data(acc.id, &key, id, revision, &sealed)?))),
            None => Ok(Some(None)),
        }
    }

    /// The account's trash, newest deletion first.
    pub async fn trash(&self, account: AccountId) -> StoreResult<Vec<TrashEntry>> {
        let key = self.key_of(account).await?;
        self.backend
            .trash(account)
            .await?
            .into_iter()
            .filter_map(|t| {
                let sealed = t.live.sealed.as_ref()?;
                Some(self.open_data(account, &key, t.id, t.live.revision, sealed).map(|data| {
                    TrashEntry {
                        id: t.id,
                        data,
                        deleted_at: t.deleted_at,
                        deleted_by: Origin::from_db(&t.deleted_by),
                    }
                }))
            })
            .collect()
    }

    /// Brings contacts back from the trash as a new revision of their last content (groups
    /// deleted since are left out). Ids not in the trash are skipped; returns how many came back.
    pub async fn restore_from_trash(
        &self,
        account: AccountId,
        ids: &[ContactId],
        origin: Origin,
    ) -> StoreResult<usize> {
        let acc = self.account_row(account).await?;
        let key = self.data_key(&acc).await?;
        let wanted: HashSet<ContactId> = ids.iter().copied().collect();
        let mut restored = 0;
        for t in self.backend.trash(account).await? {
            if !wanted.contains(&t.id) {
                continue;
            }
            let Some(sealed) = t.live.sealed.as_ref() else { continue };
            let mut data = self.open_data(acc.id, &key, t.id, t.live.revision, sealed)?;
            self.drop_deleted_groups(account, &mut data).await?;
            match self.put_contact(account, t.id, Some(t.revision), &data, origin).await {
                Ok(_) => restored += 1,
                // Edited or restored meanwhile (e.g. by a device): it is no longer in the trash.
                Err(StoreError::Stale { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(restored)
    }

    /// Erases the content of everything in the account's trash (tombstones stay for sync).
    pub async fn empty_trash(&self, account: AccountId) -> StoreResult<u64> {
        self.backend.purge_trash(Some(account), now_ms() + Duration::milliseconds(1)).await
    }

    /// Erases the content of contacts deleted more than `retention` ago, in every account.
    pub async fn purge_trash(&self, retention: Duration) -> StoreResult<u64> {
        self.backend.purge_trash(None, now_ms() - retention).await
    }
}
