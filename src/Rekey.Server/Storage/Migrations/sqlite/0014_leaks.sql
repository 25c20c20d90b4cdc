-- Leaked secrets (docs/leaks.md). secret_lookups finds a secret by its value without knowing its owner: per secret
-- (current and previous, while it keeps a digest) an HMAC of the value under the lookup key, which depends on no client
-- or service, never the value. Kept in step with each client's secrets by the statement batch that writes them.
-- WITHOUT ROWID, like the outbox: an insert must not move last_insert_rowid(), which links the change's audit event.
CREATE TABLE secret_lookups (
    client_id  INTEGER NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    secret_id  INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    digest     BLOB    NOT NULL,
    PRIMARY KEY (client_id, secret_id)
) WITHOUT ROWID;
CREATE INDEX ix_secret_lookups_digest ON secret_lookups(digest);

-- Signed reports already acted on (GitHub's secret-scanning partner endpoint), by the SHA-256 of the signed body: a
-- replay is answered the same and changes nothing. labels: one character per match, T or F.
CREATE TABLE leak_reports (
    report_hash BLOB    PRIMARY KEY,
    received_at INTEGER NOT NULL,
    labels      TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX ix_leak_reports_received ON leak_reports(received_at);

-- Service settings the store acts on: the format of generated secrets (NULL = AUTHLETE) and the response to a leak
-- (NULL = REVOKE).
ALTER TABLE services ADD COLUMN secret_format TEXT;
ALTER TABLE services ADD COLUMN leak_response TEXT;
