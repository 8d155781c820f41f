-- What several instances on one database must share.

-- The console's import jobs: a job runs on the instance that received the file and writes its
-- progress here, so that a poll on any instance reads it (see crates/store/src/import_jobs.rs).
-- Counters and times are in clear; everything that comes from the file — the chosen group's
-- name, the failed rows shown, the message, the report — is sealed with the book's data key.
CREATE TABLE import_jobs (
    id              BLOB PRIMARY KEY NOT NULL,
    book_id         BLOB NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    account_id      BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    state           TEXT NOT NULL,                -- running, done, failed
    rows_done       INTEGER NOT NULL DEFAULT 0,
    rows_total      INTEGER NOT NULL DEFAULT 0,
    imported        INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    sealed_group    BLOB,
    sealed_failures BLOB,
    sealed_message  BLOB,
    sealed_report   BLOB,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,              -- the running instance touches it while it works
    ended_at        INTEGER
);
CREATE INDEX import_jobs_updated ON import_jobs (updated_at);

-- Moves whenever credentials are withdrawn (a device revoked, an account disabled, a password
-- changed): instances that remember verified credentials forget them when it moves.
CREATE TABLE access_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL
);
INSERT INTO access_epoch (id, epoch) VALUES (1, 0);
