-- The console (docs/console.md). Sessions live in the database, so that any node answers any request of a signed-in
-- operator and signing out ends the session everywhere: the cookie holds a random session ID (stored as its SHA-256),
-- the row holds the SHA-256 of the token that signed in (resolved again on every request, exactly as /api resolves a
-- bearer token) and the session's antiforgery secret. Clients get a search key: the lowercased clientName, indexed
-- per service, for prefix search at any number of clients (COLLATE "C": ordered by code point, as the range query
-- of a prefix needs). Per engine: the backfill reads JSON differently.
CREATE TABLE console_sessions (
    session_hash text   COLLATE "C" PRIMARY KEY,
    token_hash   bytea  NOT NULL,
    csrf         text   NOT NULL,
    created_at   bigint NOT NULL,
    seen_at      bigint NOT NULL
);
CREATE INDEX ix_console_sessions_seen ON console_sessions(seen_at);

ALTER TABLE clients ADD COLUMN name_key text COLLATE "C";
UPDATE clients SET name_key = lower(document::jsonb ->> 'clientName');
CREATE INDEX ix_clients_name ON clients(service_id, name_key) WHERE name_key IS NOT NULL;
