//! Where the master keys come from, and key rotation.

use std::path::PathBuf;

use crypto::Keyring;

/// The source of the master keys. A file source is re-read when a key id is missing, so a
/// running server picks up a rotation done by `rolo key rotate` without a restart.
#[derive(Debug, Clone)]
pub enum KeySource {
    File(PathBuf),
    /// A key file that is generated when missing, while the database holds no account (see
    /// `Store::new`); then read as [`KeySource::File`].
    NewFileIfEmpty(PathBuf),
    /// `ROLO_MASTER_KEY`: base64 keys separated by commas, the active one first.
    Env,
    /// Fixed keys (tests).
    Fixed(Keyring),
}

impl KeySource {
    pub fn load(&self) -> Result<Keyring, crypto::CryptoError> {
        match self {
            KeySource::File(path) | KeySource::NewFileIfEmpty(path) => Keyring::load_file(path),
            KeySource::Env => {
                let text = std::env::var("ROLO_MASTER_KEY").unwrap_or_default();
                Keyring::parse(&text)
            }
            KeySource::Fixed(ring) => Ok(ring.clone()),
        }
    }
}

/// What a key rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotateReport {
    pub new_key_id: String,
    pub rewrapped: usize,
    /// Key ids still referenced by some account after the rotation (should be empty).
    pub still_in_use: Vec<String>,
}
