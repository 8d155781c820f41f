//! What a database must do for Rolo, one trait per entity; [`Backend`] is all of them. Only
//! the store names these traits: every other crate goes through [`crate::Store`].
//!
//! Rows hold ids, revisions, sequence numbers, times and sealed blobs — never a contact's
//! content in clear. Every record write bumps its book's change sequence, appends to the
//! change log and keeps the revision in the history, in the write's own transaction.

mod rows;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{AccountId, BookId, ContactId, DeviceId, TeamId, Username};

pub use rows::*;

use crate::StoreResult;

/// A database Rolo runs on (`store_sql`'s SQLite and PostgreSQL backends).
#[async_trait]
pub trait Backend:
    AccountRows
    + SessionRows
    + SigninRows
    + RecordRows
    + HistoryRows
    + DeviceRows
    + FeedRows
    + DavNameRows
    + BookRows
    + InstanceRows
    + Send
    + Sync
    + 'static
{
    /// "sqlite" or "postgres".
    fn kind(&self) -> &'static str;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// The newest migration applied to the database and the newest this build knows.
    async fn migrations(&self) -> StoreResult<(i64, i64)>;
    /// Writes a consistent copy of the whole database, taken while it is in use, to a new file
    /// at `path` (SQLite; PostgreSQL is backed up with `pg_dump`).
    async fn backup_into(&self, path: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait AccountRows {
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
    /// Per account: live contacts in the books it owns and the time of their last change, for
    /// the admin page.
    async fn account_stats(&self) -> StoreResult<Vec<(AccountId, i64, Option<DateTime<Utc>>)>>;
}

/// Address books, their shares, teams, the master keys that wrap the books' keys, and the audit
/// log of admins' actions.
#[async_trait]
pub trait BookRows {
    async fn create_book(&self, book: &BookRow) -> StoreResult<()>;
    /// The book, in the trash or not.
    async fn book(&self, id: BookId) -> StoreResult<Option<BookRow>>;
    /// The books an account owns (in the trash or not).
    async fn owned_books(&self, owner: AccountId) -> StoreResult<Vec<BookRow>>;
    /// Every company directory (in the trash or not).
    async fn directory_books(&self) -> StoreResult<Vec<BookRow>>;
    /// Books not in the trash that are shared with the account, directly, through a team it
    /// is in, or with everyone; each with whether that share allows writing (a book shared
    /// several ways comes once per share).
    async fn shared_with(&self, account: AccountId) -> StoreResult<Vec<(BookRow, bool)>>;
    /// In one query: the book, whether `account` is an admin and disabled, and the best share
    /// of the book to it (directly, through a team, or to everyone): `Some(can_write)`, or
    /// `None` without one. `None` when the account or the book does not exist.
    async fn book_access(
        &self,
        account: AccountId,
        book: BookId,
    ) -> StoreResult<Option<BookAccessRow>>;
    /// Replaces the sealed name and description if they are still at `expected_rev`.
    async fn set_book_meta(
        &self,
        id: BookId,
        expected_rev: i64,
        sealed: &[u8],
    ) -> StoreResult<bool>;
    /// Puts the book in the trash (`Some`) or takes it out (`None`).
    async fn set_book_deleted(&self, id: BookId, at: Option<DateTime<Utc>>) -> StoreResult<bool>;
    /// Erases books in the trash since before `before`, with everything in them.
    async fn purge_books(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    async fn shares(&self, book: BookId) -> StoreResult<Vec<ShareRow>>;
    /// Adds the share or changes its `can_write`.
    async fn put_share(&self, share: &ShareRow) -> StoreResult<()>;
    async fn delete_share(&self, book: BookId, grantee: GranteeRow) -> StoreResult<bool>;
    /// `Conflict` when the name is taken.
    async fn create_team(&self, team: &TeamRow) -> StoreResult<()>;
    async fn rename_team(&self, id: TeamId, name: &str) -> StoreResult<bool>;
    async fn delete_team(&self, id: TeamId) -> StoreResult<bool>;
    async fn teams(&self) -> StoreResult<Vec<TeamRow>>;
    /// Every (team, account) membership.
    async fn team_members(&self) -> StoreResult<Vec<(TeamId, AccountId)>>;
    async fn set_team_member(
        &self,
        team: TeamId,
        account: AccountId,
        member: bool,
    ) -> StoreResult<bool>;
    async fn add_audit(&self, row: &AuditRow) -> StoreResult<()>;
    /// The newest entries first, at most `limit`.
    async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRow>>;
    /// Master key ids that wrap book keys, with how many books each.
    async fn key_ids_in_use(&self) -> StoreResult<Vec<(String, i64)>>;
    /// Books whose data key is wrapped by `key_id`.
    async fn books_with_key(&self, key_id: &str) -> StoreResult<Vec<BookRow>>;
    /// Replaces a wrapped key only if it is still wrapped by `old_key_id`.
    async fn rewrap_book_key(
        &self,
        id: BookId,
        old_key_id: &str,
        new_key_id: &str,
        wrapped: &[u8],
    ) -> StoreResult<bool>;
}

#[async_trait]
pub trait SessionRows {
    async fn create_session(&self, session: &SessionRow) -> StoreResult<()>;
    /// The session and its account, if the session exists (expired or not).
    async fn session(&self, token_hash: &str) -> StoreResult<Option<(SessionRow, AccountRow)>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_account_sessions(&self, id: AccountId) -> StoreResult<u64>;
    /// The account's sessions, newest first.
    async fn account_sessions(&self, id: AccountId) -> StoreResult<Vec<SessionRow>>;
    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// How many console sessions are live at `now` (all accounts).
    async fn count_live_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// Sign-in attempts, second factors, passwords waiting for their second factor, settings.
#[async_trait]
pub trait SigninRows {
    async fn throttle_row(&self, key: &str) -> StoreResult<Option<ThrottleRow>>;
    /// Writes `new` for `key` if its row is still `expected` (`None`: there is none); false if
    /// another attempt changed it first.
    async fn throttle_swap(
        &self,
        key: &str,
        expected: Option<&ThrottleRow>,
        new: &ThrottleRow,
    ) -> StoreResult<bool>;
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
    async fn swap_recovery_codes(
        &self,
        account: AccountId,
        expected: &str,
        new: &str,
    ) -> StoreResult<bool>;
    async fn create_pending_signin(&self, row: &SessionRow) -> StoreResult<()>;
    async fn pending_signin(&self, token_hash: &str) -> StoreResult<Option<SessionRow>>;
    async fn delete_pending_signin(&self, token_hash: &str) -> StoreResult<()>;
    async fn purge_pending_signins(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_setting(&self, key: &str, value: Option<&str>) -> StoreResult<()>;
}

/// Contacts and groups ("records": one id space, one history, one change log).
#[async_trait]
pub trait RecordRows {
    /// The one write: applies `writes` in order in one transaction — all or none — each with
    /// the next change sequence number, its history row, its change-log row and its CardDAV
    /// name. A new record whose id is taken is a `Conflict`; a replaced record must be at
    /// `base` (`Stale` otherwise), of the same kind (`WrongKind`), and a tombstone cannot be
    /// deleted again (`NotFound`). Returns the sequence number of the last write.
    async fn write_records(
        &self,
        book: BookId,
        writes: &[RecordWrite],
        origin: &str,
        actor: AccountId,
    ) -> StoreResult<i64>;
    /// The record, tombstones included.
    async fn record(&self, book: BookId, id: ContactId) -> StoreResult<Option<ContactRow>>;
    /// The rows (tombstones included) of those of `ids` the account has.
    async fn records_by_ids(&self, book: BookId, ids: &[ContactId])
        -> StoreResult<Vec<ContactRow>>;
    /// Every live (not deleted) record of this kind.
    async fn live_records(&self, book: BookId, kind: EntityKind) -> StoreResult<Vec<ContactRow>>;
    /// How many live contacts the book has.
    async fn count_contacts(&self, book: BookId) -> StoreResult<i64>;
}

/// Past revisions and the trash.
#[async_trait]
pub trait HistoryRows {
    /// One stored revision of a record.
    async fn revision(
        &self,
        book: BookId,
        id: ContactId,
        revision: i64,
    ) -> StoreResult<Option<RevisionRow>>;
    /// All stored revisions of a record, newest first.
    async fn revisions(&self, book: BookId, id: ContactId) -> StoreResult<Vec<RevisionRow>>;
    /// Deleted contacts whose last content is still in the history, newest deletion first.
    async fn trash(&self, book: BookId) -> StoreResult<Vec<TrashRow>>;
    /// In one query: every contact (deleted or not) whose record changed after `after`, with
    /// its newest revision at or before `after` (`None` when none is stored: made later, or its
    /// history erased). What undoing changes since a time starts from.
    async fn contacts_changed_since(
        &self,
        book: BookId,
        after: DateTime<Utc>,
    ) -> StoreResult<Vec<(ContactRow, Option<RevisionRow>)>>;
    /// Erases the history (all content) of contacts deleted before `before` — of one book,
    /// or of all with `None`; their tombstones stay for sync. Returns how many contacts.
    async fn purge_trash(&self, book: Option<BookId>, before: DateTime<Utc>) -> StoreResult<u64>;
}

#[async_trait]
pub trait DeviceRows {
    async fn create_device(&self, device: &DeviceRow) -> StoreResult<()>;
    /// The device holding this token hash and its account (revoked devices included).
    async fn device_by_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(DeviceRow, AccountRow)>>;
    async fn devices(&self, account: AccountId) -> StoreResult<Vec<DeviceRow>>;
    async fn device(&self, account: AccountId, id: DeviceId) -> StoreResult<Option<DeviceRow>>;
    async fn rename_device(
        &self,
        account: AccountId,
        id: DeviceId,
        name: &str,
    ) -> StoreResult<bool>;
    async fn revoke_device(
        &self,
        account: AccountId,
        id: DeviceId,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Adds a sync request's figures to the device's record.
    async fn record_sync(&self, id: DeviceId, record: &SyncRecord) -> StoreResult<()>;
}

/// The change feed: records in change order.
#[async_trait]
pub trait FeedRows {
    /// Records (tombstones included) whose last change is after `after`, in change order, at
    /// most `limit`, with their sealed content.
    async fn records_since(
        &self,
        book: BookId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ContactRow>>;
    /// The same without the sealed content (`sealed` is `None`, `deleted` tells): what a
    /// listing of ETags needs.
    async fn heads_since(
        &self,
        book: BookId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ContactRow>>;
    /// Every live record, without the sealed content, in change order.
    async fn live_heads(&self, book: BookId) -> StoreResult<Vec<ContactRow>>;
    /// Change-log entries with `seq > after`, oldest first, at most `limit`.
    async fn changes_since(
        &self,
        book: BookId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ChangeRow>>;
    /// The book's current change sequence number (0 before any change).
    async fn current_seq(&self, book: BookId) -> StoreResult<i64>;
    /// The sequence number below which tombstones may have been purged.
    async fn purged_seq(&self, book: BookId) -> StoreResult<i64>;
}

/// CardDAV names (see `crate::dav`).
#[async_trait]
pub trait DavNameRows {
    /// Every CardDAV name of the book.
    async fn dav_names(&self, book: BookId) -> StoreResult<Vec<DavNameRow>>;
    /// The names of those of `ids` that have one.
    async fn dav_names_by_ids(
        &self,
        book: BookId,
        ids: &[ContactId],
    ) -> StoreResult<Vec<DavNameRow>>;
    /// The names whose href hash is one of `hashes`.
    async fn dav_names_by_hashes(
        &self,
        book: BookId,
        hashes: &[String],
    ) -> StoreResult<Vec<DavNameRow>>;
    /// In one query per 250 keys: the rows with these `ids` (each with its name, if any), the
    /// names whose href hash is one of `hashes` (each with its row, if any), and the names of
    /// those of `ids` that have no row. What a multiget needs to answer.
    async fn dav_cards(
        &self,
        book: BookId,
        ids: &[ContactId],
        hashes: &[String],
    ) -> StoreResult<Vec<DavCardRow>>;
    /// Sets (or replaces) the name of `row.id`; `Conflict` if another id has that href.
    async fn put_dav_name(&self, row: &DavNameRow) -> StoreResult<()>;
}

/// What instances on one database share beyond records: import jobs and the access epoch.
#[async_trait]
pub trait InstanceRows {
    async fn create_import_job(&self, row: &ImportJobRow) -> StoreResult<()>;
    /// The job without its report (`sealed_report` is `None`): a status poll reads this, and a
    /// report can be megabytes.
    async fn import_job(&self, id: uuid::Uuid) -> StoreResult<Option<ImportJobRow>>;
    /// The job's sealed report, if the job exists and has one.
    async fn import_job_report(&self, id: uuid::Uuid) -> StoreResult<Option<Vec<u8>>>;
    /// Sets a running job's counters and `updated_at`; false when it is not running (any more).
    async fn set_import_job_counts(
        &self,
        id: uuid::Uuid,
        counts: &JobCounts,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Ends a running job: writes `row`'s state, counters, sealed parts and times, if the job
    /// is still running — and, with `if_updated_at`, still at that `updated_at` (nobody touched
    /// it since it was read). False otherwise.
    async fn end_import_job(
        &self,
        row: &ImportJobRow,
        if_updated_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool>;
    /// Deletes jobs that ended before `before`, and running jobs not touched since then.
    async fn purge_import_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// The shared access epoch.
    async fn access_epoch(&self) -> StoreResult<i64>;
    /// Moves the shared access epoch on by one; returns the new value.
    async fn bump_access_epoch(&self) -> StoreResult<i64>;
}
