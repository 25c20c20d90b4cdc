-- Mirrors postgres/0003_commit_keys.sql so that both stores write the same audit row. SQLite has no COMMIT in doubt
-- (the database is a local file): it leaves the column empty and needs no index.
ALTER TABLE audit_events ADD COLUMN commit_key BLOB;
