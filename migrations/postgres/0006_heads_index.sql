-- Sync listings (the heads of many contacts: id, revision, kind, state, dates, in change order)
-- read only this index, not the table, where every row carries its sealed content.
DROP INDEX contacts_seq;
CREATE INDEX contacts_seq ON contacts (account_id, seq) INCLUDE (kind, id, revision, deleted, created_at, updated_at);
