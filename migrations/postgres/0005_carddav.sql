-- CardDAV: the resource name (href) a client chose for a contact or group, and the vCard UID it
-- sent, when they differ from the defaults (`<id>.vcf`, the id). Both are sealed together with
-- the account's data key; the href is found through a keyed hash (HMAC), never stored in clear.
CREATE TABLE dav_names (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id         UUID NOT NULL,
    href_hash  TEXT NOT NULL,
    sealed     BYTEA NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE UNIQUE INDEX dav_names_href ON dav_names (account_id, href_hash);
