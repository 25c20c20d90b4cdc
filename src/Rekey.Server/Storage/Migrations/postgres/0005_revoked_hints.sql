-- A revoked secret keeps nothing derived from its value: its ciphertext and digest were already wiped, and now its
-- hint (the first four characters) goes too, for the rows revoked before this release.
UPDATE client_secrets SET hint = NULL WHERE state = 2;
