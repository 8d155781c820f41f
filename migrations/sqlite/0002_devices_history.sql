-- Devices (sync clients), contact history, and who made each change.

CREATE TABLE devices (
    id               BLOB PRIMARY KEY NOT NULL,
    account_id       BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,             -- phone | tablet | pc | other
    token_hash       TEXT NOT NULL UNIQUE,      -- SHA-256 of the device token
    created_at       INTEGER NOT NULL,
    revoked_at       INTEGER,
    last_sync_at     INTEGER,
    last_cursor      INTEGER,
    last_addr        TEXT,
    changes_sent     INTEGER NOT NULL DEFAULT 0, -- server → device
    changes_received INTEGER NOT NULL DEFAULT 0  -- device → server
);
CREATE INDEX devices_account ON devices (account_id);

-- Every revision of every contact, sealed like the contact itself (NULL for a deletion).
CREATE TABLE contact_revisions (
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id BLOB NOT NULL,
    revision   INTEGER NOT NULL,
    sealed     BLOB,
    origin     TEXT NOT NULL,                    -- 'console', 'cli' or 'device:<uuid>'
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, contact_id, revision)
) WITHOUT ROWID;

ALTER TABLE changes ADD COLUMN origin TEXT NOT NULL DEFAULT 'console';

-- Download sync reads contacts in change order after a cursor.
CREATE INDEX contacts_seq ON contacts (account_id, seq);

-- Sequence number below which tombstones may have been purged (cursors older than it are refused).
ALTER TABLE accounts ADD COLUMN purged_seq INTEGER NOT NULL DEFAULT 0;
