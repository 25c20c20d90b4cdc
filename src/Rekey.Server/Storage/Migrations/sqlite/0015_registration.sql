-- Dynamic client registration (RFC 7591/7592, docs/oauth.md). A registered client's registration access token, as its
-- SHA-256: what lets the client read, update and delete its own registration. NULL for clients created through /api.
ALTER TABLE clients ADD COLUMN registration_token BLOB;

-- Initial access tokens (RFC 7591 §3): who may register clients of a service whose clientRegistrationPolicy is
-- INITIAL_ACCESS_TOKEN. Only the SHA-256 of a token is kept. registrations counts the clients it registered; a
-- single-use token registers one.
CREATE TABLE initial_access_tokens (
    token_id      INTEGER PRIMARY KEY,
    service_id    INTEGER NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    token_hash    BLOB    NOT NULL UNIQUE,
    description   TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    single_use    INTEGER NOT NULL,
    registrations INTEGER NOT NULL DEFAULT 0,
    last_used_at  INTEGER
);
CREATE INDEX ix_initial_access_tokens_service ON initial_access_tokens(service_id, created_at);
