//! Records — contacts and groups — and the one write every channel makes them with.
//!
//! [`Store::write`] carries every rule of a write: the content is checked (`ContactData::check`,
//! the size limit, the groups it names), sealed at its new revision, and written with its
//! history row, its change-log row and its CardDAV name in one transaction, all writes of a call
//! together; a replaced record must still be at the revision the write is based on (a tombstone's
//! included: an edit can win over a deletion), of the same kind, and a tombstone is not deleted
//! again. The console, `/api/v1`, CardDAV, the import and the CLI all call it (through the thin
//! helpers of `contacts.rs` and `groups.rs`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use crypto::{DataKey, RecordKind};
use domain::{BookId, Contact, ContactData, ContactId, GroupData, GroupId, Origin};
use uuid::Uuid;

use crate::backend::{ContactRow, EntityKind, RecordWrite};
use crate::books::Scope;
use crate::dav::DavName;
use crate::store::now_ms;
use crate::{Store, StoreError, StoreResult};

/// What is sealed for a contact: its card and groups when it is kept as a card (its fields are
/// the card's typed view, and a photo is kept once), else its fields.
pub(crate) fn stored_form(data: &ContactData) -> StoreResult<Vec<u8>> {
    #[derive(serde::Serialize)]
    struct Kept<'a> {
        card: &'a domain::Card,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        groups: &'a [GroupId],
    }
    let out = match &data.card {
        Some(card) => serde_json::to_vec(&Kept { card, groups: &data.groups }),
        None => serde_json::to_vec(data),
    };
    out.map_err(|e| StoreError::Backend(e.to_string()))
}

/// A contact as it stands, tombstones included: what sync works with.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactState {
    pub id: ContactId,
    pub revision: i64,
    /// The change sequence number of its last write.
    pub seq: i64,
    /// `None` for a deleted contact.
    pub data: Option<ContactData>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A group as it stands, tombstones included.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupState {
    pub id: GroupId,
    pub revision: i64,
    pub seq: i64,
    /// `None` for a deleted group.
    pub data: Option<GroupData>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A record as it stands: one entry of the change feed.
// Built by the thousand in a feed page: boxing each contact would cost an allocation apiece.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    Contact(ContactState),
    Group(GroupState),
}

impl FeedItem {
    /// The contact's or group's id.
    pub fn id(&self) -> Uuid {
        match self {
            FeedItem::Contact(c) => *c.id.as_uuid(),
            FeedItem::Group(g) => *g.id.as_uuid(),
        }
    }

    pub fn seq(&self) -> i64 {
        match self {
            FeedItem::Contact(c) => c.seq,
            FeedItem::Group(g) => g.seq,
        }
    }

    pub fn revision(&self) -> i64 {
        match self {
            FeedItem::Contact(c) => c.revision,
            FeedItem::Group(g) => g.revision,
        }
    }

    /// Not a tombstone.
    pub fn is_live(&self) -> bool {
        match self {
            FeedItem::Contact(c) => c.data.is_some(),
            FeedItem::Group(g) => g.data.is_some(),
        }
    }
}

/// What a write puts in a record.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    Contact(&'a ContactData),
    Group(&'a GroupData),
    /// Deletes the record: a tombstone stays for sync (and a contact's last content stays in
    /// the trash, in the history).
    Delete(EntityKind),
}

impl Content<'_> {
    fn kind(&self) -> EntityKind {
        match self {
            Content::Contact(_) => EntityKind::Contact,
            Content::Group(_) => EntityKind::Group,
            Content::Delete(k) => *k,
        }
    }
}

/// One record written by [`Store::write`].
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    pub id: ContactId,
    /// The revision the write is based on — the record's current one, a tombstone's included;
    /// `None` for a new record (its id must be free).
    pub base: Option<i64>,
    pub content: Content<'a>,
    /// The CardDAV name to store with it (a card and its name never part).
    pub name: Option<&'a DavName>,
}

impl<'a> Write<'a> {
    pub fn contact(id: ContactId, base: Option<i64>, data: &'a ContactData) -> Self {
        Write { id, base, content: Content::Contact(data), name: None }
    }

    pub fn group(id: GroupId, base: Option<i64>, data: &'a GroupData) -> Self {
        Write {
            id: ContactId::from_uuid(*id.as_uuid()),
            base,
            content: Content::Group(data),
            name: None,
        }
    }

    pub fn delete(kind: EntityKind, id: ContactId, base: i64) -> Self {
        Write { id, base: Some(base), content: Content::Delete(kind), name: None }
    }

    pub fn named(self, name: Option<&'a DavName>) -> Self {
        Write { name, ..self }
    }
}

/// What a write made: the record's new revision and the time of the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub id: ContactId,
    pub revision: i64,
    pub at: DateTime<Utc>,
}

fn unknown_group(g: GroupId) -> StoreError {
    StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new(
        "groups",
        format!("There is no group {g} in this address book."),
    )]))
}

/// A write checked and sealed by [`Store::prepare_write`], not yet in the database: its
/// [`PreparedWrite::commit`] owns what it needs, so it can run while the caller prepares the
/// next (the import overlaps reading a file with writing it this way).
pub struct PreparedWrite {
    backend: std::sync::Arc<dyn crate::backend::Backend>,
    book: BookId,
    rows: Vec<RecordWrite>,
    origin: String,
    actor: domain::AccountId,
}

impl PreparedWrite {
    /// Writes it (all or nothing, as [`Store::write`]); each record's new revision.
    pub async fn commit(self) -> StoreResult<Vec<Written>> {
        if self.rows.is_empty() {
            return Ok(Vec::new());
        }
        self.backend.write_records(self.book, &self.rows, &self.origin, self.actor).await?;
        Ok(self
            .rows
            .iter()
            .map(|r| Written { id: r.id, revision: r.revision(), at: r.at })
            .collect())
    }
}

impl Store {
    /// The one write (see the module's documentation): all of `writes`, in order, in one
    /// transaction, or none. Returns each record's new revision.
    pub async fn write(
        &self,
        scope: impl Into<Scope>,
        writes: &[Write<'_>],
        origin: Origin,
    ) -> StoreResult<Vec<Written>> {
        self.prepare_write(scope, writes, origin).await?.commit().await
    }

    /// Everything [`Store::write`] does before the database write: the checks and the sealing.
    pub async fn prepare_write(
        &self,
        scope: impl Into<Scope>,
        writes: &[Write<'_>],
        origin: Origin,
    ) -> StoreResult<PreparedWrite> {
        let scope: Scope = scope.into();
        let book = scope.book();
        scope.check_write()?;
        let prepared = |rows| PreparedWrite {
            backend: self.backend.clone(),
            book,
            rows,
            origin: origin.to_db(),
            actor: scope.actor(),
        };
        if writes.is_empty() {
            return Ok(prepared(Vec::new()));
        }
        // Groups named by contacts must be live after this write: the book's, plus those
        // this write creates, minus those it deletes.
        let named: HashSet<GroupId> = writes
            .iter()
            .filter_map(|w| match w.content {
                Content::Contact(d) => Some(d.groups.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        if !named.is_empty() {
            let mut live = self.live_group_ids(book).await?;
            for w in writes {
                let g = GroupId::from_uuid(*w.id.as_uuid());
                match w.content {
                    Content::Group(_) => {
                        live.insert(g);
                    }
                    Content::Delete(EntityKind::Group) => {
                        live.remove(&g);
                    }
                    _ => {}
                }
            }
            if let Some(g) = named.iter().find(|g| !live.contains(g)) {
                return Err(unknown_group(*g));
            }
        }
        let key = self.key_of(book).await?;
        let cards = self.kept_cards(book, &key, writes).await?;
        let at = now_ms();
        let mut rows = Vec::with_capacity(writes.len());
        for (w, card) in writes.iter().zip(cards) {
            let revision = w.base.unwrap_or(0) + 1;
            let sealed = match w.content {
                Content::Contact(data) if data.card.is_some() || card.is_some() => {
                    // A contact kept as a card: its card, edited to its fields (every line they
                    // did not change stays as the client wrote it).
                    let mut data = data.clone();
                    vcard::reconcile(&mut data, card.as_ref());
                    Some(self.seal_contact(book, &key, w.id, revision, &data)?)
                }
                // A contact that never came as a card is kept as its fields; a card is made
                // from them when one is asked for.
                Content::Contact(data) => {
                    Some(self.seal_contact(book, &key, w.id, revision, data)?)
                }
                Content::Group(data) => {
                    let plain =
                        serde_json::to_vec(data).map_err(|e| StoreError::Backend(e.to_string()))?;
                    Some(key.seal_record(
                        RecordKind::Group,
                        book.as_bytes(),
                        w.id.as_bytes(),
                        revision,
                        &plain,
                    )?)
                }
                Content::Delete(_) => None,
            };
            let name =
                w.name.map(|n| self.dav_name_row(book, &key, *w.id.as_uuid(), n)).transpose()?;
            rows.push(RecordWrite {
                kind: w.content.kind(),
                id: w.id,
                base: w.base,
                sealed,
                at,
                name,
            });
        }
        Ok(prepared(rows))
    }

    /// The cards the contacts of `writes` had before (for those written without a card of their
    /// own over an earlier revision), read in one query.
    async fn kept_cards(
        &self,
        book: BookId,
        key: &DataKey,
        writes: &[Write<'_>],
    ) -> StoreResult<Vec<Option<domain::Card>>> {
        let wanted: Vec<ContactId> = writes
            .iter()
            .filter(|w| matches!(w.content, Content::Contact(d) if d.card.is_none()))
            .filter(|w| w.base.is_some())
            .map(|w| w.id)
            .collect();
        let mut found: HashMap<ContactId, domain::Card> = HashMap::new();
        if !wanted.is_empty() {
            for row in self.backend.records_by_ids(book, &wanted).await? {
                if row.kind != EntityKind::Contact {
                    continue;
                }
                if let Some(sealed) = &row.sealed {
                    // Only the card is wanted: its typed view is not read.
                    #[derive(serde::Deserialize)]
                    struct CardOnly {
                        card: Option<domain::Card>,
                    }
                    let plain =
                        key.open_contact(book.as_bytes(), row.id.as_bytes(), row.revision, sealed)?;
                    let kept: CardOnly = serde_json::from_slice(&plain).map_err(|e| {
                        StoreError::Backend(format!("contact {} does not decode: {e}", row.id))
                    })?;
                    if let Some(card) = kept.card {
                        found.insert(row.id, card);
                    }
                }
            }
        }
        Ok(writes
            .iter()
            .map(|w| match w.content {
                Content::Contact(d) if d.card.is_none() => found.remove(&w.id),
                _ => None,
            })
            .collect())
    }

    /// Checks a contact against every rule of storing one, and seals it.
    fn seal_contact(
        &self,
        book: BookId,
        key: &DataKey,
        id: ContactId,
        revision: i64,
        data: &ContactData,
    ) -> StoreResult<Vec<u8>> {
        data.check().map_err(StoreError::Invalid)?;
        let plain = stored_form(data)?;
        self.check_size(plain.len())?;
        Ok(key.seal_contact(book.as_bytes(), id.as_bytes(), revision, &plain)?)
    }

    pub(crate) fn open_data(
        &self,
        book: BookId,
        key: &DataKey,
        id: ContactId,
        revision: i64,
        sealed: &[u8],
    ) -> StoreResult<ContactData> {
        let plain = key.open_contact(book.as_bytes(), id.as_bytes(), revision, sealed)?;
        let mut data: ContactData = serde_json::from_slice(&plain)
            .map_err(|e| StoreError::Backend(format!("contact {id} does not decode: {e}")))?;
        // A contact kept as a card is stored as the card (and its groups): its fields are the
        // card's typed view. One stored before cards were kept has its fields and no card.
        vcard::fill_typed(&mut data);
        Ok(data)
    }

    pub(crate) fn open(
        &self,
        book: BookId,
        key: &DataKey,
        row: &ContactRow,
    ) -> StoreResult<Contact> {
        let sealed = row.sealed.as_ref().ok_or(StoreError::NotFound)?;
        let data = self.open_data(book, key, row.id, row.revision, sealed)?;
        Ok(Contact {
            id: row.id,
            revision: row.revision,
            created_at: row.created_at,
            updated_at: row.updated_at,
            data,
        })
    }

    pub(crate) fn state_of(
        &self,
        book: BookId,
        key: &DataKey,
        row: &ContactRow,
    ) -> StoreResult<ContactState> {
        if row.kind != EntityKind::Contact {
            return Err(StoreError::WrongKind);
        }
        let data = match (&row.sealed, row.deleted) {
            (Some(sealed), false) => {
                Some(self.open_data(book, key, row.id, row.revision, sealed)?)
            }
            _ => None,
        };
        Ok(ContactState {
            id: row.id,
            revision: row.revision,
            seq: row.seq,
            data,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    pub(crate) fn group_state_of(
        &self,
        book: BookId,
        key: &DataKey,
        row: &ContactRow,
    ) -> StoreResult<GroupState> {
        if row.kind != EntityKind::Group {
            return Err(StoreError::WrongKind);
        }
        let data = match (&row.sealed, row.deleted) {
            (Some(sealed), false) => {
                let plain = key.open_record(
                    RecordKind::Group,
                    book.as_bytes(),
                    row.id.as_bytes(),
                    row.revision,
                    sealed,
                )?;
                Some(serde_json::from_slice(&plain).map_err(|e| {
                    StoreError::Backend(format!("group {} does not decode: {e}", row.id))
                })?)
            }
            _ => None,
        };
        Ok(GroupState {
            id: GroupId::from_uuid(*row.id.as_uuid()),
            revision: row.revision,
            seq: row.seq,
            data,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    pub(crate) fn item_of(
        &self,
        book: BookId,
        key: &DataKey,
        row: &ContactRow,
    ) -> StoreResult<FeedItem> {
        match row.kind {
            EntityKind::Contact => self.state_of(book, key, row).map(FeedItem::Contact),
            EntityKind::Group => self.group_state_of(book, key, row).map(FeedItem::Group),
        }
    }

    /// The states of those of `ids` the book has (contacts or groups, deleted or not).
    pub async fn entry_states(
        &self,
        scope: impl Into<Scope>,
        ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, FeedItem>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let key = self.key_of(book).await?;
        let ids: Vec<ContactId> = ids.iter().map(|u| ContactId::from_uuid(*u)).collect();
        let rows = self.backend.records_by_ids(book, &ids).await?;
        crate::par_map(&rows, |r| self.item_of(book, &key, r).map(|i| (*r.id.as_uuid(), i)))
            .into_iter()
            .collect()
    }

    /// One record as it stands (contact or group, deleted or not); `None` if never had.
    pub async fn entry_state(
        &self,
        scope: impl Into<Scope>,
        id: Uuid,
    ) -> StoreResult<Option<FeedItem>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let Some(row) = self.backend.record(book, ContactId::from_uuid(id)).await? else {
            return Ok(None);
        };
        let key = self.key_of(book).await?;
        self.item_of(book, &key, &row).map(Some)
    }

    pub(crate) async fn live_group_ids(&self, book: BookId) -> StoreResult<HashSet<GroupId>> {
        Ok(self
            .backend
            .live_records(book, EntityKind::Group)
            .await?
            .iter()
            .map(|r| GroupId::from_uuid(*r.id.as_uuid()))
            .collect())
    }
}
