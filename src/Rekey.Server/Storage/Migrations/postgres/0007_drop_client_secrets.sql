-- The secrets live in clients.secrets since migration 6. A binary of an earlier release fails on the missing table
-- instead of serving secrets that are no longer current.
DROP TABLE client_secrets;
