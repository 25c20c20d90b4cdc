-- Mirrors postgres/0004_master_keys.sql (see there for why).
CREATE TABLE master_keys (
    master_key_id TEXT    PRIMARY KEY,
    check_value   BLOB,
    created_at    INTEGER NOT NULL,
    retired_at    INTEGER
);

CREATE TABLE data_key_wraps (
    key_id        TEXT    NOT NULL REFERENCES data_keys(key_id),
    master_key_id TEXT    NOT NULL REFERENCES master_keys(master_key_id),
    wrapped       BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (key_id, master_key_id)
);

INSERT INTO master_keys (master_key_id, check_value, created_at)
SELECT master_key_id, NULL, MIN(created_at) FROM data_keys GROUP BY master_key_id;

INSERT INTO data_key_wraps (key_id, master_key_id, wrapped, created_at)
SELECT key_id, master_key_id, wrapped, created_at FROM data_keys;
