-- Rekey schema, version 1 (PostgreSQL). Mirrors sqlite/0001_initial.sql; times are epoch milliseconds (bigint).
-- Identifiers that are compared or sorted as text use COLLATE "C", so that every database orders them the same.
CREATE TABLE services (
    number            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id        bigint NOT NULL UNIQUE,
    document          text   NOT NULL,
    secret_grace_s    bigint NOT NULL DEFAULT 0,
    secret_lifetime_s bigint NOT NULL DEFAULT 0,
    created_at        bigint NOT NULL,
    modified_at       bigint NOT NULL
);

CREATE TABLE clients (
    number      bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id   bigint  NOT NULL UNIQUE,
    service_id  bigint  NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    alias       text    COLLATE "C",
    developer   text,
    locked      boolean NOT NULL DEFAULT false,
    document    text    NOT NULL,
    created_at  bigint  NOT NULL,
    modified_at bigint  NOT NULL
);
-- The store maps a violation of this index (two nodes taking one alias at the same moment) to A120203.
CREATE UNIQUE INDEX ux_clients_alias ON clients(service_id, alias) WHERE alias IS NOT NULL;
-- A new client ID may equal no alias of any service: this keeps that check an index lookup.
CREATE INDEX ix_clients_alias ON clients(alias) WHERE alias IS NOT NULL;
CREATE INDEX ix_clients_service ON clients(service_id, number);
CREATE INDEX ix_clients_developer ON clients(service_id, developer, number);

-- Data encryption keys, each wrapped under a master key (configuration or key file).
CREATE TABLE data_keys (
    key_id        text   COLLATE "C" PRIMARY KEY,
    created_at    bigint NOT NULL,
    master_key_id text   NOT NULL,
    wrapped       bytea  NOT NULL
);

-- state: 0 current, 1 previous (valid until valid_until), 2 revoked.
CREATE TABLE client_secrets (
    secret_id    bigint   PRIMARY KEY,
    client_id    bigint   NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    state        smallint NOT NULL CHECK (state IN (0, 1, 2)),
    created_at   bigint   NOT NULL,
    expires_at   bigint,
    valid_until  bigint,
    revoked_at   bigint,
    last_used_at bigint,
    hint         text,
    key_id       text     COLLATE "C" NOT NULL,
    ciphertext   bytea    NOT NULL,
    digest       bytea    NOT NULL
);
CREATE INDEX ix_client_secrets_client ON client_secrets(client_id, state);
CREATE UNIQUE INDEX ux_client_secrets_current ON client_secrets(client_id) WHERE state = 0;
CREATE INDEX ix_client_secrets_key ON client_secrets(key_id);

CREATE TABLE api_tokens (
    token_id    bigint PRIMARY KEY,
    service_id  bigint NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    token_hash  bytea  NOT NULL UNIQUE,
    permissions text   NOT NULL,
    description text,
    created_at  bigint NOT NULL
);

-- Never a secret, token or key: IDs, names and outcomes only. Kept when the service goes.
CREATE TABLE audit_events (
    event_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    bigint NOT NULL,
    actor_kind     text   NOT NULL,
    actor_token_id bigint,
    remote_address text,
    request_id     text,
    service_id     bigint,
    client_id      bigint,
    action         text   NOT NULL,
    secret_id      bigint,
    outcome        text   NOT NULL,
    target         text
);
CREATE INDEX ix_audit_service ON audit_events(service_id, event_id);
CREATE INDEX ix_audit_client ON audit_events(service_id, client_id, event_id);
