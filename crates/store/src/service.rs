//! `Store`: the account-scoped API the console, the CLI and (later) sync adapters use.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use crypto::{DataKey, KeyId, Keyring, WrappedKey};
use domain::{
    AccountId, AccountInfo, Contact, ContactData, ContactId, DeviceId, DeviceInfo, DeviceKind, Group, GroupData, GroupId, Origin, Username,
};
use crypto::RecordKind;
use uuid::Uuid;

use crate::backend::{AccountRow, Backend, ChangeRow, ContactRow, DeviceRow, EntityKind, NewAccount, SessionRow, SyncRecord};
use crate::keys::{KeySource, RotateReport};
use crate::password::{hash_password, verify_password};
use crate::{StoreError, StoreResult};

/// A new session: the token for the cookie (shown once) and when it expires.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// One change of the account's change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub id: ContactId,
    pub revision: i64,
    pub deleted: bool,
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

/// One entry of the download feed.
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
}

fn unknown_group(g: GroupId) -> StoreError {
    StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("groups", format!("There is no group {g} in this address book."))]))
}

/// One entry of a contact's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub revision: i64,
    pub origin: Origin,
    pub changed_at: DateTime<Utc>,
    /// `None` for a deletion.
    pub data: Option<ContactData>,
}

pub struct Store {
    pub(crate) backend: Arc<dyn Backend>,
    key_source: KeySource,
    keyring: RwLock<Keyring>,
    data_keys: Mutex<HashMap<AccountId, DataKey>>,
    /// Counts the changes made here that withdraw credentials (a device revoked, an account
    /// disabled, a password changed): caches of verified credentials start over when it moves.
    access_epoch: std::sync::atomic::AtomicU64,
    /// A valid argon2 hash of a random password, verified when a username does not exist so
    /// that a login for an unknown user costs as much as one for a known user.
    dummy_hash: String,
    /// The largest contact any channel may store (its content as stored, photos included).
    max_contact_bytes: usize,
}

/// The largest contact stored unless configured (`ROLO_MAX_CONTACT_KB`): 1 MiB, as CardDAV's
/// largest card.
pub const DEFAULT_MAX_CONTACT_BYTES: usize = 1024 * 1024;

fn device_info(row: &DeviceRow) -> DeviceInfo {
    DeviceInfo {
        id: row.id,
        name: row.name.clone(),
        kind: DeviceKind::parse(&row.kind).unwrap_or(DeviceKind::Other),
        created_at: row.created_at,
        revoked_at: row.revoked_at,
        last_sync_at: row.last_sync_at,
        last_cursor: row.last_cursor,
        last_addr: row.last_addr.clone(),
        changes_sent: row.changes_sent,
        changes_received: row.changes_received,
    }
}

pub(crate) fn info(row: &AccountRow) -> AccountInfo {
    AccountInfo {
        id: row.id,
        username: row.username.clone(),
        is_admin: row.is_admin,
        disabled: row.disabled,
        created_at: row.created_at,
        lang: row.lang.clone(),
    }
}

/// A random 256-bit token, URL-safe base64 (sessions, pending sign-ins).
pub(crate) fn new_token() -> StoreResult<String> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crypto::random_bytes::<32>()?))
}

/// Timestamps are stored with millisecond precision; keep them that way in memory too.
pub(crate) fn now_ms() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

impl Store {
    /// Builds the store; fails if the keys cannot be loaded.
    pub async fn new(backend: Arc<dyn Backend>, key_source: KeySource) -> StoreResult<Self> {
        let keyring = key_source.load()?;
        let dummy_hash = hash_password(base64::engine::general_purpose::STANDARD.encode(crypto::random_bytes::<16>()?)).await?;
        Ok(Store {
            backend,
            key_source,
            keyring: RwLock::new(keyring),
            data_keys: Mutex::new(HashMap::new()),
            access_epoch: std::sync::atomic::AtomicU64::new(0),
            dummy_hash,
            max_contact_bytes: DEFAULT_MAX_CONTACT_BYTES,
        })
    }

    /// Sets the largest contact any channel may store.
    pub fn with_max_contact_bytes(mut self, bytes: usize) -> Self {
        self.max_contact_bytes = bytes;
        self
    }

    /// The largest contact any channel may store, in bytes.
    pub fn max_contact_bytes(&self) -> usize {
        self.max_contact_bytes
    }

    /// Refuses a contact larger than [`Store::max_contact_bytes`]: every write checks it; the
    /// import calls it to report the line instead of failing a batch.
    pub fn check_contact_size(&self, data: &ContactData) -> StoreResult<()> {
        let plain = serde_json::to_vec(data).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.check_size(plain.len())
    }

    fn check_size(&self, bytes: usize) -> StoreResult<()> {
        if bytes <= self.max_contact_bytes {
            return Ok(());
        }
        Err(StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new(
            "contact",
            format!(
                "This contact is too large ({} KB; at most {} KB, photos and attached data included).",
                bytes.div_ceil(1024),
                self.max_contact_bytes / 1024
            ),
        )])))
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    fn keyring(&self) -> Keyring {
        match self.keyring.read() {
            Ok(k) => k.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Key ids referenced by accounts that no loaded master key can open (should be empty).
    pub async fn missing_key_ids(&self) -> StoreResult<Vec<(String, i64)>> {
        let ring = self.keyring();
        Ok(self
            .backend
            .key_ids_in_use()
            .await?
            .into_iter()
            .filter(|(id, _)| ring.get(&KeyId::new(id)).is_none())
            .collect())
    }

    pub(crate) async fn data_key(&self, account: &AccountRow) -> StoreResult<DataKey> {
        if let Some(k) = self.data_keys.lock().map_err(|_| StoreError::Backend("key cache poisoned".into()))?.get(&account.id) {
            return Ok(k.clone());
        }
        let wrapped = WrappedKey { key_id: KeyId::new(&account.key_id), blob: account.wrapped_key.clone() };
        let id_bytes = *account.id.as_bytes();
        let key = match self.keyring().unwrap(&id_bytes, &wrapped) {
            Ok(k) => k,
            Err(crypto::CryptoError::UnknownKeyId(_)) => {
                // A rotation may have happened in another process: reload the keys once.
                let fresh = self.key_source.load()?;
                let k = fresh.unwrap(&id_bytes, &wrapped)?;
                if let Ok(mut ring) = self.keyring.write() {
                    *ring = fresh;
                }
                k
            }
            Err(e) => return Err(e.into()),
        };
        if let Ok(mut cache) = self.data_keys.lock() {
            cache.insert(account.id, key.clone());
        }
        Ok(key)
    }

    /// The account's data key, from the cache without reading the account when it is there.
    pub(crate) async fn key_of(&self, account: AccountId) -> StoreResult<DataKey> {
        if let Some(k) = self.data_keys.lock().map_err(|_| StoreError::Backend("key cache poisoned".into()))?.get(&account) {
            return Ok(k.clone());
        }
        let acc = self.account_row(account).await?;
        self.data_key(&acc).await
    }

    /// See [`Store::access_epoch`].
    fn withdraw_access(&self) {
        self.access_epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Moves whenever this process revokes a device, disables an account or changes a password:
    /// a cache of verified credentials must be emptied when it differs from what it saw.
    pub fn access_epoch(&self) -> u64 {
        self.access_epoch.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) async fn account_row(&self, id: AccountId) -> StoreResult<AccountRow> {
        self.backend.account(id).await?.ok_or(StoreError::NotFound)
    }

    // ---------------------------------------------------------------------------------------
    // Accounts
    // ---------------------------------------------------------------------------------------

    pub async fn count_accounts(&self) -> StoreResult<i64> {
        self.backend.count_accounts().await
    }

    pub async fn create_account(&self, username: &Username, password: &str, is_admin: bool) -> StoreResult<AccountInfo> {
        domain::check_new_password(password)
            .map_err(|m| StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("password", m)])))?;
        let id = AccountId::from_uuid(Uuid::now_v7());
        let dk = DataKey::generate()?;
        let wrapped = self.keyring().wrap(id.as_bytes(), &dk)?;
        let account = NewAccount {
            id,
            username: username.clone(),
            password_hash: hash_password(password.to_string()).await?,
            is_admin,
            key_id: wrapped.key_id.to_string(),
            wrapped_key: wrapped.blob,
            created_at: now_ms(),
        };
        self.backend.create_account(&account).await?;
        Ok(AccountInfo { id, username: username.clone(), is_admin, disabled: false, created_at: account.created_at, lang: None })
    }

    pub async fn account(&self, id: AccountId) -> StoreResult<AccountInfo> {
        Ok(info(&self.account_row(id).await?))
    }

    pub async fn account_by_username(&self, username: &Username) -> StoreResult<AccountInfo> {
        self.backend.account_by_username(username).await?.map(|r| info(&r)).ok_or(StoreError::NotFound)
    }

    pub async fn list_accounts(&self) -> StoreResult<Vec<AccountInfo>> {
        Ok(self.backend.list_accounts().await?.iter().map(info).collect())
    }

    /// Disables (or enables) an account; disabling also ends its sessions.
    pub async fn set_disabled(&self, id: AccountId, disabled: bool) -> StoreResult<()> {
        if !self.backend.set_disabled(id, disabled).await? {
            return Err(StoreError::NotFound);
        }
        self.withdraw_access();
        if disabled {
            self.backend.delete_account_sessions(id).await?;
        }
        Ok(())
    }

    /// Makes an account an administrator or not.
    pub async fn set_admin(&self, id: AccountId, is_admin: bool) -> StoreResult<()> {
        if self.backend.set_admin(id, is_admin).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Every account with its number of contacts and last change (for administrators).
    pub async fn account_overview(&self) -> StoreResult<Vec<domain::AccountOverview>> {
        let stats: HashMap<AccountId, (i64, Option<DateTime<Utc>>)> =
            self.backend.account_stats().await?.into_iter().map(|(id, n, last)| (id, (n, last))).collect();
        let mut out = Vec::new();
        for a in self.list_accounts().await? {
            let (contacts, last_activity) = stats.get(&a.id).copied().unwrap_or((0, None));
            let second_factor = self.backend.second_factor(a.id).await?.is_some_and(|f| f.confirmed);
            out.push(domain::AccountOverview { account: a, contacts, last_activity, second_factor });
        }
        Ok(out)
    }

    /// The account's live sessions; `current_token` marks the asking one.
    pub async fn sessions(&self, account: AccountId, current_token: Option<&str>) -> StoreResult<Vec<domain::SessionInfo>> {
        let current = current_token.map(|t| crypto::sha256_hex(t.as_bytes()));
        let now = Utc::now();
        Ok(self
            .backend
            .account_sessions(account)
            .await?
            .into_iter()
            .filter(|s| s.expires_at > now)
            .map(|s| domain::SessionInfo {
                current: current.as_deref() == Some(s.token_hash.as_str()),
                // The id is a hash of the stored hash: it names the session without revealing
                // anything that opens it.
                id: crypto::sha256_hex(s.token_hash.as_bytes())[..24].to_string(),
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect())
    }

    /// Ends one of the account's sessions by the id `sessions` gave.
    pub async fn end_session(&self, account: AccountId, id: &str) -> StoreResult<()> {
        for s in self.backend.account_sessions(account).await? {
            if crypto::sha256_hex(s.token_hash.as_bytes())[..24] == *id {
                return self.backend.delete_session(&s.token_hash).await;
            }
        }
        Err(StoreError::NotFound)
    }

    /// Sets a new password and ends the account's sessions.
    pub async fn set_password(&self, id: AccountId, password: &str) -> StoreResult<()> {
        domain::check_new_password(password)
            .map_err(|m| StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("password", m)])))?;
        let hash = hash_password(password.to_string()).await?;
        if !self.backend.set_password_hash(id, &hash).await? {
            return Err(StoreError::NotFound);
        }
        self.withdraw_access();
        self.backend.delete_account_sessions(id).await?;
        Ok(())
    }

    /// Checks a username and password. `Ok(None)` for a wrong password, an unknown user or a
    /// disabled account (callers must not tell these apart to the user).
    pub async fn verify_login(&self, username: &Username, password: &str) -> StoreResult<Option<AccountInfo>> {
        let row = self.backend.account_by_username(username).await?;
        let (hash, row) = match row {
            Some(r) => (r.password_hash.clone(), Some(r)),
            None => (self.dummy_hash.clone(), None),
        };
        let ok = verify_password(password.to_string(), hash).await;
        Ok(match row {
            Some(r) if ok && !r.disabled => Some(info(&r)),
            _ => None,
        })
    }

    // ---------------------------------------------------------------------------------------
    // Sessions
    // ---------------------------------------------------------------------------------------

    pub async fn create_session(&self, account: AccountId, ttl: Duration) -> StoreResult<NewSession> {
        let token = new_token()?;
        let now = now_ms();
        let row = SessionRow {
            token_hash: crypto::sha256_hex(token.as_bytes()),
            account_id: account,
            created_at: now,
            expires_at: now + ttl,
        };
        self.backend.create_session(&row).await?;
        Ok(NewSession { token, expires_at: row.expires_at })
    }

    /// The account a session token belongs to, if the session is live and the account enabled.
    pub async fn session_account(&self, token: &str) -> StoreResult<Option<AccountInfo>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let hash = crypto::sha256_hex(token.as_bytes());
        match self.backend.session(&hash).await? {
            Some((s, a)) if s.expires_at > Utc::now() && !a.disabled => Ok(Some(info(&a))),
            Some(_) => {
                self.backend.delete_session(&hash).await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    pub async fn delete_session(&self, token: &str) -> StoreResult<()> {
        self.backend.delete_session(&crypto::sha256_hex(token.as_bytes())).await
    }

    /// Deletes expired sessions, and expired sign-ins waiting for their second factor.
    pub async fn purge_expired_sessions(&self) -> StoreResult<u64> {
        let n = self.backend.purge_expired_sessions(Utc::now()).await?;
        Ok(n + self.backend.purge_pending_signins(Utc::now()).await?)
    }

    // ---------------------------------------------------------------------------------------
    // Contacts (always scoped to one account)
    // ---------------------------------------------------------------------------------------

    fn open_data(&self, account: AccountId, key: &DataKey, id: ContactId, revision: i64, sealed: &[u8]) -> StoreResult<ContactData> {
        let plain = key.open_contact(account.as_bytes(), id.as_bytes(), revision, sealed)?;
        serde_json::from_slice(&plain).map_err(|e| StoreError::Backend(format!("contact {id} does not decode: {e}")))
    }

    fn open(&self, account: AccountId, key: &DataKey, row: &ContactRow) -> StoreResult<Contact> {
        let sealed = row.sealed.as_ref().ok_or(StoreError::NotFound)?;
        let data = self.open_data(account, key, row.id, row.revision, sealed)?;
        Ok(Contact { id: row.id, revision: row.revision, created_at: row.created_at, updated_at: row.updated_at, data })
    }

    fn state_of(&self, account: AccountId, key: &DataKey, row: &ContactRow) -> StoreResult<ContactState> {
        if row.kind != EntityKind::Contact {
            return Err(StoreError::WrongKind);
        }
        let data = match (&row.sealed, row.deleted) {
            (Some(sealed), false) => Some(self.open_data(account, key, row.id, row.revision, sealed)?),
            _ => None,
        };
        Ok(ContactState { id: row.id, revision: row.revision, seq: row.seq, data, created_at: row.created_at, updated_at: row.updated_at })
    }

    fn seal(&self, account: &AccountRow, key: &DataKey, id: ContactId, revision: i64, data: &ContactData) -> StoreResult<Vec<u8>> {
        let plain = serde_json::to_vec(data).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.check_size(plain.len())?;
        Ok(key.seal_contact(account.id.as_bytes(), id.as_bytes(), revision, &plain)?)
    }

    /// How many live contacts the account has.
    pub async fn count_contacts(&self, account: AccountId) -> StoreResult<i64> {
        self.backend.count_contacts(account).await
    }

    /// All live contacts of the account, sorted by display name.
    pub async fn list_contacts(&self, account: AccountId) -> StoreResult<Vec<Contact>> {
        let acc = self.account_row(account).await?;
        let key = self.data_key(&acc).await?;
        let rows = self.backend.live_contacts(account).await?;
        let mut out = rows.iter().map(|r| self.open(acc.id, &key, r)).collect::<StoreResult<Vec<_>>>()?;
        out.sort_by(|a, b| {
            a.data.display_name.to_lowercase().cmp(&b.data.display_name.to_lowercase()).then(a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// All live contacts of the account, in no particular order (cheaper than `list_contacts`).
    pub async fn all_contacts(&self, account: AccountId) -> StoreResult<Vec<Contact>> {
        let acc = self.account_row(account).await?;
        let key = self.data_key(&acc).await?;
        let rows = self.backend.live_contacts(account).await?;
        rows.iter().map(|r| self.open(acc.id, &key, r)).collect()
    }

    /// One live contact of the account; `NotFound` for another account's id or a deleted one.
    pub async fn get_contact(&self, account: AccountId, id: ContactId) -> StoreResult<Contact> {
        let acc = self.account_row(account).await?;
        let row = self.backend.contact(account, id).await?.ok_or(StoreError::NotFound)?;
        if row.deleted || row.kind != EntityKind::Contact {
            return Err(StoreError::NotFound);
        }
        let key = self.data_key(&acc).await?;
        self.open(acc.id, &key, &row)
    }

    /// Creates a contact with the given id (a device's UUID) or a fresh UUID v7.
    pub async fn create_contact(
        &self,
        account: AccountId,
        id: Option<ContactId>,
        data: &ContactData,
        origin: Origin,
    ) -> StoreResult<Contact> {
        let acc = self.account_row(account).await?;
        self.check_groups(account, data).await?;
        let key = self.data_key(&acc).await?;
        let id = id.unwrap_or_else(|| ContactId::from_uuid(Uuid::now_v7()));
        let now = now_ms();
        let row = ContactRow {
            kind: EntityKind::Contact,
            account_id: account,
            id,
            revision: 1,
            seq: 0,
            deleted: false,
            sealed: Some(self.seal(&acc, &key, id, 1, data)?),
            created_at: now,
            updated_at: now,
        };
        self.backend.insert_contact(&row, None, &origin.to_db()).await?;
        Ok(Contact { id, revision: 1, created_at: now, updated_at: now, data: data.clone() })
    }

    /// Creates many contacts in one transaction (all or none): ids given or fresh UUID v7s.
    pub async fn create_contacts(
        &self,
        account: AccountId,
        items: &[(Option<ContactId>, ContactData)],
        origin: Origin,
    ) -> StoreResult<Vec<Contact>> {
        let acc = self.account_row(account).await?;
        if items.iter().any(|(_, d)| !d.groups.is_empty()) {
            let live = self.live_group_ids(account).await?;
            if let Some(g) = items.iter().flat_map(|(_, d)| d.groups.iter()).find(|g| !live.contains(g)) {
                return Err(unknown_group(*g));
            }
        }
        let key = self.data_key(&acc).await?;
        let now = now_ms();
        let mut rows = Vec::with_capacity(items.len());
        let mut out = Vec::with_capacity(items.len());
        for (id, data) in items {
            let id = id.unwrap_or_else(|| ContactId::from_uuid(Uuid::now_v7()));
            rows.push(ContactRow {
                kind: EntityKind::Contact,
                account_id: account,
                id,
                revision: 1,
                seq: 0,
                deleted: false,
                sealed: Some(self.seal(&acc, &key, id, 1, data)?),
                created_at: now,
                updated_at: now,
            });
            out.push(Contact { id, revision: 1, created_at: now, updated_at: now, data: data.clone() });
        }
        self.backend.insert_contacts(account, &rows, &origin.to_db()).await?;
        Ok(out)
    }

    /// Replaces a contact's content if `base_revision` is still current (`Stale` otherwise).
    pub async fn update_contact(
        &self,
        account: AccountId,
        id: ContactId,
        base_revision: i64,
        data: &ContactData,
        origin: Origin,
    ) -> StoreResult<Contact> {
        let acc = self.account_row(account).await?;
        let current = self.backend.contact(account, id).await?.ok_or(StoreError::NotFound)?;
        if current.deleted || current.kind != EntityKind::Contact {
            return Err(StoreError::NotFound);
        }
        self.check_groups(account, data).await?;
        if current.revision != base_revision {
            return Err(StoreError::Stale { current: current.revision });
        }
        let key = self.data_key(&acc).await?;
        let revision = base_revision + 1;
        let now = now_ms();
        let row = ContactRow {
            kind: EntityKind::Contact,
            account_id: account,
            id,
            revision,
            seq: 0,
            deleted: false,
            sealed: Some(self.seal(&acc, &key, id, revision, data)?),
            created_at: current.created_at,
            updated_at: now,
        };
        self.backend.update_contact(&row, base_revision, None, &origin.to_db()).await?;
        Ok(Contact { id, revision, created_at: current.created_at, updated_at: now, data: data.clone() })
    }

    /// Deletes a contact (leaves a tombstone for sync) if `base_revision` is still current.
    pub async fn delete_contact(&self, account: AccountId, id: ContactId, base_revision: i64, origin: Origin) -> StoreResult<()> {
        match self.backend.contact(account, id).await? {
            Some(row) if row.kind == EntityKind::Contact => {}
            _ => return Err(StoreError::NotFound),
        }
        self.backend.delete_contact(account, id, base_revision, base_revision + 1, now_ms(), &origin.to_db()).await.map(|_| ())
    }

    /// Deletes many contacts (each leaves a tombstone and goes to the trash); ids that are not
    /// live contacts of the account are skipped, and a contact changed meanwhile is deleted at
    /// its new revision. Returns the ids deleted.
    pub async fn delete_contacts(&self, account: AccountId, ids: &[ContactId], origin: Origin) -> StoreResult<Vec<ContactId>> {
        let origin = origin.to_db();
        let mut deleted = Vec::new();
        for chunk in ids.chunks(500) {
            for row in self.backend.contacts_by_ids(account, chunk).await? {
                if row.deleted || row.kind != EntityKind::Contact {
                    continue;
                }
                let mut base = row.revision;
                for _ in 0..3 {
                    match self.backend.delete_contact(account, row.id, base, base + 1, now_ms(), &origin).await {
                        Ok(_) => {
                            deleted.push(row.id);
                            break;
                        }
                        Err(StoreError::Stale { current }) => base = current,
                        Err(StoreError::NotFound) => break,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(deleted)
    }

    // ---------------------------------------------------------------------------------------
    // Trash: deleted contacts whose last content is still in the history
    // ---------------------------------------------------------------------------------------

    /// The account's trash, newest deletion first; `retention` says when each is purged.
    pub async fn trash(&self, account: AccountId, retention: Duration) -> StoreResult<Vec<domain::TrashedContact>> {
        let acc = self.account_row(account).await?;
        let key = self.data_key(&acc).await?;
        self.backend
            .trash(account)
            .await?
            .into_iter()
            .filter_map(|t| {
                let sealed = t.live.sealed.as_ref()?;
                Some(self.open_data(acc.id, &key, t.id, t.live.revision, sealed).map(|data| domain::TrashedContact {
                    id: t.id,
                    display_name: data.display_name.clone(),
                    phone: data.phones.first().map(|p| p.value.as_str().to_string()),
                    email: data.emails.first().map(|e| e.value.as_str().to_string()),
                    deleted_at: t.deleted_at,
                    deleted_by: t.deleted_by.clone(),
                    purge_at: t.deleted_at + retention,
                }))
            })
            .collect()
    }

    /// Brings contacts back from the trash as a new revision of their last content (groups
    /// deleted since are left out). Ids not in the trash are skipped; returns how many came back.
    pub async fn restore_from_trash(&self, account: AccountId, ids: &[ContactId], origin: Origin) -> StoreResult<usize> {
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
            match self.put_contact(account, t.id, Some(t.revision), &data, origin.clone()).await {
                Ok(_) => restored += 1,
                // Edited or restored meanwhile (e.g. by a device): it is no longer in the trash.
                Err(StoreError::Stale { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(restored)
    }

    /// Takes out of `data` the groups the account no longer has (restoring old content).
    pub async fn drop_deleted_groups(&self, account: AccountId, data: &mut ContactData) -> StoreResult<()> {
        if data.groups.is_empty() {
            return Ok(());
        }
        let live: HashSet<GroupId> = self.list_groups(account).await?.into_iter().map(|g| g.id).collect();
        data.groups.retain(|g| live.contains(g));
        Ok(())
    }

    /// Erases the content of everything in the account's trash (tombstones stay for sync).
    pub async fn empty_trash(&self, account: AccountId) -> StoreResult<u64> {
        self.backend.purge_trash(Some(account), now_ms() + Duration::milliseconds(1)).await
    }

    /// Erases the content of contacts deleted more than `retention` ago, in every account.
    pub async fn purge_trash(&self, retention: Duration) -> StoreResult<u64> {
        self.backend.purge_trash(None, now_ms() - retention).await
    }

    /// Remembers the account's console language (`None` forgets it).
    pub async fn set_lang(&self, id: AccountId, lang: Option<&str>) -> StoreResult<()> {
        if self.backend.set_lang(id, lang).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    // ---------------------------------------------------------------------------------------
    // What sync needs: states (tombstones included), revisions, conditional writes
    // ---------------------------------------------------------------------------------------

    /// The contact as it stands, deleted or not; `None` if the account never had it.
    pub async fn contact_state(&self, account: AccountId, id: ContactId) -> StoreResult<Option<ContactState>> {
        let acc = self.account_row(account).await?;
        let Some(row) = self.backend.contact(account, id).await? else { return Ok(None) };
        let key = self.data_key(&acc).await?;
        self.state_of(acc.id, &key, &row).map(Some)
    }

    /// The content of one past revision: `Some(None)` if that revision was a deletion,
    /// `None` if it is not stored.
    pub async fn revision_data(&self, account: AccountId, id: ContactId, revision: i64) -> StoreResult<Option<Option<ContactData>>> {
        let acc = self.account_row(account).await?;
        let Some(rev) = self.backend.revision(account, id, revision).await? else { return Ok(None) };
        let key = self.data_key(&acc).await?;
        match rev.sealed {
            Some(sealed) => Ok(Some(Some(self.open_data(acc.id, &key, id, revision, &sealed)?))),
            None => Ok(Some(None)),
        }
    }

    /// A contact's history, newest first.
    pub async fn history(&self, account: AccountId, id: ContactId) -> StoreResult<Vec<HistoryEntry>> {
        let acc = self.account_row(account).await?;
        match self.backend.contact(account, id).await? {
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
                Ok(HistoryEntry { revision: r.revision, origin: Origin::from_db(&r.origin), changed_at: r.changed_at, data })
            })
            .collect()
    }

    /// Writes `data` as the next revision after `base` (`None`: a new contact). Replaces a
    /// tombstone too (an edit that wins over a deletion). `Stale` if `base` is not current,
    /// `Conflict` if a new contact's id exists. Returns the new revision.
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

    /// Like [`Store::put_contact`], storing the card's new CardDAV name (if any) in the same
    /// transaction: a card and its name never part, and the change sequence covers both.
    pub async fn put_contact_named(
        &self,
        account: AccountId,
        id: ContactId,
        base: Option<i64>,
        data: &ContactData,
        name: Option<&crate::DavName>,
        origin: Origin,
    ) -> StoreResult<i64> {
        let acc = self.account_row(account).await?;
        self.check_groups(account, data).await?;
        let key = self.data_key(&acc).await?;
        let revision = base.unwrap_or(0) + 1;
        let now = now_ms();
        let sealed = self.seal(&acc, &key, id, revision, data)?;
        let name = name.map(|n| self.dav_name_row(account, &key, *id.as_uuid(), n)).transpose()?;
        self.write_record(EntityKind::Contact, account, id, base, revision, sealed, now, name.as_ref(), origin).await
    }

    /// Writes a sealed record as the revision after `base` (`None`: a new record), keeping the
    /// creation time and refusing to overwrite a record of another kind.
    #[allow(clippy::too_many_arguments)]
    async fn write_record(
        &self,
        kind: EntityKind,
        account: AccountId,
        id: ContactId,
        base: Option<i64>,
        revision: i64,
        sealed: Vec<u8>,
        now: DateTime<Utc>,
        name: Option<&crate::DavNameRow>,
        origin: Origin,
    ) -> StoreResult<i64> {
        let mut row = ContactRow {
            kind,
            account_id: account,
            id,
            revision,
            seq: 0,
            deleted: false,
            sealed: Some(sealed),
            created_at: now,
            updated_at: now,
        };
        match base {
            None => {
                self.backend.insert_contact(&row, name, &origin.to_db()).await?;
            }
            Some(base) => {
                if let Some(current) = self.backend.contact(account, id).await? {
                    if current.kind != kind {
                        return Err(StoreError::WrongKind);
                    }
                    row.created_at = current.created_at;
                }
                self.backend.update_contact(&row, base, name, &origin.to_db()).await?;
            }
        }
        Ok(revision)
    }

    pub(crate) fn item_of(&self, account: AccountId, key: &DataKey, row: &ContactRow) -> StoreResult<FeedItem> {
        match row.kind {
            EntityKind::Contact => self.state_of(account, key, row).map(FeedItem::Contact),
            EntityKind::Group => self.group_state_of(account, key, row).map(FeedItem::Group),
        }
    }

    /// Contacts and groups changed after sequence number `after` (tombstones included), each
    /// once, in change order: the download sync feed.
    pub async fn feed_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<FeedItem>> {
        let acc = self.account_row(account).await?;
        let key = self.data_key(&acc).await?;
        self.backend.contacts_since(account, after, limit).await?.iter().map(|r| self.item_of(acc.id, &key, r)).collect()
    }

    /// The states of those of `ids` the account has (contacts or groups, deleted or not).
    pub async fn entry_states(&self, account: AccountId, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, FeedItem>> {
        let key = self.key_of(account).await?;
        let ids: Vec<ContactId> = ids.iter().map(|u| ContactId::from_uuid(*u)).collect();
        let rows = self.backend.contacts_by_ids(account, &ids).await?;
        crate::par_map(&rows, |r| self.item_of(account, &key, r).map(|i| (*r.id.as_uuid(), i))).into_iter().collect()
    }

    // ---------------------------------------------------------------------------------------
    // Groups: sealed and revisioned like contacts; membership lives on the contacts
    // ---------------------------------------------------------------------------------------

    fn group_state_of(&self, account: AccountId, key: &DataKey, row: &ContactRow) -> StoreResult<GroupState> {
        if row.kind != EntityKind::Group {
            return Err(StoreError::WrongKind);
        }
        let data = match (&row.sealed, row.deleted) {
            (Some(sealed), false) => {
                let plain = key.open_record(RecordKind::Group, account.as_bytes(), row.id.as_bytes(), row.revision, sealed)?;
                Some(serde_json::from_slice(&plain).map_err(|e| StoreError::Backend(format!("group {} does not decode: {e}", row.id)))?)
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

    async fn live_group_ids(&self, account: AccountId) -> StoreResult<HashSet<GroupId>> {
        Ok(self.backend.live_groups(account).await?.iter().map(|r| GroupId::from_uuid(*r.id.as_uuid())).collect())
    }

    /// Refuses contact data naming a group the account does not have.
    async fn check_groups(&self, account: AccountId, data: &ContactData) -> StoreResult<()> {
        if data.groups.is_empty() {
            return Ok(());
        }
        let live = self.live_group_ids(account).await?;
        match data.groups.iter().find(|g| !live.contains(g)) {
            Some(g) => Err(unknown_group(*g)),
            None => Ok(()),
        }
    }

    /// The account's groups, by name.
    pub async fn list_groups(&self, account: AccountId) -> StoreResult<Vec<Group>> {
        let acc = self.account_row(account).await?;
        let key = self.data_key(&acc).await?;
        let mut groups = Vec::new();
        for row in self.backend.live_groups(account).await? {
            let st = self.group_state_of(acc.id, &key, &row)?;
            if let Some(d) = st.data {
                groups.push(Group { id: st.id, revision: st.revision, name: d.name().to_string(), created_at: st.created_at, updated_at: st.updated_at });
            }
        }
        groups.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(groups)
    }

    /// A group as it stands (deleted or not); `None` if the account never had it.
    pub async fn group_state(&self, account: AccountId, id: GroupId) -> StoreResult<Option<GroupState>> {
        let acc = self.account_row(account).await?;
        let Some(row) = self.backend.contact(account, ContactId::from_uuid(*id.as_uuid())).await? else { return Ok(None) };
        let key = self.data_key(&acc).await?;
        self.group_state_of(acc.id, &key, &row).map(Some)
    }

    /// Writes a group's next revision after `base` (`None`: a new group). Like `put_contact`.
    pub async fn put_group(&self, account: AccountId, id: GroupId, base: Option<i64>, data: &GroupData, origin: Origin) -> StoreResult<i64> {
        self.put_group_named(account, id, base, data, None, origin).await
    }

    /// Like [`Store::put_group`], with the CardDAV name as in [`Store::put_contact_named`].
    pub async fn put_group_named(
        &self,
        account: AccountId,
        id: GroupId,
        base: Option<i64>,
        data: &GroupData,
        name: Option<&crate::DavName>,
        origin: Origin,
    ) -> StoreResult<i64> {
        let acc = self.account_row(account).await?;
        let key = self.data_key(&acc).await?;
        let cid = ContactId::from_uuid(*id.as_uuid());
        let revision = base.unwrap_or(0) + 1;
        let plain = serde_json::to_vec(data).map_err(|e| StoreError::Backend(e.to_string()))?;
        let now = now_ms();
        let sealed = key.seal_record(RecordKind::Group, account.as_bytes(), id.as_bytes(), revision, &plain)?;
        let name = name.map(|n| self.dav_name_row(account, &key, *id.as_uuid(), n)).transpose()?;
        self.write_record(EntityKind::Group, account, cid, base, revision, sealed, now, name.as_ref(), origin).await
    }

    /// Creates a group.
    pub async fn create_group(&self, account: AccountId, name: &str, origin: Origin) -> StoreResult<Group> {
        let data = GroupData::parse(name).map_err(|m| StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("name", m)])))?;
        let id = GroupId::from_uuid(Uuid::now_v7());
        self.put_group(account, id, None, &data, origin).await?;
        self.group(account, id).await
    }

    /// One live group.
    pub async fn group(&self, account: AccountId, id: GroupId) -> StoreResult<Group> {
        match self.group_state(account, id).await {
            Ok(Some(GroupState { data: Some(d), revision, created_at, updated_at, .. })) => {
                Ok(Group { id, revision, name: d.name().to_string(), created_at, updated_at })
            }
            Ok(_) | Err(StoreError::WrongKind) => Err(StoreError::NotFound),
            Err(e) => Err(e),
        }
    }

    /// Renames a group if `base_revision` is still current.
    pub async fn rename_group(&self, account: AccountId, id: GroupId, base_revision: i64, name: &str, origin: Origin) -> StoreResult<Group> {
        let data = GroupData::parse(name).map_err(|m| StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("name", m)])))?;
        let current = self.group(account, id).await?;
        if current.revision != base_revision {
            return Err(StoreError::Stale { current: current.revision });
        }
        self.put_group(account, id, Some(base_revision), &data, origin).await?;
        self.group(account, id).await
    }

    /// Deletes a group (never its contacts): the contacts leave it, then the group becomes a
    /// tombstone. Returns how many contacts left it.
    pub async fn delete_group(&self, account: AccountId, id: GroupId, base_revision: i64, origin: Origin) -> StoreResult<usize> {
        let current = self.group(account, id).await?;
        if current.revision != base_revision {
            return Err(StoreError::Stale { current: current.revision });
        }
        let members: Vec<ContactId> =
            self.list_contacts(account).await?.into_iter().filter(|c| c.data.groups.contains(&id)).map(|c| c.id).collect();
        let left = self.set_membership(account, id, &members, false, origin).await?;
        let cid = ContactId::from_uuid(*id.as_uuid());
        self.backend.delete_contact(account, cid, base_revision, base_revision + 1, now_ms(), &origin.to_db()).await?;
        Ok(left)
    }

    /// Adds contacts to a group (`member: true`) or removes them; each change is a new revision
    /// of the contact. Returns how many contacts changed.
    pub async fn set_membership(&self, account: AccountId, group: GroupId, contacts: &[ContactId], member: bool, origin: Origin) -> StoreResult<usize> {
        if member {
            self.group(account, group).await?;
        }
        let mut changed = 0;
        for id in contacts {
            for attempt in 0..3 {
                let c = self.get_contact(account, *id).await?;
                let mut data = c.data.clone();
                if member && !data.groups.contains(&group) {
                    data.groups.push(group);
                } else if !member && data.groups.contains(&group) {
                    data.groups.retain(|g| *g != group);
                } else {
                    break;
                }
                match self.put_contact(account, *id, Some(c.revision), &data, origin).await {
                    Ok(_) => {
                        changed += 1;
                        break;
                    }
                    Err(StoreError::Stale { .. }) if attempt < 2 => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(changed)
    }

    /// The sequence number below which tombstones may have been purged.
    pub async fn purged_seq(&self, account: AccountId) -> StoreResult<i64> {
        self.backend.purged_seq(account).await
    }

    // ---------------------------------------------------------------------------------------
    // Devices
    // ---------------------------------------------------------------------------------------

    /// Registers a device; returns it with its token (shown once, stored only hashed).
    pub async fn create_device(&self, account: AccountId, name: &str, kind: DeviceKind) -> StoreResult<(DeviceInfo, String)> {
        let name = domain::parse_device_name(name)
            .map_err(|m| StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("name", m)])))?;
        self.account_row(account).await?;
        let token = format!("{}{}", domain::DEVICE_TOKEN_PREFIX, new_token()?);
        let row = DeviceRow {
            id: DeviceId::from_uuid(Uuid::now_v7()),
            account_id: account,
            name,
            kind: kind.as_str().to_string(),
            token_hash: crypto::sha256_hex(token.as_bytes()),
            created_at: now_ms(),
            revoked_at: None,
            last_sync_at: None,
            last_cursor: None,
            last_addr: None,
            changes_sent: 0,
            changes_received: 0,
        };
        self.backend.create_device(&row).await?;
        Ok((device_info(&row), token))
    }

    pub async fn devices(&self, account: AccountId) -> StoreResult<Vec<DeviceInfo>> {
        Ok(self.backend.devices(account).await?.iter().map(device_info).collect())
    }

    pub async fn device(&self, account: AccountId, id: DeviceId) -> StoreResult<DeviceInfo> {
        self.backend.device(account, id).await?.map(|d| device_info(&d)).ok_or(StoreError::NotFound)
    }

    /// The live device and enabled account a token belongs to (`None` for an unknown or
    /// revoked token, or a disabled account).
    pub async fn device_by_token(&self, token: &str) -> StoreResult<Option<(DeviceInfo, AccountInfo)>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        match self.backend.device_by_token(&crypto::sha256_hex(token.as_bytes())).await? {
            Some((d, a)) if d.revoked_at.is_none() && !a.disabled => Ok(Some((device_info(&d), info(&a)))),
            _ => Ok(None),
        }
    }

    pub async fn rename_device(&self, account: AccountId, id: DeviceId, name: &str) -> StoreResult<()> {
        let name = domain::parse_device_name(name)
            .map_err(|m| StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("name", m)])))?;
        if self.backend.rename_device(account, id, &name).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Revokes a device: its token stops working at once.
    pub async fn revoke_device(&self, account: AccountId, id: DeviceId) -> StoreResult<()> {
        if self.backend.revoke_device(account, id, now_ms()).await? {
            self.withdraw_access();
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    pub async fn record_sync(&self, id: DeviceId, cursor: Option<i64>, addr: Option<String>, sent: i64, received: i64) -> StoreResult<()> {
        self.backend.record_sync(id, &SyncRecord { at: now_ms(), cursor, addr, sent, received }).await
    }

    /// The account's change log after `after`, oldest first.
    pub async fn changes_since(&self, account: AccountId, after: i64, limit: i64) -> StoreResult<Vec<Change>> {
        let rows: Vec<ChangeRow> = self.backend.changes_since(account, after, limit).await?;
        Ok(rows
            .into_iter()
            .map(|c| Change { seq: c.seq, id: c.entity_id, revision: c.revision, deleted: c.deleted })
            .collect())
    }

    pub async fn current_seq(&self, account: AccountId) -> StoreResult<i64> {
        self.backend.current_seq(account).await
    }

    // ---------------------------------------------------------------------------------------
    // Key rotation
    // ---------------------------------------------------------------------------------------

    /// Re-wraps every account data key under `new_ring`'s active key. Old key ids must still be
    /// in `new_ring` (retired) so data opens throughout; the store switches to `new_ring`.
    pub async fn rotate_to(&self, new_ring: Keyring) -> StoreResult<RotateReport> {
        let new_id = new_ring.active().id().clone();
        let mut rewrapped = 0;
        for (old_id, _) in self.backend.key_ids_in_use().await? {
            if old_id == new_id.as_str() {
                continue;
            }
            for acc in self.backend.accounts_with_key(&old_id).await? {
                let wrapped = WrappedKey { key_id: KeyId::new(&old_id), blob: acc.wrapped_key.clone() };
                let dk = new_ring.unwrap(acc.id.as_bytes(), &wrapped)?;
                let w = new_ring.wrap(acc.id.as_bytes(), &dk)?;
                if self.backend.rewrap_account_key(acc.id, &old_id, w.key_id.as_str(), &w.blob).await? {
                    rewrapped += 1;
                }
            }
        }
        if let Ok(mut ring) = self.keyring.write() {
            *ring = new_ring;
        }
        let still_in_use = self
            .backend
            .key_ids_in_use()
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| id != new_id.as_str())
            .collect();
        Ok(RotateReport { new_key_id: new_id.to_string(), rewrapped, still_in_use })
    }
}
