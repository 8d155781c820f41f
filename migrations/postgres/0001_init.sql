-- Rolo schema (PostgreSQL). Same shape as migrations/sqlite/0001_init.sql.
-- Contact content is only ever stored sealed; times are Unix milliseconds.

CREATE TABLE accounts (
    id            UUID PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    key_id        TEXT NOT NULL,
    wrapped_key   BYTEA NOT NULL,
    change_seq    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX accounts_key_id ON accounts (key_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE contacts (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id         UUID NOT NULL,
    revision   BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    sealed     BYTEA,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);

CREATE TABLE changes (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  UUID NOT NULL,
    revision   BIGINT NOT NULL,
    deleted    BOOLEAN NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, seq)
);
