-- Lifecycle events and webhooks (docs/events.md). Per engine rather than shared (SQLite's tables have no rowid); no
-- table here draws from a sequence, so that inserting an event or a delivery never moves lastval(), which links an
-- audit event to its client's trail in the same transaction.
--
-- events: the outbox. Every change writes its event in its own transaction; the delivery rows of the service's
-- webhooks are written by the same statement batch, so an event exists, and is delivered, if and only if the change
-- committed. sequence numbers a client's events (clients.event_seq) so that receivers can order them.
CREATE TABLE events (
    event_id       text    COLLATE "C" PRIMARY KEY,
    service_id     bigint NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    client_id      bigint,
    secret_id      bigint,
    type           text    NOT NULL,
    occurred_at    bigint NOT NULL,
    audit_event_id bigint,
    sequence       bigint,
    data           text
);
CREATE INDEX ix_events_occurred ON events(occurred_at);

CREATE TABLE webhooks (
    webhook_id        bigint PRIMARY KEY,
    service_id        bigint NOT NULL REFERENCES services(service_id) ON DELETE CASCADE,
    url               text    NOT NULL,
    events            text    NOT NULL,
    description       text,
    enabled           boolean NOT NULL,
    disabled_reason   text,
    failing_since     bigint,
    secret_key_id     text    NOT NULL,
    secret            bytea    NOT NULL,
    prev_secret_key_id text,
    prev_secret       bytea,
    prev_secret_until bigint,
    created_at        bigint NOT NULL,
    modified_at       bigint NOT NULL
);
CREATE INDEX ix_webhooks_service ON webhooks(service_id);

-- One row per event and webhook. status: 0 pending, 1 succeeded, 2 failed. A node claims a due delivery by moving
-- next_attempt_at past the attempt's timeout (a lease) under claim; a node that dies mid-attempt leaves it due again.
CREATE TABLE webhook_deliveries (
    webhook_id      bigint NOT NULL REFERENCES webhooks(webhook_id) ON DELETE CASCADE,
    event_id        text    COLLATE "C" NOT NULL REFERENCES events(event_id) ON DELETE CASCADE,
    status          smallint NOT NULL,
    attempts        integer NOT NULL,
    created_at      bigint NOT NULL,
    next_attempt_at bigint,
    last_attempt_at bigint,
    last_status     integer,
    last_error      text,
    excerpt         text,
    claim           text,
    PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX ix_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 0;
CREATE INDEX ix_deliveries_event ON webhook_deliveries(event_id);
CREATE INDEX ix_deliveries_log ON webhook_deliveries(webhook_id, created_at);

-- The expiry sweep: each client's next moment a secret notice (expiring, expired, grace_ended) is due, and the notices
-- given, one per secret, kind and threshold, ever (the primary key decides between nodes). secret_warnings is the
-- service's clientSecretExpiryWarnings (seconds, space-separated; NULL = the default 30, 7 and 1 days).
ALTER TABLE clients ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN next_notice_at bigint;
CREATE INDEX ix_clients_next_notice ON clients(next_notice_at) WHERE next_notice_at IS NOT NULL;
ALTER TABLE services ADD COLUMN secret_warnings text;

CREATE TABLE secret_notices (
    client_id   bigint NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    secret_id   bigint NOT NULL,
    kind        text    COLLATE "C" NOT NULL,
    threshold_s bigint NOT NULL,
    PRIMARY KEY (client_id, secret_id, kind, threshold_s)
);

-- Clients that existed before: looked at once by the first sweep.
UPDATE clients SET next_notice_at = 0;
