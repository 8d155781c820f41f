//! Past revisions, and the trash (deleted contacts whose last content is still in the history).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use domain::{AccountId, ContactData, ContactId, Origin};

use crate::backend::EntityKind;
use crate::books::Scope;
use crate::store::now_ms;
use crate::{Store, StoreError, StoreResult};

/// One entry of a contact's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub revision: i64,
    pub origin: Origin,
    /// The account that made it, and its username (`None` for revisions from before books,
    /// made by the owner, or once the account is gone).
    pub actor: Option<AccountId>,
    pub actor_name: Option<String>,
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
        scope: impl Into<Scope>,
        id: ContactId,
    ) -> StoreResult<Vec<HistoryEntry>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        match self.backend.record(book, id).await? {
            Some(row) if row.kind == EntityKind::Contact => {}
            _ => return Ok(Vec::new()),
        }
        let key = self.key_of(book).await?;
        let revisions = self.backend.revisions(book, id).await?;
        let mut names: std::collections::HashMap<AccountId, Option<String>> = Default::default();
        for a in revisions.iter().filter_map(|r| r.actor) {
            if let std::collections::hash_map::Entry::Vacant(e) = names.entry(a) {
                e.insert(self.backend.account(a).await?.map(|r| r.username.to_string()));
            }
        }
        revisions
            .into_iter()
            .map(|r| {
                let data = match &r.sealed {
                    Some(sealed) => Some(self.open_data(book, &key, id, r.revision, sealed)?),
                    None => None,
                };
                Ok(HistoryEntry {
                    revision: r.revision,
                    origin: Origin::from_db(&r.origin),
                    actor: r.actor,
                    actor_name: r.actor.and_then(|a| names.get(&a).cloned().flatten()),
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
        scope: impl Into<Scope>,
        id: ContactId,
        revision: i64,
    ) -> StoreResult<Option<Option<ContactData>>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let Some(rev) = self.backend.revision(book, id, revision).await? else {
            return Ok(None);
        };
        let key = self.key_of(book).await?;
        match rev.sealed {
            Some(sealed) => Ok(Some(Some(self.open_data(book, &key, id, revision, &sealed)?))),
            None => Ok(Some(None)),
        }
    }

    /// The book's trash, newest deletion first.
    pub async fn trash(&self, scope: impl Into<Scope>) -> StoreResult<Vec<TrashEntry>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let key = self.key_of(book).await?;
        self.backend
            .trash(book)
            .await?
            .into_iter()
            .filter_map(|t| {
                let sealed = t.live.sealed.as_ref()?;
                Some(self.open_data(book, &key, t.id, t.live.revision, sealed).map(|data| {
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
        scope: impl Into<Scope>,
        ids: &[ContactId],
        origin: Origin,
    ) -> StoreResult<usize> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let key = self.key_of(book).await?;
        let wanted: HashSet<ContactId> = ids.iter().copied().collect();
        let mut restored = 0;
        for t in self.backend.trash(book).await? {
            if !wanted.contains(&t.id) {
                continue;
            }
            let Some(sealed) = t.live.sealed.as_ref() else { continue };
            let mut data = self.open_data(book, &key, t.id, t.live.revision, sealed)?;
            self.drop_deleted_groups(scope, &mut data).await?;
            match self.put_contact(scope, t.id, Some(t.revision), &data, origin).await {
                Ok(_) => restored += 1,
                // Edited or restored meanwhile (e.g. by a device): it is no longer in the trash.
                Err(StoreError::Stale { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(restored)
    }

    /// Erases the content of everything in the book's trash (tombstones stay for sync).
    pub async fn empty_trash(&self, scope: impl Into<Scope>) -> StoreResult<u64> {
        let scope: Scope = scope.into();
        scope.check_write()?;
        let book = scope.book();
        self.backend.purge_trash(Some(book), now_ms() + Duration::milliseconds(1)).await
    }

    /// Erases the content of contacts deleted more than `retention` ago, in every book, and
    /// books in the trash for longer, with everything in them.
    pub async fn purge_trash(&self, retention: Duration) -> StoreResult<u64> {
        let n = self.backend.purge_trash(None, now_ms() - retention).await?;
        self.purge_books(now_ms() - retention).await?;
        Ok(n)
    }
}
