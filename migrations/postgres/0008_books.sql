-- Address books. Same shape as migrations/sqlite/0008_books.sql: records belong to a book, each
-- book has its own data key, change sequence and sealed name; an account's first book takes the
-- account's id.
CREATE TABLE books (
    id          UUID PRIMARY KEY,
    owner_id    UUID REFERENCES accounts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    sealed_meta BYTEA,
    meta_rev    BIGINT NOT NULL DEFAULT 0,
    key_id      TEXT NOT NULL,
    wrapped_key BYTEA NOT NULL,
    change_seq  BIGINT NOT NULL DEFAULT 0,
    purged_seq  BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX books_owner ON books (owner_id);
CREATE INDEX books_key_id ON books (key_id);

INSERT INTO books (id, owner_id, kind, key_id, wrapped_key, change_seq, purged_seq, created_at)
    SELECT id, id, 'personal', key_id, wrapped_key, change_seq, purged_seq, created_at FROM accounts;

CREATE TABLE teams (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE team_members (
    team_id    UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, account_id)
);
CREATE INDEX team_members_account ON team_members (account_id);

CREATE TABLE book_shares (
    book_id      UUID NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    grantee_kind TEXT NOT NULL,
    grantee_id   UUID NOT NULL,
    can_write    BOOLEAN NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (book_id, grantee_kind, grantee_id)
);
CREATE INDEX book_shares_grantee ON book_shares (grantee_kind, grantee_id);

ALTER TABLE contacts RENAME COLUMN account_id TO book_id;
ALTER TABLE contacts DROP CONSTRAINT contacts_account_id_fkey;
ALTER TABLE contacts ADD CONSTRAINT contacts_book_id_fkey
    FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE;

ALTER TABLE changes RENAME COLUMN account_id TO book_id;
ALTER TABLE changes DROP CONSTRAINT changes_account_id_fkey;
ALTER TABLE changes ADD CONSTRAINT changes_book_id_fkey
    FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE;

ALTER TABLE contact_revisions RENAME COLUMN account_id TO book_id;
ALTER TABLE contact_revisions DROP CONSTRAINT contact_revisions_account_id_fkey;
ALTER TABLE contact_revisions ADD CONSTRAINT contact_revisions_book_id_fkey
    FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE;
ALTER TABLE contact_revisions ADD COLUMN actor_id UUID;

ALTER TABLE dav_names RENAME COLUMN account_id TO book_id;
ALTER TABLE dav_names DROP CONSTRAINT dav_names_account_id_fkey;
ALTER TABLE dav_names ADD CONSTRAINT dav_names_book_id_fkey
    FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE;

DROP INDEX accounts_key_id;
ALTER TABLE accounts DROP COLUMN key_id;
ALTER TABLE accounts DROP COLUMN wrapped_key;
ALTER TABLE accounts DROP COLUMN change_seq;
ALTER TABLE accounts DROP COLUMN purged_seq;

CREATE TABLE audit_log (
    id         UUID PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_id   UUID,
    book_id    UUID REFERENCES books (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    sealed     BYTEA
);
CREATE INDEX audit_log_at ON audit_log (at);
