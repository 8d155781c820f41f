-- Devices (sync clients), contact history, and who made each change (PostgreSQL).

CREATE TABLE devices (
    id               UUID PRIMARY KEY,
    account_id       UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,             -- phone | tablet | pc | other
    token_hash       TEXT NOT NULL UNIQUE,      -- SHA-256 of the device token
    created_at       BIGINT NOT NULL,
    revoked_at       BIGINT,
    last_sync_at     BIGINT,
    last_cursor      BIGINT,
    last_addr        TEXT,
    changes_sent     BIGINT NOT NULL DEFAULT 0, -- server → device
    changes_received BIGINT NOT NULL DEFAULT 0  -- device → server
);
CREATE INDEX devices_account ON devices (account_id);

-- Every revision of every contact, sealed like the contact itself (NULL for a deletion).
CREATE TABLE contact_revisions (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id UUID NOT NULL,
    revision   BIGINT NOT NULL,
    sealed     BYTEA,
    origin     TEXT NOT NULL,                    -- 'console', 'cli' or 'device:<uuid>'
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, contact_id, revision)
);

ALTER TABLE changes ADD COLUMN origin TEXT NOT NULL DEFAULT 'console';

-- Download sync reads contacts in change order after a cursor.
CREATE INDEX contacts_seq ON contacts (account_id, seq);

-- Sequence number below which tombstones may have been purged (cursors older than it are refused).
ALTER TABLE accounts ADD COLUMN purged_seq BIGINT NOT NULL DEFAULT 0;
