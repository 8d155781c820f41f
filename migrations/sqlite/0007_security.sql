-- Sign-in attempts per (username, address) and per address, counted before a password is
-- checked, for every channel and every instance (see crates/store/src/throttle.rs). Keys are
-- SHA-256 digests: no username or address in clear.
CREATE TABLE signin_throttle (
    key        TEXT PRIMARY KEY NOT NULL,
    failures   INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,             -- no attempt is checked before this time
    updated_at INTEGER NOT NULL
);
CREATE INDEX signin_throttle_updated ON signin_throttle (updated_at);

-- The console's second factor (TOTP, RFC 6238): the secret sealed with the account's data key,
-- whether it is confirmed, the last time step a code was accepted at (a code works once), and
-- the recovery codes left (HMACs keyed by the account's data key, space-separated).
CREATE TABLE second_factors (
    account_id BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sealed     BLOB NOT NULL,
    confirmed  INTEGER NOT NULL,
    last_step  INTEGER NOT NULL,
    recovery   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A correct password waiting for its second factor: like a session, for five minutes.
CREATE TABLE pending_signins (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Server-wide settings an administrator changes (`require_second_factor`).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
