-- Each unit of work that changes something writes its audit event with a key of its own (a UUIDv7, so the index
-- grows at its right edge). When the connection is lost during COMMIT, the store finds out what happened by looking
-- for that key once the transaction has ended: present means committed, absent means it never will be. Transaction
-- IDs cannot answer this: after a crash PostgreSQL hands out again the IDs of transactions whose WAL was lost.
ALTER TABLE audit_events ADD COLUMN commit_key uuid;
CREATE INDEX ix_audit_commit_key ON audit_events(commit_key) WHERE commit_key IS NOT NULL;
