//! The rows a backend reads and writes: clear metadata around sealed content.

use chrono::{DateTime, Utc};
use domain::{AccountId, BookId, BookKind, ContactId, DeviceId, TeamId, Username};

/// A new account; its first book (id = the account's id, "Contacts") is created with it and
/// gets this data key.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub username: Username,
    pub password_hash: String,
    pub is_admin: bool,
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: AccountId,
    pub username: Username,
    pub password_hash: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The console language the account chose ("en", "zh"), if any.
    pub lang: Option<String>,
}

/// Sign-in attempts counted under one key (see `Store::begin_attempt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRow {
    pub failures: i64,
    /// No attempt is checked before this time (ms).
    pub next_at: i64,
    pub updated_at: i64,
}

/// An account's second factor: its TOTP secret sealed with the account's data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactorRow {
    pub account_id: AccountId,
    pub sealed: Vec<u8>,
    /// False while enrolling (the secret was shown, no code confirmed it yet).
    pub confirmed: bool,
    /// The last time step a code was accepted at.
    pub last_step: i64,
    /// The recovery codes left: HMACs, hex, space-separated.
    pub recovery: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    /// SHA-256 of the session token, hex. The token itself is never stored.
    pub token_hash: String,
    pub account_id: AccountId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A contact (or a group: `kind`) as stored: clear metadata around the sealed content (`None`
/// for a tombstone). Contacts and groups share ids' space, history and change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub kind: EntityKind,
    pub book_id: BookId,
    pub id: ContactId,
    pub revision: i64,
    pub seq: i64,
    pub deleted: bool,
    pub sealed: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    Contact,
    Group,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Contact => "contact",
            EntityKind::Group => "group",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "contact" => Some(EntityKind::Contact),
            "group" => Some(EntityKind::Group),
            _ => None,
        }
    }
}

/// One entry of a book's change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub seq: i64,
    pub entity: EntityKind,
    pub entity_id: ContactId,
    pub revision: i64,
    pub deleted: bool,
    pub changed_at: DateTime<Utc>,
}

/// One stored revision of a contact (its content sealed; `None` for a deletion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRow {
    pub revision: i64,
    pub sealed: Option<Vec<u8>>,
    pub origin: String,
    /// The account that made it (`None` for revisions from before books: the owner).
    pub actor: Option<AccountId>,
    pub changed_at: DateTime<Utc>,
}

/// A contact in the trash: deleted, with its last content still in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashRow {
    pub id: ContactId,
    /// The revision of the tombstone.
    pub revision: i64,
    pub deleted_at: DateTime<Utc>,
    /// Origin of the deletion.
    pub deleted_by: String,
    /// The last revision before the deletion (sealed content).
    pub live: RevisionRow,
}

/// A registered sync device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: DeviceId,
    pub account_id: AccountId,
    pub name: String,
    pub kind: String,
    /// SHA-256 of the device token, hex.
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_cursor: Option<i64>,
    pub last_addr: Option<String>,
    pub changes_sent: i64,
    pub changes_received: i64,
}

/// What a device's sync request did, recorded on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRecord {
    pub at: DateTime<Utc>,
    /// The cursor the device now holds (after a download), if any.
    pub cursor: Option<i64>,
    pub addr: Option<String>,
    pub sent: i64,
    pub received: i64,
}

/// The CardDAV name of a contact or group: a keyed hash of its href (to find it) and the href
/// and vCard UID sealed together (`RecordKind::DavName`, revision 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavNameRow {
    pub book_id: BookId,
    pub id: ContactId,
    pub href_hash: String,
    pub sealed: Vec<u8>,
}

/// What `DavNameRows::dav_cards` finds: a card's stored row and its CardDAV name, either of which
/// may be missing (a contact with the default name; a name whose card is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavCardRow {
    pub contact: Option<ContactRow>,
    pub name: Option<DavNameRow>,
}

macro_rules! dav_card_columns {
    () => {
        "SELECT c.kind, c.book_id, c.id, c.revision, c.seq, c.deleted, c.sealed, c.created_at, c.updated_at, \
         n.id AS name_id, n.href_hash AS name_hash, n.sealed AS name_sealed "
    };
}

/// The query of `DavNameRows::dav_cards`, the same in both backends, in three parts joined by
/// `UNION ALL`: each part is its text up to the book's id, then its text up to the list of
/// keys (closed by `)`). The rows of the ids, each with its name; the names of the hashes, each
/// with its row; the names of the ids that have no row.
pub const DAV_CARDS_BY_ID: (&str, &str) = (
    concat!(dav_card_columns!(), "FROM contacts c LEFT JOIN dav_names n ON n.book_id = c.book_id AND n.id = c.id WHERE c.book_id = "),
    " AND c.id IN (",
);
pub const DAV_CARDS_BY_HASH: (&str, &str) = (
    concat!(dav_card_columns!(), "FROM dav_names n LEFT JOIN contacts c ON c.book_id = n.book_id AND c.id = n.id WHERE n.book_id = "),
    " AND n.href_hash IN (",
);
pub const DAV_CARDS_NAMED_ONLY: (&str, &str) = (
    concat!(dav_card_columns!(), "FROM dav_names n LEFT JOIN contacts c ON c.book_id = n.book_id AND c.id = n.id WHERE n.book_id = "),
    " AND c.id IS NULL AND n.id IN (",
);

/// One record (contact or group) written by `RecordRows::write_records`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordWrite {
    pub kind: EntityKind,
    pub id: ContactId,
    /// The revision this write replaces (the record's current one, a tombstone's included);
    /// `None` for a new record.
    pub base: Option<i64>,
    /// The new content, sealed at revision `base + 1` (1 for a new record); `None` makes the
    /// record a tombstone.
    pub sealed: Option<Vec<u8>>,
    pub at: DateTime<Utc>,
    /// The record's CardDAV name, stored in the same transaction.
    pub name: Option<DavNameRow>,
}

impl RecordWrite {
    /// The revision the record has after this write.
    pub fn revision(&self) -> i64 {
        self.base.unwrap_or(0) + 1
    }
}

/// An address book as stored: clear metadata, its name and description sealed with its own data
/// key (`RecordKind::BookMeta`, revision `meta_rev`), the key wrapped by a master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookRow {
    pub id: BookId,
    /// `None` for a company directory.
    pub owner_id: Option<AccountId>,
    pub kind: BookKind,
    /// `None`: the first book's default name ("Contacts") and no description.
    pub sealed_meta: Option<Vec<u8>>,
    pub meta_rev: i64,
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Whom a share is for, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GranteeRow {
    Account(AccountId),
    Team(TeamId),
    Everyone,
}

impl GranteeRow {
    pub fn kind(self) -> &'static str {
        match self {
            GranteeRow::Account(_) => "account",
            GranteeRow::Team(_) => "team",
            GranteeRow::Everyone => "everyone",
        }
    }
    pub fn id(self) -> uuid::Uuid {
        match self {
            GranteeRow::Account(a) => *a.as_uuid(),
            GranteeRow::Team(t) => *t.as_uuid(),
            GranteeRow::Everyone => uuid::Uuid::nil(),
        }
    }
    pub fn from_parts(kind: &str, id: uuid::Uuid) -> Option<Self> {
        match kind {
            "account" => Some(GranteeRow::Account(AccountId::from_uuid(id))),
            "team" => Some(GranteeRow::Team(TeamId::from_uuid(id))),
            "everyone" => Some(GranteeRow::Everyone),
            _ => None,
        }
    }
}

/// One share of a book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRow {
    pub book_id: BookId,
    pub grantee: GranteeRow,
    pub can_write: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Something an admin did to a book that is not theirs; the detail sealed with the book's key
/// (`RecordKind::Audit`, the entry's id, revision 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: uuid::Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<AccountId>,
    pub book_id: Option<BookId>,
    pub action: String,
    pub sealed: Option<Vec<u8>>,
}

/// What `BookRows::book_access` finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookAccessRow {
    pub book: BookRow,
    pub is_admin: bool,
    pub disabled: bool,
    /// The best share of the book to the account: `Some(can_write)`.
    pub share: Option<bool>,
}

/// An import job (see `crate::import_jobs`): counters and times in clear, what came from the
/// file sealed with its book's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJobRow {
    pub id: uuid::Uuid,
    pub book_id: BookId,
    /// The account that started it: the only one that sees it.
    pub account_id: AccountId,
    /// "running", "done" or "failed".
    pub state: String,
    pub counts: JobCounts,
    pub sealed_group: Option<Vec<u8>>,
    pub sealed_failures: Option<Vec<u8>>,
    pub sealed_message: Option<Vec<u8>>,
    pub sealed_report: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// An import job's progress counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub rows_done: i64,
    pub rows_total: i64,
    pub imported: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
}
