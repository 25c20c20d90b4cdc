-- Mirrors sqlite/0006_secrets_into_clients.sql (see there). The client rows leave a fifth of each page free, so that
-- a rotation's update of the row stays on its page (a HOT update: no index entry is written).
ALTER TABLE clients ADD COLUMN secrets bytea NOT NULL DEFAULT ''::bytea;
ALTER TABLE clients ADD COLUMN secret_key_id text COLLATE "C";
ALTER TABLE clients SET (fillfactor = 80);
CREATE INDEX ix_clients_secret_key ON clients(secret_key_id);

CREATE TABLE secret_uses (
    client_id bigint NOT NULL,
    secret_id bigint NOT NULL,
    used_at   bigint NOT NULL,
    PRIMARY KEY (client_id, secret_id)
);
