//! The trait a database backend implements. All methods are scoped by account where data
//! belongs to one; writes that change contacts bump the account's change sequence and append to
//! the change log in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{AccountId, ContactId, DeviceId, Username};

use crate::StoreResult;

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
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
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
    pub account_id: AccountId,
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

/// One entry of an account's change log.
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
    pub account_id: AccountId,
    pub id: ContactId,
    pub href_hash: String,
    pub sealed: Vec<u8>,
}

/// What [`Backend::dav_cards`] finds: a card's stored row and its CardDAV name, either of which
/// may be missing (a contact with the default name; a name whose card is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavCardRow {
    pub contact: Option<ContactRow>,
    pub name: Option<DavNameRow>,
}

macro_rules! dav_card_columns {
    () => {
        "SELECT c.kind, c.account_id, c.id, c.revision, c.seq, c.deleted, c.sealed, c.created_at, c.updated_at, \
         n.id AS name_id, n.href_hash AS name_hash, n.sealed AS name_sealed "
    };
}

/// The query of [`Backend::dav_cards`], the same in both backends, in three parts joined by
/// `UNION ALL`: each part is its text up to the account's id, then its text up to the list of
/// keys (closed by `)`). The rows of the ids, each with its name; the names of the hashes, each
/// with its row; the names of the ids that have no row.
pub const DAV_CARDS_BY_ID: (&str, &str) = (
    concat!(dav_card_columns!(), "FROM contacts c LEFT JOIN dav_names n ON n.account_id = c.account_id AND n.id = c.id WHERE c.account_id = "),
    " AND c.id IN (",
);
pub const DAV_CARDS_BY_HASH: (&str, &str) = (
    concat!(dav_card_columns!(), "FROM dav_names n LEFT JOIN contacts c ON c.account_id = n.account_id AND c.id = n.id WHERE n.account_id = "),
    " AND n.href_hash IN (",
);
pub const DAV_CARDS_NAMED_ONLY: (&str, &str) = (
    concat!(dav_card_columns!(), "FROM dav_names n LEFT JOIN contacts c ON c.account_id = n.account_id AND c.id = n.id WHERE n.account_id = "),
    " AND c.id IS NULL AND n.id IN (",
);

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn kind(&self) -> &'static str;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    // Accounts ---------------------------------------------------------------------------
    async fn count_accounts(&self) -> StoreResult<i64>;
    /// `Conflict` when the username is taken.
    async fn create_account(&self, account: &NewAccount) -> StoreResult<()>;
    async fn account_by_username(&self, username: &Username) -> StoreResult<Option<AccountRow>>;
    async fn account(&self, id: AccountId) -> StoreResult<Option<AccountRow>>;
    async fn list_accounts(&self) -> StoreResult<Vec<AccountRow>>;
    /// Returns false when there is no such account.
    async fn set_disabled(&self, id: AccountId, disabled: bool) -> StoreResult<bool>;
    async fn set_password_hash(&self, id: AccountId, hash: &str) -> StoreResult<bool>;
    async fn set_admin(&self, id: AccountId, is_admin: bool) -> StoreResult<bool>;
    async fn set_lang(&self, id: AccountId, lang: Option<&str>) -> StoreResult<bool>;
    /// Per account: live contacts and the time of the last change, for the admin page.
    async fn account_stats(&self) -> StoreResult<Vec<(AccountId, i64, Option<DateTime<Utc>>)>>;
    /// Master key ids that wrap account keys, with how many accounts each.
    async fn key_ids_in_use(&self) -> StoreResult<Vec<(String, i64)>>;
    /// Accounts whose data key is wrapped by `key_id`.
    async fn accounts_with_key(&self, key_id: &str) -> StoreResult<Vec<AccountRow>>;
    /// Replaces a wrapped key only if it is still wrapped by `old_key_id`.
    async fn rewrap_account_key(
        &self,
        id: AccountId,
        old_key_id: &str,
        new_key_id: &str,
        wrapped: &[u8],
    ) -> StoreResult<bool>;

    // Sessions ---------------------------------------------------------------------------
    async fn create_session(&self, session: &SessionRow) -> StoreResult<()>;
    /// The session and its account, if the session exists (expired or not).
    async fn session(&self, token_hash: &str) -> StoreResult<Option<(SessionRow, AccountRow)>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_account_sessions(&self, id: AccountId) -> StoreResult<u64>;
    /// The account's sessions, newest first.
    async fn account_sessions(&self, id: AccountId) -> StoreResult<Vec<SessionRow>>;
    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    // ---------------------------------------------------------------------------------------
    // Sign-in: attempts, second factors, passwords waiting for their second factor, settings
    // ---------------------------------------------------------------------------------------

    async fn throttle_row(&self, key: &str) -> StoreResult<Option<ThrottleRow>>;
    /// Writes `new` for `key` if its row is still `expected` (`None`: there is none); false if
    /// another attempt changed it first.
    async fn throttle_swap(&self, key: &str, expected: Option<&ThrottleRow>, new: &ThrottleRow) -> StoreResult<bool>;
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;
    /// Forgets rows not touched since `before` (ms).
    async fn throttle_purge(&self, before: i64) -> StoreResult<u64>;
    async fn second_factor(&self, account: AccountId) -> StoreResult<Option<SecondFactorRow>>;
    /// Stores the account's second factor, replacing any.
    async fn put_second_factor(&self, row: &SecondFactorRow) -> StoreResult<()>;
    async fn delete_second_factor(&self, account: AccountId) -> StoreResult<bool>;
    /// Records that a code of time step `step` was accepted, if no code of that step or a later
    /// one was: false otherwise (a code works once).
    async fn use_second_factor_step(&self, account: AccountId, step: i64) -> StoreResult<bool>;
    /// Replaces the recovery codes left if they are still `expected`; false otherwise.
    async fn swap_recovery_codes(&self, account: AccountId, expected: &str, new: &str) -> StoreResult<bool>;
    async fn create_pending_signin(&self, row: &SessionRow) -> StoreResult<()>;
    async fn pending_signin(&self, token_hash: &str) -> StoreResult<Option<SessionRow>>;
    async fn delete_pending_signin(&self, token_hash: &str) -> StoreResult<()>;
    async fn purge_pending_signins(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_setting(&self, key: &str, value: Option<&str>) -> StoreResult<()>;

    // Contacts ---------------------------------------------------------------------------
    // Every write also stores the new revision in the history and appends to the change log,
    // naming its `origin` ("console", "cli", "device:<uuid>").

    /// Inserts a new contact (revision 1). `Conflict` if the id exists in this account.
    /// Returns the change sequence number of the write.
    /// With `name`, the card's CardDAV name is stored in the same transaction (see [`Backend::put_dav_name`]).
    async fn insert_contact(&self, row: &ContactRow, name: Option<&DavNameRow>, origin: &str) -> StoreResult<i64>;
    /// Inserts many new contacts (revision 1 each) in one transaction: all or none. `Conflict`
    /// if any id exists. Returns the change sequence number of the last one.
    async fn insert_contacts(&self, account: AccountId, rows: &[ContactRow], origin: &str) -> StoreResult<i64>;
    /// Replaces a contact (live or a tombstone: `row.deleted` says what it becomes) if its
    /// stored revision is `base_revision`; `Stale` otherwise, `NotFound` if there is no row.
    /// `row.revision` is the new revision.
    /// `name` as in [`Backend::insert_contact`].
    async fn update_contact(&self, row: &ContactRow, base_revision: i64, name: Option<&DavNameRow>, origin: &str) -> StoreResult<i64>;
    /// Turns a live contact into a tombstone at `new_revision` (content dropped); `Stale` if the
    /// revision moved, `NotFound` if it does not exist or is already deleted.
    async fn delete_contact(
        &self,
        account: AccountId,
        id: ContactId,
        base_revision: i64,
        new_revision: i64,
        now: DateTime<Utc>,
        origin: &str,
    ) -> StoreResult<i64>;
    /// Contact rows (tombstones included) whose last change is after `after`, in change
    /// order, at most `limit`: what download sync sends.
    async fn contacts_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<ContactRow>>;
    /// One stored revision of a contact.
    async fn revision(&self, account: AccountId, id: ContactId, revision: i64) -> StoreResult<Option<RevisionRow>>;
    /// All stored revisions of a contact, newest first.
    async fn revisions(&self, account: AccountId, id: ContactId) -> StoreResult<Vec<RevisionRow>>;
    /// The contact row, tombstones included.
    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Option<ContactRow>>;
    /// How many live contacts the account has.
    async fn count_contacts(&self, account: AccountId) -> StoreResult<i64>;
    /// The rows (tombstones included) of those of `ids` the account has.
    async fn contacts_by_ids(&self, account: AccountId, ids: &[ContactId]) -> StoreResult<Vec<ContactRow>>;
    /// Every live (not deleted) contact of the account.
    async fn live_contacts(&self, account: AccountId) -> StoreResult<Vec<ContactRow>>;
    /// Every live (not deleted) group of the account.
    async fn live_groups(&self, account: AccountId) -> StoreResult<Vec<ContactRow>>;
    /// Change-log entries with `seq > after`, oldest first, at most `limit`.
    async fn changes_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<ChangeRow>>;
    /// The account's current change sequence number (0 before any change).
    async fn current_seq(&self, account: AccountId) -> StoreResult<i64>;
    /// The sequence number below which tombstones may have been purged.
    async fn purged_seq(&self, account: AccountId) -> StoreResult<i64>;

    // Trash ------------------------------------------------------------------------------
    /// Deleted contacts whose last content is still in the history, newest deletion first.
    async fn trash(&self, account: AccountId) -> StoreResult<Vec<TrashRow>>;
    /// Erases the history (all content) of contacts deleted before `before` — of one account,
    /// or of all with `None`; their tombstones stay for sync. Returns how many contacts.
    async fn purge_trash(&self, account: Option<AccountId>, before: DateTime<Utc>) -> StoreResult<u64>;

    // Devices ----------------------------------------------------------------------------
    async fn create_device(&self, device: &DeviceRow) -> StoreResult<()>;
    /// The device holding this token hash and its account (revoked devices included).
    async fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<(DeviceRow, AccountRow)>>;
    async fn devices(&self, account: AccountId) -> StoreResult<Vec<DeviceRow>>;
    async fn device(&self, account: AccountId, id: DeviceId) -> StoreResult<Option<DeviceRow>>;
    async fn rename_device(&self, account: AccountId, id: DeviceId, name: &str) -> StoreResult<bool>;
    async fn revoke_device(&self, account: AccountId, id: DeviceId, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Adds a sync request's figures to the device's record.
    async fn record_sync(&self, id: DeviceId, record: &SyncRecord) -> StoreResult<()>;

    /// Like `contacts_since`, without the sealed content (`sealed` is `None`, `deleted` tells):
    /// what a listing of ETags needs. The default reads the content and drops it.
    async fn heads_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<ContactRow>> {
        let mut rows = self.contacts_since(account, after, limit).await?;
        rows.iter_mut().for_each(|r| r.sealed = None);
        Ok(rows)
    }
    /// Every live contact and group, without the sealed content, in change order.
    async fn live_heads(&self, account: AccountId) -> StoreResult<Vec<ContactRow>> {
        let mut rows = self.live_contacts(account).await?;
        rows.extend(self.live_groups(account).await?);
        rows.sort_by_key(|r| r.seq);
        rows.iter_mut().for_each(|r| r.sealed = None);
        Ok(rows)
    }

    // CardDAV names ----------------------------------------------------------------------
    /// Every CardDAV name of the account.
    async fn dav_names(&self, account: AccountId) -> StoreResult<Vec<DavNameRow>>;
    /// The names of those of `ids` that have one.
    async fn dav_names_by_ids(&self, account: AccountId, ids: &[ContactId]) -> StoreResult<Vec<DavNameRow>>;
    /// The names whose href hash is one of `hashes`.
    async fn dav_names_by_hashes(&self, account: AccountId, hashes: &[String]) -> StoreResult<Vec<DavNameRow>>;
    /// In one query per 250 keys: the rows with these `ids` (each with its name, if any), the
    /// names whose href hash is one of `hashes` (each with its row, if any), and the names of
    /// those of `ids` that have no row. What a multiget needs to answer.
    async fn dav_cards(&self, account: AccountId, ids: &[ContactId], hashes: &[String]) -> StoreResult<Vec<DavCardRow>>;
    /// Sets (or replaces) the name of `row.id`; `Conflict` if another id has that href.
    async fn put_dav_name(&self, row: &DavNameRow) -> StoreResult<()>;
}
