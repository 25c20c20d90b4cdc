-- Rekey schema, version 1 (SQLite). Times are epoch milliseconds.
CREATE TABLE services (
    number            INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id        INTEGER NOT NULL UNIQUE,
    document          TEXT    NOT NULL,
    secret_grace_s    INTEGER NOT NULL DEFAULT 0,
    secret_lifetime_s INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    modified_at       INTEGER NOT NULL
);

CREATE TABLE clients (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   INTEGER NOT NULL UNIQUE,
    service_id  INTEGER NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    alias       TEXT,
    developer   TEXT,
    locked      INTEGER NOT NULL DEFAULT 0,
    document    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_clients_alias ON clients(service_id, alias) WHERE alias IS NOT NULL;
CREATE INDEX ix_clients_service ON clients(service_id, number);
CREATE INDEX ix_clients_developer ON clients(service_id, developer, number);

-- Data encryption keys, each wrapped under a master key (configuration or key file).
CREATE TABLE data_keys (
    key_id        TEXT    PRIMARY KEY,
    created_at    INTEGER NOT NULL,
    master_key_id TEXT    NOT NULL,
    wrapped       BLOB    NOT NULL
);

-- state: 0 current, 1 previous (valid until valid_until), 2 revoked.
CREATE TABLE client_secrets (
    secret_id    INTEGER PRIMARY KEY,
    client_id    INTEGER NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    state        INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    valid_until  INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    hint         TEXT,
    key_id       TEXT    NOT NULL,
    ciphertext   BLOB    NOT NULL,
    digest       BLOB    NOT NULL
);
CREATE INDEX ix_client_secrets_client ON client_secrets(client_id, state);
CREATE UNIQUE INDEX ux_client_secrets_current ON client_secrets(client_id) WHERE state = 0;
CREATE INDEX ix_client_secrets_key ON client_secrets(key_id);

CREATE TABLE api_tokens (
    token_id    INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    token_hash  BLOB    NOT NULL UNIQUE,
    permissions TEXT    NOT NULL,
    description TEXT,
    created_at  INTEGER NOT NULL
);

-- Never a secret, token or key: IDs, names and outcomes only. Kept when the service goes.
CREATE TABLE audit_events (
    event_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at    INTEGER NOT NULL,
    actor_kind     TEXT    NOT NULL,
    actor_token_id INTEGER,
    remote_address TEXT,
    request_id     TEXT,
    service_id     INTEGER,
    client_id      INTEGER,
    action         TEXT    NOT NULL,
    secret_id      INTEGER,
    outcome        TEXT    NOT NULL,
    target         TEXT
);
CREATE INDEX ix_audit_service ON audit_events(service_id, event_id);
CREATE INDEX ix_audit_client ON audit_events(service_id, client_id, event_id);
