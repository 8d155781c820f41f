-- Groups are stored like contacts (sealed, revisioned, in the change log), told apart by kind.
ALTER TABLE contacts ADD COLUMN kind TEXT NOT NULL DEFAULT 'contact';
CREATE INDEX contacts_kind ON contacts (account_id, kind);
