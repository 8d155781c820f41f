-- Address books. Contacts, groups, their history, the change log and CardDAV names belong to a
-- book, not to an account; a book has its own data key (wrapped by the master key), its own
-- change sequence, and its name and description sealed with its key. An account's first book
-- takes the account's id, so every record sealed before keeps opening (its associated data
-- names that id) and every existing key moves as it is.
CREATE TABLE books (
    id          BLOB PRIMARY KEY NOT NULL,
    owner_id    BLOB REFERENCES accounts (id) ON DELETE CASCADE, -- NULL: a company directory
    kind        TEXT NOT NULL,                    -- 'personal' | 'directory'
    sealed_meta BLOB,                             -- {name, description}; NULL: "Contacts"
    meta_rev    INTEGER NOT NULL DEFAULT 0,
    key_id      TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    change_seq  INTEGER NOT NULL DEFAULT 0,
    purged_seq  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER                           -- in the trash since
);
CREATE INDEX books_owner ON books (owner_id);
CREATE INDEX books_key_id ON books (key_id);

INSERT INTO books (id, owner_id, kind, key_id, wrapped_key, change_seq, purged_seq, created_at)
    SELECT id, id, 'personal', key_id, wrapped_key, change_seq, purged_seq, created_at FROM accounts;

-- Teams: named sets of accounts that admins manage.
CREATE TABLE teams (
    id         BLOB PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE team_members (
    team_id    BLOB NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, account_id)
) WITHOUT ROWID;
CREATE INDEX team_members_account ON team_members (account_id);

-- Who else may read (or write) a book: an account, a team, or everyone (grantee_id all zero).
CREATE TABLE book_shares (
    book_id      BLOB NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    grantee_kind TEXT NOT NULL,                   -- 'account' | 'team' | 'everyone'
    grantee_id   BLOB NOT NULL,
    can_write    INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (book_id, grantee_kind, grantee_id)
) WITHOUT ROWID;
CREATE INDEX book_shares_grantee ON book_shares (grantee_kind, grantee_id);

-- The record tables move from the account to the book (SQLite rebuilds a table to change a
-- column's reference).
CREATE TABLE contacts_new (
    book_id    BLOB NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    id         BLOB NOT NULL,
    revision   INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    sealed     BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    kind       TEXT NOT NULL DEFAULT 'contact',
    PRIMARY KEY (book_id, id)
) WITHOUT ROWID;
INSERT INTO contacts_new (book_id, id, revision, seq, deleted, sealed, created_at, updated_at, kind)
    SELECT account_id, id, revision, seq, deleted, sealed, created_at, updated_at, kind FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
CREATE INDEX contacts_kind ON contacts (book_id, kind);
CREATE INDEX contacts_deleted ON contacts (deleted, kind, updated_at);
CREATE INDEX contacts_seq ON contacts (book_id, seq, kind, id, revision, deleted, created_at, updated_at);

CREATE TABLE changes_new (
    book_id    BLOB NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  BLOB NOT NULL,
    revision   INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    origin     TEXT NOT NULL DEFAULT 'console',
    PRIMARY KEY (book_id, seq)
) WITHOUT ROWID;
INSERT INTO changes_new (book_id, seq, entity, entity_id, revision, deleted, changed_at, origin)
    SELECT account_id, seq, entity, entity_id, revision, deleted, changed_at, origin FROM changes;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;

-- Each revision also records the account that made it (NULL before books: the owner).
CREATE TABLE contact_revisions_new (
    book_id    BLOB NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    contact_id BLOB NOT NULL,
    revision   INTEGER NOT NULL,
    sealed     BLOB,
    origin     TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    actor_id   BLOB,
    PRIMARY KEY (book_id, contact_id, revision)
) WITHOUT ROWID;
INSERT INTO contact_revisions_new (book_id, contact_id, revision, sealed, origin, changed_at)
    SELECT account_id, contact_id, revision, sealed, origin, changed_at FROM contact_revisions;
DROP TABLE contact_revisions;
ALTER TABLE contact_revisions_new RENAME TO contact_revisions;

CREATE TABLE dav_names_new (
    book_id   BLOB NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    id        BLOB NOT NULL,
    href_hash TEXT NOT NULL,
    sealed    BLOB NOT NULL,
    PRIMARY KEY (book_id, id)
) WITHOUT ROWID;
INSERT INTO dav_names_new (book_id, id, href_hash, sealed)
    SELECT account_id, id, href_hash, sealed FROM dav_names;
DROP TABLE dav_names;
ALTER TABLE dav_names_new RENAME TO dav_names;
CREATE UNIQUE INDEX dav_names_href ON dav_names (book_id, href_hash);

-- Keys and sequences now live with the books.
DROP INDEX accounts_key_id;
ALTER TABLE accounts DROP COLUMN key_id;
ALTER TABLE accounts DROP COLUMN wrapped_key;
ALTER TABLE accounts DROP COLUMN change_seq;
ALTER TABLE accounts DROP COLUMN purged_seq;

-- What admins did to books that are not theirs (imports into a directory or another account's
-- book): who, when, what, in which book; the detail (file name, counts) sealed with the book's key.
CREATE TABLE audit_log (
    id         BLOB PRIMARY KEY NOT NULL,
    at         INTEGER NOT NULL,
    actor_id   BLOB,
    book_id    BLOB REFERENCES books (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    sealed     BLOB
);
CREATE INDEX audit_log_at ON audit_log (at);
