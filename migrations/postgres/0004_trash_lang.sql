-- The console's language choice per account, and what the trash purge scans.
ALTER TABLE accounts ADD COLUMN lang TEXT;
-- Deleted contacts by deletion time (the trash keeps their last content in contact_revisions).
CREATE INDEX contacts_deleted ON contacts (deleted, kind, updated_at);
