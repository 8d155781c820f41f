use domain::ValidationErrors;

/// Errors of the storage layer. Adapters map them to HTTP / UI messages.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The row already exists (a username taken, a contact id in use).
    #[error("{0}")]
    Conflict(String),
    /// The caller's base revision is not the current one: someone else changed the record.
    #[error("the record was changed elsewhere (now at revision {current})")]
    Stale { current: i64 },
    /// The id belongs to another kind of record (a group where a contact was meant, or back).
    #[error("that id belongs to another kind of record (a contact or a group)")]
    WrongKind,
    /// The account may read this book but not change it.
    #[error("this address book is read-only for you")]
    ReadOnly,
    /// Only the book's owner may do this (rename, share, delete the book).
    #[error("only the address book's owner may do that")]
    NotOwner,
    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),
    /// A feed cursor from the future or older than the purge point: follow from the start.
    #[error("this cursor is unknown or too old; read the changes again from the start")]
    CursorInvalid,
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    /// The master key file is gone while the database holds accounts sealed under it.
    #[error(
        "the master key file {path} is missing, but the database holds {accounts} account(s) encrypted under key id(s) \
         {key_ids}. Restore the key file (or set ROLO_MASTER_KEY_FILE / ROLO_MASTER_KEY); without it the data cannot be \
         read. No new key was generated."
    )]
    KeyFileMissing { path: String, accounts: i64, key_ids: String },
    /// A database failure; the detail is for the log, not for users.
    #[error("database error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;
