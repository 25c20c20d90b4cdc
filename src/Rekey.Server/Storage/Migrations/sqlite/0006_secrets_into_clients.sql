-- A client's secrets move into its own row (clients.secrets: the encoded SecretSet, current secret sealed, previous
-- ones as digests, revoked ones as times only), so that a rotation reads one row and writes one row. The data key of
-- the current secret is kept beside it for re-encryption. Last-use times get a table of their own: they are written
-- in batches off the request path and must not rewrite the secrets. The rows of client_secrets are converted by code
-- (RekeyStore.MoveSecretsIntoClientsAsync) in the same transaction; migration 7 drops the table.
ALTER TABLE clients ADD COLUMN secrets BLOB NOT NULL DEFAULT X'';
ALTER TABLE clients ADD COLUMN secret_key_id TEXT;
CREATE INDEX ix_clients_secret_key ON clients(secret_key_id);

CREATE TABLE secret_uses (
    client_id INTEGER NOT NULL,
    secret_id INTEGER NOT NULL,
    used_at   INTEGER NOT NULL,
    PRIMARY KEY (client_id, secret_id)
) WITHOUT ROWID;
