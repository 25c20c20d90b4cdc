-- Per-service ES256 signing keys for access tokens. Mirrors sqlite/0002_signing_keys.sql. The private key is sealed
-- like a client secret (AES-256-GCM under a data key; associated data rekey/signing-key/{serviceId}/{keyId}).
CREATE TABLE signing_keys (
    key_id      text   COLLATE "C" PRIMARY KEY,
    service_id  bigint NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    created_at  bigint NOT NULL,
    public_jwk  text   NOT NULL,
    data_key_id text   COLLATE "C" NOT NULL,
    ciphertext  bytea  NOT NULL
);
CREATE INDEX ix_signing_keys_service ON signing_keys(service_id, created_at);
CREATE INDEX ix_signing_keys_data_key ON signing_keys(data_key_id);
