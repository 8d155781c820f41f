//! The change feed, read one way by every follower: device sync (`/api/v1`), CardDAV's
//! sync-collection and the console's index.
//!
//! A cursor is a change sequence number of the book: everything after it, each record once
//! at its last change, tombstones included, in change order. A cursor from the future, or older
//! than the purge point (tombstones forgotten), is refused ([`StoreError::CursorInvalid`]); a
//! page that is not the last says so and resumes after its last record; the last page ends at
//! the book's current sequence number, so with no change the same cursor comes back.

use domain::{BookId, ContactId};

use crate::backend::{ChangeRow, ContactRow};
use crate::books::Scope;
use crate::records::FeedItem;
use crate::{Store, StoreError, StoreResult};

/// One change of the book's change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub id: ContactId,
    pub revision: i64,
    pub deleted: bool,
}

/// Where a follower of the feed stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// From the start.
    Start,
    /// After this sequence number: every change, deletions included.
    After(i64),
}

/// One page of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage<T> {
    /// In change order.
    pub items: Vec<T>,
    /// The cursor after this page.
    pub next: i64,
    /// More changes follow `next`.
    pub more: bool,
}

/// A record without its content (what a listing of ETags needs): see [`Store::feed_heads`].
pub type Head = ContactRow;

impl Store {
    /// Checks a cursor; returns the book's current sequence number.
    async fn feed_start(&self, book: BookId, since: Since) -> StoreResult<(i64, i64)> {
        let current = self.backend.current_seq(book).await?;
        let after = match since {
            Since::Start => 0,
            Since::After(n) => {
                if n > current || n < self.backend.purged_seq(book).await? {
                    return Err(StoreError::CursorInvalid);
                }
                n
            }
        };
        Ok((after, current))
    }

    fn page<T>(
        mut rows: Vec<T>,
        limit: usize,
        after: i64,
        current: i64,
        seq: impl Fn(&T) -> i64,
    ) -> FeedPage<T> {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let last = rows.last().map(&seq).unwrap_or(after);
        let next = if more { last } else { last.max(current).max(after) };
        FeedPage { items: rows, next, more }
    }

    /// Records changed since `since`, opened, at most `limit`.
    pub async fn feed(
        &self,
        scope: impl Into<Scope>,
        since: Since,
        limit: usize,
    ) -> StoreResult<FeedPage<FeedItem>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let (after, current) = self.feed_start(book, since).await?;
        let limit = limit.max(1);
        let rows = self
            .backend
            .records_since(book, after, i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1)
            .await?;
        let page = Self::page(rows, limit, after, current, |r| r.seq);
        let key = self.key_of(book).await?;
        let items: Vec<FeedItem> = crate::par_map(&page.items, |r| self.item_of(book, &key, r))
            .into_iter()
            .collect::<StoreResult<_>>()?;
        Ok(FeedPage { items, next: page.next, more: page.more })
    }

    /// The same without opening anything: heads (ids, kinds, revisions, states, times).
    pub async fn feed_heads(
        &self,
        scope: impl Into<Scope>,
        since: Since,
        limit: usize,
    ) -> StoreResult<FeedPage<Head>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let (after, current) = self.feed_start(book, since).await?;
        let limit = limit.max(1);
        let rows = self
            .backend
            .heads_since(book, after, i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1)
            .await?;
        Ok(Self::page(rows, limit, after, current, |r| r.seq))
    }

    /// Every live record's head, in change order (a listing of the whole book).
    pub async fn live_heads(&self, scope: impl Into<Scope>) -> StoreResult<Vec<Head>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        self.backend.live_heads(book).await
    }

    /// Every live group's head.
    pub async fn group_heads(&self, scope: impl Into<Scope>) -> StoreResult<Vec<Head>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let mut rows = self.backend.live_records(book, crate::EntityKind::Group).await?;
        rows.iter_mut().for_each(|r| r.sealed = None);
        Ok(rows)
    }

    /// The book's change log after `after`, oldest first.
    pub async fn changes_since(
        &self,
        scope: impl Into<Scope>,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<Change>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let rows: Vec<ChangeRow> = self.backend.changes_since(book, after, limit).await?;
        Ok(rows
            .into_iter()
            .map(|c| Change {
                seq: c.seq,
                id: c.entity_id,
                revision: c.revision,
                deleted: c.deleted,
            })
            .collect())
    }

    /// The book's current change sequence number.
    pub async fn current_seq(&self, scope: impl Into<Scope>) -> StoreResult<i64> {
        let scope: Scope = scope.into();
        let book = scope.book();
        self.backend.current_seq(book).await
    }
}
