//! Envelope encryption for Rolo.
//!
//! * A **master key** (256 bit) lives outside the database: in a key file or `ROLO_MASTER_KEY`.
//!   Its **key id** is the first 8 bytes of SHA-256("rolo key id" ‖ key), in hex. A [`Keyring`]
//!   holds the active master key and, after a rotation, retired ones that still open old data.
//! * Each account has a random 256-bit **data key**, stored only wrapped (sealed) by a master key.
//! * Each contact revision is sealed with the account's data key, a fresh 96-bit nonce, and
//!   associated data that binds account id, contact id and revision, so a sealed row copied to
//!   another contact, account or revision fails to open.
//!
//! ## Frozen formats (changing them makes existing data unreadable)
//! Sealed blob: `0x01` ‖ nonce (12 bytes) ‖ AES-256-GCM ciphertext with its 16-byte tag.
//!
//! Associated data:
//! * account data key: `"rolo/v1/account-key"` ‖ `0x00` ‖ account id (16 bytes) ‖ key id (16 ASCII hex)
//! * contact content:  `"rolo/v1/contact"` ‖ `0x00` ‖ account id (16) ‖ contact id (16) ‖ revision (i64, big-endian)
//! * group content:    `"rolo/v1/group"` ‖ `0x00` ‖ account id (16) ‖ group id (16) ‖ revision (i64, big-endian)
//! * CardDAV name:     `"rolo/v1/dav-name"` ‖ `0x00` ‖ account id (16) ‖ record id (16) ‖ 0 (i64)
//! * second factor:    `"rolo/v1/second-factor"` ‖ `0x00` ‖ account id (16) ‖ account id (16) ‖ 0 (i64)
//! * import job:       `"rolo/v1/import-job"` ‖ `0x00` ‖ book id (16) ‖ job id (16) ‖ part (i64: 0 group,
//!   1 failures, 2 message, 3 report)
#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const AAD_ACCOUNT_KEY: &[u8] = b"rolo/v1/account-key\0";
const AAD_CONTACT: &[u8] = b"rolo/v1/contact\0";
const AAD_GROUP: &[u8] = b"rolo/v1/group\0";
const AAD_DAV_NAME: &[u8] = b"rolo/v1/dav-name\0";
const AAD_SECOND_FACTOR: &[u8] = b"rolo/v1/second-factor\0";
const AAD_BOOK_META: &[u8] = b"rolo/v1/book-meta\0";
const AAD_AUDIT: &[u8] = b"rolo/v1/audit\0";
const AAD_IMPORT_JOB: &[u8] = b"rolo/v1/import-job\0";
const LOOKUP_HASH: &[u8] = b"rolo/v1/lookup\0";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key is not valid: {0}")]
    BadMasterKey(String),
    #[error(
        "no master key with id {0} is loaded (was the key file replaced or a retired key removed?)"
    )]
    UnknownKeyId(String),
    #[error("a sealed value could not be opened: it is corrupt or belongs to another record")]
    Open,
    #[error("the operating system's random generator failed: {0}")]
    Random(String),
    #[error("key file {path}: {message}")]
    KeyFile { path: String, message: String },
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, CryptoError> {
    let mut buf = Zeroizing::new([0u8; N]);
    getrandom::fill(buf.as_mut()).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(buf)
}

/// Random bytes for tokens and salts.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(buf)
}

/// SHA-256 in hex, e.g. for storing session tokens as hashes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn seal_with(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    let nonce_bytes = random::<NONCE_LEN>()?;
    let nonce = Nonce::from(*nonce_bytes);
    let ct =
        cipher.encrypt(&nonce, Payload { msg: plaintext, aad }).map_err(|_| CryptoError::Open)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(nonce_bytes.as_ref());
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open_with(key: &[u8; 32], aad: &[u8], blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if blob.len() < 1 + NONCE_LEN + 16 || blob[0] != FORMAT_V1 {
        return Err(CryptoError::Open);
    }
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    let mut nonce_bytes = [0u8; NONCE_LEN];
    nonce_bytes.copy_from_slice(&blob[1..1 + NONCE_LEN]);
    let nonce = Nonce::from(nonce_bytes);
    cipher
        .decrypt(&nonce, Payload { msg: &blob[1 + NONCE_LEN..], aad })
        .map_err(|_| CryptoError::Open)
}

/// A master key's id: 16 hex characters.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct KeyId(String);

impl KeyId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn new(s: &str) -> Self {
        KeyId(s.to_string())
    }
}
impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 256-bit master key. Its bytes never appear in `Debug` output.
#[derive(Clone)]
pub struct MasterKey {
    id: KeyId,
    key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).field("key", &"<redacted>").finish()
    }
}

impl MasterKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self::from_bytes(*random::<32>()?))
    }
    fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"rolo key id");
        h.update(bytes);
        let id = KeyId(hex::encode(&h.finalize()[..8]));
        MasterKey { id, key: Zeroizing::new(bytes) }
    }
    /// Parses the text form: standard base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let raw = base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|_| {
            CryptoError::BadMasterKey("it is not base64 (expected 44 characters)".into())
        })?;
        let bytes: [u8; 32] = raw.try_into().map_err(|v: Vec<u8>| {
            CryptoError::BadMasterKey(format!("it has {} bytes, expected 32", v.len()))
        })?;
        Ok(Self::from_bytes(bytes))
    }
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(self.key.as_ref()))
    }
    pub fn id(&self) -> &KeyId {
        &self.id
    }
}

/// The master keys in use: the first is active (wraps new data keys); the others are retired
/// keys kept so that data wrapped before a rotation still opens.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<MasterKey>,
}

/// An account data key wrapped by a master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    pub key_id: KeyId,
    pub blob: Vec<u8>,
}

fn account_key_aad(account_id: &[u8; 16], key_id: &KeyId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_ACCOUNT_KEY.len() + 32);
    aad.extend_from_slice(AAD_ACCOUNT_KEY);
    aad.extend_from_slice(account_id);
    aad.extend_from_slice(key_id.0.as_bytes());
    aad
}

impl Keyring {
    pub fn new(keys: Vec<MasterKey>) -> Result<Self, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::BadMasterKey("no key given".into()));
        }
        Ok(Keyring { keys })
    }

    /// Parses key-file text (one base64 key per line, the active one first, `#` comments) or the
    /// value of `ROLO_MASTER_KEY` (keys separated by commas).
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let keys = text
            .lines()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .flat_map(|l| l.split(','))
            .map(|k| k.trim())
            .filter(|k| !k.is_empty())
            .map(MasterKey::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(keys)
    }

    /// The key-file text of this keyring.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        let mut s = String::from(
            "# Rolo master keys. Keep this file secret and backed up apart from the database:\n\
             # without it the data cannot be read. The first key is active; others are retired.\n",
        );
        for k in &self.keys {
            s.push_str(&k.to_text());
            s.push('\n');
        }
        Zeroizing::new(s)
    }

    /// Reads a key file, refusing one that others can read.
    pub fn load_file(path: &Path) -> Result<Self, CryptoError> {
        let err =
            |message: String| CryptoError::KeyFile { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(path).map_err(|e| err(e.to_string()))?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(err(format!(
                    "its mode is {:o}; others may read it. Run: chmod 600 {}",
                    mode & 0o777,
                    path.display()
                )));
            }
        }
        Self::parse(&text).map_err(|e| err(e.to_string()))
    }

    /// Writes the key file atomically with mode 0600 (temp file + rename).
    pub fn write_file(&self, path: &Path) -> Result<(), CryptoError> {
        let err =
            |message: String| CryptoError::KeyFile { path: path.display().to_string(), message };
        let tmp = path.with_extension("tmp");
        {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp).map_err(|e| err(e.to_string()))?;
            f.write_all(self.to_file_text().as_bytes()).map_err(|e| err(e.to_string()))?;
            f.sync_all().map_err(|e| err(e.to_string()))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
    }

    pub fn active(&self) -> &MasterKey {
        &self.keys[0]
    }
    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }
    pub fn get(&self, id: &KeyId) -> Option<&MasterKey> {
        self.keys.iter().find(|k| &k.id == id)
    }
    /// A keyring with `key` active and the current keys retired behind it.
    pub fn rotated(&self, key: MasterKey) -> Keyring {
        let new_id = key.id.clone();
        let mut keys = vec![key];
        keys.extend(self.keys.iter().filter(|k| k.id != new_id).cloned());
        Keyring { keys }
    }
    /// A keyring without the retired keys in `drop`; the active key always stays.
    pub fn without(&self, drop: &[KeyId]) -> Keyring {
        let active = self.keys[0].id.clone();
        Keyring {
            keys: self
                .keys
                .iter()
                .filter(|k| k.id == active || !drop.contains(&k.id))
                .cloned()
                .collect(),
        }
    }

    /// Wraps a data key with the active master key, bound to the id of what it belongs to (a
    /// book; an account's first book has the account's id, as before books).
    pub fn wrap(&self, account_id: &[u8; 16], key: &DataKey) -> Result<WrappedKey, CryptoError> {
        let mk = self.active();
        let blob = seal_with(&mk.key, &account_key_aad(account_id, &mk.id), key.0.as_ref())?;
        Ok(WrappedKey { key_id: mk.id.clone(), blob })
    }

    /// Unwraps an account's data key with whichever loaded master key wrapped it.
    pub fn unwrap(
        &self,
        account_id: &[u8; 16],
        wrapped: &WrappedKey,
    ) -> Result<DataKey, CryptoError> {
        let mk = self
            .get(&wrapped.key_id)
            .ok_or_else(|| CryptoError::UnknownKeyId(wrapped.key_id.0.clone()))?;
        let plain = Zeroizing::new(open_with(
            &mk.key,
            &account_key_aad(account_id, &mk.id),
            &wrapped.blob,
        )?);
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| CryptoError::Open)?;
        Ok(DataKey(Zeroizing::new(bytes)))
    }
}

/// A book's data key (256 bit). Never stored unwrapped; redacted in `Debug`.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// What a sealed record is: part of its associated data, so one kind never opens as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Contact,
    Group,
    /// The CardDAV resource name (href) and vCard UID a client gave a contact or group.
    DavName,
    /// An account's TOTP secret (the console's second factor).
    SecondFactor,
    /// An address book's name and description.
    BookMeta,
    /// The detail of an audit log entry.
    Audit,
    /// What an import job keeps of its file (its chosen group, failed rows, message, report).
    ImportJob,
}

fn record_aad(
    kind: RecordKind,
    account_id: &[u8; 16],
    contact_id: &[u8; 16],
    revision: i64,
) -> Vec<u8> {
    let tag = match kind {
        RecordKind::Contact => AAD_CONTACT,
        RecordKind::Group => AAD_GROUP,
        RecordKind::DavName => AAD_DAV_NAME,
        RecordKind::SecondFactor => AAD_SECOND_FACTOR,
        RecordKind::BookMeta => AAD_BOOK_META,
        RecordKind::Audit => AAD_AUDIT,
        RecordKind::ImportJob => AAD_IMPORT_JOB,
    };
    let mut aad = Vec::with_capacity(tag.len() + 40);
    aad.extend_from_slice(tag);
    aad.extend_from_slice(account_id);
    aad.extend_from_slice(contact_id);
    aad.extend_from_slice(&revision.to_be_bytes());
    aad
}

impl DataKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(DataKey(random::<32>()?))
    }

    /// Seals one revision of a contact's content.
    pub fn seal_contact(
        &self,
        account_id: &[u8; 16],
        contact_id: &[u8; 16],
        revision: i64,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.seal_record(RecordKind::Contact, account_id, contact_id, revision, plaintext)
    }

    /// Opens what `seal_contact` sealed for exactly this account, contact and revision.
    pub fn open_contact(
        &self,
        account_id: &[u8; 16],
        contact_id: &[u8; 16],
        revision: i64,
        blob: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.open_record(RecordKind::Contact, account_id, contact_id, revision, blob)
    }

    /// Seals one revision of a record of the given kind.
    pub fn seal_record(
        &self,
        kind: RecordKind,
        account_id: &[u8; 16],
        id: &[u8; 16],
        revision: i64,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.0, &record_aad(kind, account_id, id, revision), plaintext)
    }

    /// A keyed hash (HMAC-SHA-256, hex) of `data` for looking a sealed value up by equality
    /// without storing it in clear: without the data key it cannot be guessed by trying values.
    /// `label` separates uses.
    pub fn lookup_hash(&self, label: &str, data: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        // HMAC accepts keys of any length: this cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice()) else {
            return String::new();
        };
        mac.update(LOOKUP_HASH);
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Opens what `seal_record` sealed for exactly this kind, account, id and revision.
    pub fn open_record(
        &self,
        kind: RecordKind,
        account_id: &[u8; 16],
        id: &[u8; 16],
        revision: i64,
        blob: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        open_with(&self.0, &record_aad(kind, account_id, id, revision), blob)
    }
}

#[cfg(test)]
mod tests;
