//! The trait a database backend implements. All methods are scoped by account where data
//! belongs to one; writes that change contacts bump the account's change sequence and append to
//! the change log in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{AccountId, ContactId, Username};

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
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    /// SHA-256 of the session token, hex. The token itself is never stored.
    pub token_hash: String,
    pub account_id: AccountId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A contact as stored: clear metadata around the sealed content (`None` for a tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
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
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Contact => "contact",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "contact" => Some(EntityKind::Contact),
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
    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    // Contacts ---------------------------------------------------------------------------
    /// Inserts a new contact (revision 1). `Conflict` if the id exists in this account.
    /// Returns the change sequence number of the write.
    async fn insert_contact(&self, row: &ContactRow) -> StoreResult<i64>;
    /// Replaces a live contact if its stored revision is `base_revision`; `Stale` otherwise,
    /// `NotFound` if it does not exist or is deleted. `row.revision` is the new revision.
    async fn update_contact(&self, row: &ContactRow, base_revision: i64) -> StoreResult<i64>;
    /// Turns a live contact into a tombstone at `new_revision` (content dropped).
    async fn delete_contact(
        &self,
        account: AccountId,
        id: ContactId,
        base_revision: i64,
        new_revision: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// The contact row, tombstones included.
    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Option<ContactRow>>;
    /// Every live (not deleted) contact of the account.
    async fn live_contacts(&self, account: AccountId) -> StoreResult<Vec<ContactRow>>;
    /// Change-log entries with `seq > after`, oldest first, at most `limit`.
    async fn changes_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<ChangeRow>>;
    /// The account's current change sequence number (0 before any change).
    async fn current_seq(&self, account: AccountId) -> StoreResult<i64>;
}
