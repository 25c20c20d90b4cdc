-- Rekey schema, version 1 (SQLite).
CREATE TABLE services (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  INTEGER NOT NULL UNIQUE,
    document    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
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

-- status: 0 current, 1 previous (valid until valid_until), 2 revoked.
CREATE TABLE client_secrets (
    secret_id   INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    status      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    valid_until INTEGER,
    revoked_at  INTEGER,
    last_used_at INTEGER,
    key_id      TEXT    NOT NULL,
    ciphertext  BLOB    NOT NULL,
    digest      BLOB    NOT NULL
);
CREATE INDEX ix_client_secrets_client ON client_secrets(client_id, status);
CREATE UNIQUE INDEX ux_client_secrets_current ON client_secrets(client_id) WHERE status = 0;

CREATE TABLE api_tokens (
    token_id    INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    token_hash  BLOB    NOT NULL UNIQUE,
    permissions TEXT    NOT NULL,
    description TEXT,
    created_at  INTEGER NOT NULL
);
