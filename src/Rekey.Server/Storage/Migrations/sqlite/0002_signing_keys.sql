-- Per-service ES256 signing keys for access tokens. The private key is sealed like a client secret
-- (AES-256-GCM under a data key; associated data rekey/signing-key/{serviceId}/{keyId}).
CREATE TABLE signing_keys (
    key_id      TEXT    PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    public_jwk  TEXT    NOT NULL,
    data_key_id TEXT    NOT NULL,
    ciphertext  BLOB    NOT NULL
);
CREATE INDEX ix_signing_keys_service ON signing_keys(service_id, created_at);
