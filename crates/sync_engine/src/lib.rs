//! Incremental sync: download (everything changed after a cursor) and upload (apply a device's
//! changes on top of the revisions it knew), with the conflict rules of [`merge`]. Used by every
//! adapter (the JSON device API now, CardDAV later) so they all share one change log.
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod merge;

use domain::{
    AccountId, BookId, BookInfo, ContactData, ContactDraft, ContactId, GroupData, GroupId, Origin,
};
use store::{FeedItem, Scope, Since, Store, StoreError};
use uuid::Uuid;

pub use merge::{merge, FieldConflict, Merged};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The cursor is not one of this account's (too new) or predates purged tombstones.
    #[error("this cursor is unknown or too old; download everything again without a cursor")]
    CursorInvalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page of the download feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    /// Changed contacts and groups in change order, tombstones (`data: None`) included.
    pub items: Vec<FeedItem>,
    /// The cursor after this page (the same as given when nothing changed).
    pub next: i64,
    pub more: bool,
}

/// Everything that changed in the account after `cursor` (`None`: everything), at most
/// `limit`: the store's feed ([`Store::feed`]), which owns the cursor rules.
pub async fn pull(
    store: &Store,
    account: impl Into<Scope>,
    cursor: Option<i64>,
    limit: usize,
) -> Result<Pull, SyncError> {
    let since = cursor.map_or(Since::Start, Since::After);
    match store.feed(account, since, limit).await {
        Ok(page) => Ok(Pull { items: page.items, next: page.next, more: page.more }),
        Err(StoreError::CursorInvalid) => Err(SyncError::CursorInvalid),
        Err(e) => Err(e.into()),
    }
}

/// A page of the feed over every book an account may read.
#[derive(Debug, Clone, PartialEq)]
pub struct BooksPull {
    /// Changed contacts and groups with their book, book by book in change order.
    pub items: Vec<(BookId, FeedItem)>,
    /// Each readable book's position after this page.
    pub next: Vec<(BookId, i64)>,
    pub more: bool,
    /// The books the account may read now.
    pub books: Vec<BookInfo>,
}

/// Everything that changed after `cursor` in every book `account` may read (`None`, or a book
/// missing from the cursor: from its start), at most `limit` items: each book's feed in turn,
/// so one cursor holds every book's position. Books no longer readable drop out of it.
pub async fn pull_books(
    store: &Store,
    account: AccountId,
    cursor: Option<&[(BookId, i64)]>,
    limit: usize,
) -> Result<BooksPull, SyncError> {
    let books = store.book_scopes(account).await?;
    let mut out = BooksPull { items: Vec::new(), next: Vec::new(), more: false, books: Vec::new() };
    for (info, scope) in books {
        let at = cursor.and_then(|c| c.iter().find(|(b, _)| *b == info.id)).map(|(_, s)| *s);
        let room = limit.saturating_sub(out.items.len());
        if room == 0 {
            // No room left in this page: the book waits for the next one.
            out.more = true;
            out.next.push((info.id, at.unwrap_or(0)));
            out.books.push(info);
            continue;
        }
        let page = pull(store, scope, at, room).await?;
        out.more |= page.more;
        out.next.push((info.id, page.next));
        out.items.extend(page.items.into_iter().map(|i| (info.id, i)));
        out.books.push(info);
    }
    Ok(out)
}

/// One change made on a device.
#[derive(Debug, Clone, PartialEq)]
// Built one per upload item and consumed at once: boxing the contact would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum PushOp {
    Contact(ContactData),
    Group(GroupData),
    DeleteContact,
    DeleteGroup,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PushItem {
    pub id: Uuid,
    pub base_revision: Option<i64>,
    pub op: PushOp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushStatus {
    Created,
    Updated,
    Deleted,
    Unchanged,
    Conflict,
    Rejected,
}

#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct PushResult {
    pub id: Uuid,
    pub status: PushStatus,
    pub revision: Option<i64>,
    pub reason: Option<String>,
    /// For conflicts: the version the device must adopt.
    pub current: Option<FeedItem>,
    pub conflicts: Vec<FieldConflict>,
}

impl PushResult {
    fn new(id: Uuid, status: PushStatus, revision: Option<i64>) -> Self {
        PushResult { id, status, revision, reason: None, current: None, conflicts: Vec::new() }
    }
    pub fn rejected(id: Uuid, reason: impl Into<String>) -> Self {
        PushResult { reason: Some(reason.into()), ..Self::new(id, PushStatus::Rejected, None) }
    }
    fn conflict(
        id: Uuid,
        revision: i64,
        current: FeedItem,
        conflicts: Vec<FieldConflict>,
        reason: &str,
    ) -> Self {
        PushResult {
            reason: Some(reason.into()),
            conflicts,
            current: Some(current),
            ..Self::new(id, PushStatus::Conflict, Some(revision))
        }
    }
}

/// Normalises contact data from a device the same way the console does (lengths, labels,
/// display name); returns the reason when it is not acceptable.
pub fn normalise(data: &ContactData) -> Result<ContactData, String> {
    ContactDraft::from_data(data).parse().map_err(|e| e.to_string())
}

/// How often a write is retried when another writer moved the record in between.
const ATTEMPTS: usize = 5;

/// Applies a device's changes in order. A retried batch changes nothing the second time.
///
/// New contacts (ids the account has never had, appearing once in the batch) are written
/// together in one transaction; everything else item by item.
pub async fn push(
    store: &Store,
    account: impl Into<Scope>,
    origin: Origin,
    items: Vec<PushItem>,
) -> Result<Vec<PushResult>, StoreError> {
    let account: Scope = account.into();
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let known = store.entry_states(account, &ids).await?;
    let mut seen = std::collections::HashMap::<Uuid, usize>::new();
    for id in &ids {
        *seen.entry(*id).or_default() += 1;
    }
    let mut results: Vec<Option<PushResult>> = vec![None; items.len()];
    let mut creates: Vec<(usize, Uuid, ContactData)> = Vec::new();
    let mut rest: Vec<(usize, PushItem)> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match &item.op {
            PushOp::Contact(data)
                if !known.contains_key(&item.id)
                    && seen[&item.id] == 1
                    && data.groups.is_empty() =>
            {
                match normalise(data) {
                    // The batch is all or nothing: an item the store would refuse is refused here.
                    Ok(d) => match store.check_contact(&d) {
                        Ok(()) => creates.push((i, item.id, d)),
                        Err(StoreError::Invalid(e)) => {
                            results[i] = Some(PushResult::rejected(item.id, e.to_string()))
                        }
                        Err(e) => return Err(e),
                    },
                    Err(reason) => results[i] = Some(PushResult::rejected(item.id, reason)),
                }
            }
            _ => rest.push((i, item)),
        }
    }
    if !creates.is_empty() {
        let batch: Vec<(Option<ContactId>, ContactData)> =
            creates.iter().map(|(_, id, d)| (Some(ContactId::from_uuid(*id)), d.clone())).collect();
        match store.create_contacts(account, &batch, origin).await {
            Ok(_) => {
                for (i, id, _) in &creates {
                    results[*i] = Some(PushResult::new(*id, PushStatus::Created, Some(1)));
                }
            }
            // Someone created one of them meanwhile, or one breaks a rule: take the careful path
            // for all, where each item gets its own answer.
            Err(StoreError::Conflict(_) | StoreError::Invalid(_)) => {
                rest.extend(creates.into_iter().map(|(i, id, d)| {
                    (i, PushItem { id, base_revision: None, op: PushOp::Contact(d) })
                }));
                rest.sort_by_key(|(i, _)| *i);
            }
            Err(e) => return Err(e),
        }
    }
    for (i, item) in rest {
        results[i] = Some(push_one(store, account, origin, item).await?);
    }
    Ok(results.into_iter().flatten().collect())
}

async fn push_one(
    store: &Store,
    account: Scope,
    origin: Origin,
    item: PushItem,
) -> Result<PushResult, StoreError> {
    let id = item.id;
    let op = match item.op {
        PushOp::Contact(data) => match normalise(&data) {
            Ok(d) => PushOp::Contact(d),
            Err(reason) => return Ok(PushResult::rejected(id, reason)),
        },
        other => other,
    };
    for _ in 0..ATTEMPTS {
        let attempt = match &op {
            PushOp::Contact(_) | PushOp::DeleteContact => {
                contact_once(store, account, origin, id, item.base_revision, &op).await
            }
            PushOp::Group(_) | PushOp::DeleteGroup => {
                group_once(store, account, origin, id, item.base_revision, &op).await
            }
        };
        match attempt {
            Err(StoreError::Stale { .. }) | Err(StoreError::Conflict(_)) => continue,
            Err(StoreError::WrongKind) => {
                return Ok(PushResult::rejected(
                    id,
                    "this id belongs to another kind of record (a contact or a group)",
                ))
            }
            Err(StoreError::Invalid(e)) => return Ok(PushResult::rejected(id, e.to_string())),
            other => return other,
        }
    }
    tracing::warn!(%id, "upload item kept racing with other writers");
    Ok(PushResult::rejected(id, "it kept changing on the server; retry the upload"))
}

async fn contact_now(store: &Store, account: Scope, id: ContactId) -> Result<FeedItem, StoreError> {
    store.contact_state(account, id).await?.map(FeedItem::Contact).ok_or(StoreError::NotFound)
}

async fn contact_once(
    store: &Store,
    account: Scope,
    origin: Origin,
    uuid: Uuid,
    base: Option<i64>,
    op: &PushOp,
) -> Result<PushResult, StoreError> {
    let id = ContactId::from_uuid(uuid);
    let state = store.contact_state(account, id).await?;
    match (op, state) {
        (PushOp::Contact(data), None) => {
            let rev = store.put_contact(account, id, None, data, origin).await?;
            Ok(PushResult::new(uuid, PushStatus::Created, Some(rev)))
        }
        (PushOp::Contact(data), Some(st)) => {
            if st.data.as_ref() == Some(data) {
                return Ok(PushResult::new(uuid, PushStatus::Unchanged, Some(st.revision)));
            }
            if base == Some(st.revision) {
                let rev = store.put_contact(account, id, Some(st.revision), data, origin).await?;
                return Ok(PushResult::new(uuid, PushStatus::Updated, Some(rev)));
            }
            let Some(server) = st.data.clone() else {
                // Deleted on the server, edited on the device: the edit wins.
                let rev = store.put_contact(account, id, Some(st.revision), data, origin).await?;
                let now = contact_now(store, account, id).await?;
                return Ok(PushResult::conflict(
                    uuid,
                    rev,
                    now,
                    Vec::new(),
                    "it had been deleted on the server; your edit restored it",
                ));
            };
            let base_data = match base {
                Some(b) => store.revision_data(account, id, b).await?.flatten(),
                None => None,
            };
            let merged = merge(base_data.as_ref(), &server, data);
            let conflicts = merged.conflicts;
            if merged.data != server {
                store.put_contact(account, id, Some(st.revision), &merged.data, origin).await?;
            }
            let now = contact_now(store, account, id).await?;
            let rev = match &now {
                FeedItem::Contact(c) => c.revision,
                FeedItem::Group(g) => g.revision,
            };
            let reason = if conflicts.is_empty() {
                "changed on the server too; both changes were merged"
            } else {
                "changed on the server too; for fields both sides changed your values won, the server's are in the history"
            };
            Ok(PushResult::conflict(uuid, rev, now, conflicts, reason))
        }
        (_, None) => Ok(PushResult {
            reason: Some("the server never had it".into()),
            ..PushResult::new(uuid, PushStatus::Unchanged, None)
        }),
        (_, Some(st)) if st.data.is_none() => {
            Ok(PushResult::new(uuid, PushStatus::Unchanged, Some(st.revision)))
        }
        (_, Some(st)) => {
            if base == Some(st.revision) {
                store.delete_contact(account, id, st.revision, origin).await?;
                return Ok(PushResult::new(uuid, PushStatus::Deleted, Some(st.revision + 1)));
            }
            // Edited on the server since the device's copy: the edit wins over the deletion.
            let rev = st.revision;
            Ok(PushResult::conflict(
                uuid,
                rev,
                FeedItem::Contact(st),
                Vec::new(),
                "it was changed on the server after your copy; the edit wins over the deletion",
            ))
        }
    }
}

async fn group_now(store: &Store, account: Scope, id: GroupId) -> Result<FeedItem, StoreError> {
    store.group_state(account, id).await?.map(FeedItem::Group).ok_or(StoreError::NotFound)
}

async fn group_once(
    store: &Store,
    account: Scope,
    origin: Origin,
    uuid: Uuid,
    base: Option<i64>,
    op: &PushOp,
) -> Result<PushResult, StoreError> {
    let id = GroupId::from_uuid(uuid);
    let state = store.group_state(account, id).await?;
    match (op, state) {
        (PushOp::Group(data), None) => {
            let rev = store.put_group(account, id, None, data, origin).await?;
            Ok(PushResult::new(uuid, PushStatus::Created, Some(rev)))
        }
        (PushOp::Group(data), Some(st)) => {
            if st.data.as_ref() == Some(data) {
                return Ok(PushResult::new(uuid, PushStatus::Unchanged, Some(st.revision)));
            }
            let rev = store.put_group(account, id, Some(st.revision), data, origin).await?;
            if base == Some(st.revision) {
                return Ok(PushResult::new(uuid, PushStatus::Updated, Some(rev)));
            }
            // The group changed on the server too: the upload's name wins; the server's is in
            // the history.
            let conflicts = match &st.data {
                Some(server) => vec![FieldConflict {
                    field: "name",
                    kept: serde_json::json!(data.name()),
                    replaced: serde_json::json!(server.name()),
                }],
                None => Vec::new(),
            };
            let now = group_now(store, account, id).await?;
            Ok(PushResult::conflict(
                uuid,
                rev,
                now,
                conflicts,
                "the group changed on the server too; your name won",
            ))
        }
        (_, None) => Ok(PushResult {
            reason: Some("the server never had it".into()),
            ..PushResult::new(uuid, PushStatus::Unchanged, None)
        }),
        (_, Some(st)) if st.data.is_none() => {
            Ok(PushResult::new(uuid, PushStatus::Unchanged, Some(st.revision)))
        }
        (_, Some(st)) => {
            if base == Some(st.revision) {
                store.delete_group(account, id, st.revision, origin).await?;
                return Ok(PushResult::new(uuid, PushStatus::Deleted, Some(st.revision + 1)));
            }
            let rev = st.revision;
            Ok(PushResult::conflict(uuid, rev, FeedItem::Group(st), Vec::new(), "the group was changed on the server after your copy; the edit wins over the deletion"))
        }
    }
}

#[cfg(test)]
mod tests;
