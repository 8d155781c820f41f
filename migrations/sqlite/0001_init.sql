-- Rolo schema (SQLite). Contact content is only ever stored sealed (AES-256-GCM, see
-- crates/crypto); what is in clear here is what the server needs to sync and page.
-- Times are Unix milliseconds. Ids are UUIDs stored as 16-byte blobs.

CREATE TABLE accounts (
    id            BLOB PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,            -- argon2id PHC string
    is_admin      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    key_id        TEXT NOT NULL,            -- master key that wraps the data key
    wrapped_key   BLOB NOT NULL,            -- the account's data key, sealed
    change_seq    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX accounts_key_id ON accounts (key_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,   -- SHA-256 of the cookie token
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE contacts (
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id         BLOB NOT NULL,
    revision   INTEGER NOT NULL,
    seq        INTEGER NOT NULL,             -- change sequence of the last write
    deleted    INTEGER NOT NULL DEFAULT 0,
    sealed     BLOB,                         -- NULL for tombstones
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE changes (
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    entity     TEXT NOT NULL,                -- 'contact'
    entity_id  BLOB NOT NULL,
    revision   INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, seq)
) WITHOUT ROWID;
