//! `Store`: the one door to storage. Every channel (console, `/api/v1`, CardDAV, import, CLI)
//! goes through it; it seals and opens content with the account's data key, keeps every call
//! scoped to one account, and enforces the rules of a write in one place ([`Store::write`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine;
use chrono::{DateTime, Utc};
use crypto::{DataKey, KeyId, Keyring, WrappedKey};
use domain::{AccountId, AccountInfo, BookId, ContactData};

use crate::backend::{AccountRow, Backend};
use crate::keys::{KeySource, RotateReport};
use crate::password::hash_password;
use crate::{StoreError, StoreResult};

pub struct Store {
    pub(crate) backend: Arc<dyn Backend>,
    key_source: KeySource,
    keyring: RwLock<Keyring>,
    pub(crate) data_keys: Mutex<HashMap<BookId, DataKey>>,
    /// Counts the changes made here that withdraw credentials (a device revoked, an account
    /// disabled, a password changed): caches of verified credentials start over when it moves.
    access_epoch: std::sync::atomic::AtomicU64,
    /// The database's access epoch (moved by every instance) and when it was read.
    shared_epoch: Mutex<Option<(i64, std::time::Instant)>>,
    /// A valid argon2 hash of a random password, verified when a username does not exist so
    /// that a login for an unknown user costs as much as one for a known user.
    pub(crate) dummy_hash: String,
    /// The largest contact any channel may store (its content as stored, photos included).
    max_contact_bytes: usize,
}

/// How often the database's access epoch is read (see [`Store::access_epoch`]): credentials
/// withdrawn on one instance stop working on every other within this time.
pub const ACCESS_EPOCH_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// The largest contact stored unless configured (`ROLO_MAX_CONTACT_KB`): 1 MiB, as CardDAV's
/// largest card.
pub const DEFAULT_MAX_CONTACT_BYTES: usize = 1024 * 1024;

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

/// A random 256-bit token, URL-safe base64 (sessions, pending sign-ins, devices).
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
        let key_source = match key_source {
            KeySource::NewFileIfEmpty(path) => Self::key_file(backend.as_ref(), path).await?,
            other => other,
        };
        let keyring = key_source.load()?;
        let dummy_hash = hash_password(
            base64::engine::general_purpose::STANDARD.encode(crypto::random_bytes::<16>()?),
        )
        .await?;
        Ok(Store {
            backend,
            key_source,
            keyring: RwLock::new(keyring),
            data_keys: Mutex::new(HashMap::new()),
            access_epoch: std::sync::atomic::AtomicU64::new(0),
            shared_epoch: Mutex::new(None),
            dummy_hash,
            max_contact_bytes: DEFAULT_MAX_CONTACT_BYTES,
        })
    }

    /// A key file that may not exist yet: a new master key is generated into it — but only
    /// while the database holds no account (otherwise the data would become unreadable, which
    /// is refused naming the key ids the database needs).
    async fn key_file(backend: &dyn Backend, path: std::path::PathBuf) -> StoreResult<KeySource> {
        if path.exists() {
            return Ok(KeySource::File(path));
        }
        let accounts = backend.count_accounts().await?;
        if accounts > 0 {
            let in_use: Vec<String> =
                backend.key_ids_in_use().await?.into_iter().map(|(id, _)| id).collect();
            return Err(StoreError::KeyFileMissing {
                path: path.display().to_string(),
                accounts,
                key_ids: in_use.join(", "),
            });
        }
        let ring = Keyring::new(vec![crypto::MasterKey::generate()?])?;
        ring.write_file(&path)?;
        tracing::info!(key_id = %ring.active().id(), path = %path.display(), "generated a new master key");
        Ok(KeySource::File(path))
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

    /// Checks a contact against the rules every write applies (`ContactData::check` and the
    /// size limit), without writing: the import and the device upload call it to answer an
    /// item on its own instead of failing a batch.
    pub fn check_contact(&self, data: &ContactData) -> StoreResult<()> {
        data.check().map_err(StoreError::Invalid)?;
        let plain = crate::records::stored_form(data)?;
        self.check_size(plain.len())
    }

    pub(crate) fn check_size(&self, bytes: usize) -> StoreResult<()> {
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

    pub(crate) fn keyring(&self) -> Keyring {
        match self.keyring.read() {
            Ok(k) => k.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The id of the master key new data keys are wrapped by.
    pub fn active_key_id(&self) -> String {
        self.keyring().active().id().to_string()
    }

    /// Key ids referenced by books that no loaded master key can open (should be empty).
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

    /// Unwraps a data key with whichever loaded master key wrapped it, reloading the key file
    /// once when the key id is unknown (a rotation in another process).
    pub(crate) fn unwrap_key(&self, id: &[u8; 16], wrapped: &WrappedKey) -> StoreResult<DataKey> {
        match self.keyring().unwrap(id, wrapped) {
            Ok(k) => Ok(k),
            Err(crypto::CryptoError::UnknownKeyId(_)) => {
                let fresh = self.key_source.load()?;
                let k = fresh.unwrap(id, wrapped)?;
                if let Ok(mut ring) = self.keyring.write() {
                    *ring = fresh;
                }
                Ok(k)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// See [`Store::access_epoch`]: moves the epoch here at once, and in the database for every
    /// other instance.
    pub(crate) async fn withdraw_access(&self) -> StoreResult<()> {
        self.access_epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.backend.bump_access_epoch().await?;
        Ok(())
    }

    /// Moves whenever credentials are withdrawn — a device revoked, an account disabled, a
    /// password changed — by this process (at once) or by any instance on the same database
    /// (seen within [`ACCESS_EPOCH_CHECK`]: the database's epoch is read at most that often). A
    /// cache of verified credentials must be emptied when it differs from what it saw.
    pub async fn access_epoch(&self) -> StoreResult<u64> {
        let local = self.access_epoch.load(std::sync::atomic::Ordering::SeqCst);
        let cached = match self.shared_epoch.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        };
        let shared = match cached {
            Some((epoch, at)) if at.elapsed() < ACCESS_EPOCH_CHECK => epoch,
            _ => {
                let epoch = self.backend.access_epoch().await?;
                if let Ok(mut g) = self.shared_epoch.lock() {
                    *g = Some((epoch, std::time::Instant::now()));
                }
                epoch
            }
        };
        // Both only grow, so their sum moves whenever either does.
        Ok(local.wrapping_add(shared as u64))
    }

    pub(crate) async fn account_row(&self, id: AccountId) -> StoreResult<AccountRow> {
        self.backend.account(id).await?.ok_or(StoreError::NotFound)
    }

    /// Re-wraps every book's data key under `new_ring`'s active key. Old key ids must still be
    /// in `new_ring` (retired) so data opens throughout; the store switches to `new_ring`.
    pub async fn rotate_to(&self, new_ring: Keyring) -> StoreResult<RotateReport> {
        let new_id = new_ring.active().id().clone();
        let mut rewrapped = 0;
        for (old_id, _) in self.backend.key_ids_in_use().await? {
            if old_id == new_id.as_str() {
                continue;
            }
            for book in self.backend.books_with_key(&old_id).await? {
                let wrapped =
                    WrappedKey { key_id: KeyId::new(&old_id), blob: book.wrapped_key.clone() };
                let dk = new_ring.unwrap(book.id.as_bytes(), &wrapped)?;
                let w = new_ring.wrap(book.id.as_bytes(), &dk)?;
                if self
                    .backend
                    .rewrap_book_key(book.id, &old_id, w.key_id.as_str(), &w.blob)
                    .await?
                {
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

    /// The database backend's name ("sqlite" or "postgres").
    pub fn backend_kind(&self) -> &'static str {
        self.backend.kind()
    }

    /// Writes a consistent copy of the database, taken while it is in use, to the new file
    /// `path`; returns the master key ids its data needs (every record in it stays sealed).
    pub async fn backup(&self, path: &str) -> StoreResult<Vec<String>> {
        self.backend.backup_into(path).await?;
        Ok(self.backend.key_ids_in_use().await?.into_iter().map(|(id, _)| id).collect())
    }

    /// Whether the database answers and has every migration this build knows (`/readyz`):
    /// `Err` with the reason when not.
    pub async fn ready(&self) -> Result<(), String> {
        match self.backend.migrations().await {
            Ok((applied, known)) if applied >= known => Ok(()),
            Ok((applied, known)) => {
                Err(format!("the database is at migration {applied}, this build needs {known}"))
            }
            Err(e) => Err(format!("the database does not answer: {e}")),
        }
    }

    /// Checks that the database answers (`/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        self.backend.ping().await
    }

    /// Master key ids in use, with how many books' keys each wraps.
    pub async fn key_ids_in_use(&self) -> StoreResult<Vec<(String, i64)>> {
        self.backend.key_ids_in_use().await
    }
}
