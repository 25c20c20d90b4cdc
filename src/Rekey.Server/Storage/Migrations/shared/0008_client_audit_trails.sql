-- A client's audit trail becomes a chain: each event that names a client points to the client's previous one
-- (client_prev_event_id) and the client's row keeps the newest (audit_head). This replaces ix_audit_client, an index
-- that every audited write updated at a place of its own (one page per client), the largest single cost of a secret
-- update, and that the audit list never used. A deleted client's ID and the head of its trail stay in deleted_clients:
-- its events remain listable and its ID is never drawn again.
-- Written once for both engines: bigint is an integer column in SQLite too.
ALTER TABLE audit_events ADD COLUMN client_prev_event_id bigint;
ALTER TABLE clients ADD COLUMN audit_head bigint;

CREATE TABLE deleted_clients (
    client_id  bigint PRIMARY KEY,
    audit_head bigint
);

UPDATE audit_events SET client_prev_event_id = chained.prev
FROM (SELECT event_id, LAG(event_id) OVER (PARTITION BY client_id ORDER BY event_id) AS prev
      FROM audit_events WHERE client_id IS NOT NULL) AS chained
WHERE audit_events.event_id = chained.event_id AND chained.prev IS NOT NULL;

UPDATE clients SET audit_head = heads.head
FROM (SELECT client_id, MAX(event_id) AS head FROM audit_events WHERE client_id IS NOT NULL GROUP BY client_id) AS heads
WHERE clients.client_id = heads.client_id;

INSERT INTO deleted_clients (client_id, audit_head)
SELECT client_id, MAX(event_id) FROM audit_events
WHERE client_id IS NOT NULL AND client_id NOT IN (SELECT client_id FROM clients)
GROUP BY client_id;

DROP INDEX ix_audit_client;
