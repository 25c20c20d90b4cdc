-- The console (docs/console.md). Sessions live in the database, so that any node answers any request of a signed-in
-- operator and signing out ends the session everywhere: the cookie holds a random session ID (stored as its SHA-256),
-- the row holds the SHA-256 of the token that signed in (resolved again on every request, exactly as /api resolves a
-- bearer token) and the session's antiforgery secret. Clients get a search key: the lowercased clientName, indexed
-- per service, for prefix search at any number of clients. Per engine: the backfill reads JSON differently.
CREATE TABLE console_sessions (
    session_hash TEXT    PRIMARY KEY,
    token_hash   BLOB    NOT NULL,
    csrf         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    seen_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ix_console_sessions_seen ON console_sessions(seen_at);

ALTER TABLE clients ADD COLUMN name_key TEXT;
UPDATE clients SET name_key = lower(json_extract(document, '$.clientName')) WHERE json_valid(document);
CREATE INDEX ix_clients_name ON clients(service_id, name_key) WHERE name_key IS NOT NULL;
