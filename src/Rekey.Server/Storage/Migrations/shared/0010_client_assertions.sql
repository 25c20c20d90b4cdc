-- client_secret_jwt (RFC 7523 §2.2): the jti of every accepted client assertion, remembered per client until the
-- assertion could no longer be accepted (its exp plus the clock skew; exp is at most minutes ahead), so that no
-- assertion is accepted twice, by any node. Expired rows are deleted by the background upkeep, off the request path.
-- Numbered 10: version 9 is taken by work on another branch. Written once for both engines.
CREATE TABLE client_assertions (
    client_id      bigint NOT NULL,
    jti            text   NOT NULL,
    remember_until bigint NOT NULL,
    PRIMARY KEY (client_id, jti)
);

CREATE INDEX ix_client_assertions_until ON client_assertions (remember_until);
