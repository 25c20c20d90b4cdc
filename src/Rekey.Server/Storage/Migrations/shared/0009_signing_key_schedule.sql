-- Signing keys are announced before they sign and stay published until their tokens have expired: each key gets the
-- time it starts signing (activates_at) and, once a successor is scheduled, the time it leaves the JWKS (retires_at).
-- Keys that exist already signed from their creation. A key that a newer one had already replaced keeps being
-- published for the longest access token lifetime (7 days) and five minutes after its successor was created; the
-- releases before this one kept it until the next rotation, so nothing that verified before stops verifying early.
-- Written once for both engines: bigint is an integer column in SQLite too.
ALTER TABLE signing_keys ADD COLUMN activates_at bigint;
ALTER TABLE signing_keys ADD COLUMN retires_at bigint;

UPDATE signing_keys SET activates_at = created_at;

UPDATE signing_keys SET retires_at = (
    SELECT MIN(n.created_at) FROM signing_keys n WHERE n.service_id = signing_keys.service_id AND n.created_at > signing_keys.created_at
) + 604800000 + 300000
WHERE EXISTS (SELECT 1 FROM signing_keys n WHERE n.service_id = signing_keys.service_id AND n.created_at > signing_keys.created_at);
