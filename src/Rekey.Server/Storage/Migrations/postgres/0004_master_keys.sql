-- Master keys become records of their own, and a data key may be wrapped under several of them at once, so that a
-- new master key is added (rewrap) and an old one retired as two explicit steps; until the old one is retired, nodes
-- that have only it keep working. Mirrors sqlite/0004_master_keys.sql. The check value (an HKDF output of the key
-- under its own label) makes other key material under a known ID a refused start instead of unreadable data; keys
-- recorded by this migration get theirs at the next start that opens one of their wrappings.
CREATE TABLE master_keys (
    master_key_id text   COLLATE "C" PRIMARY KEY,
    check_value   bytea,
    created_at    bigint NOT NULL,
    retired_at    bigint
);

CREATE TABLE data_key_wraps (
    key_id        text   COLLATE "C" NOT NULL REFERENCES data_keys(key_id),
    master_key_id text   COLLATE "C" NOT NULL REFERENCES master_keys(master_key_id),
    wrapped       bytea  NOT NULL,
    created_at    bigint NOT NULL,
    PRIMARY KEY (key_id, master_key_id)
);

INSERT INTO master_keys (master_key_id, check_value, created_at)
SELECT master_key_id, NULL, MIN(created_at) FROM data_keys GROUP BY master_key_id;

INSERT INTO data_key_wraps (key_id, master_key_id, wrapped, created_at)
SELECT key_id, master_key_id, wrapped, created_at FROM data_keys;

-- data_keys.master_key_id and data_keys.wrapped stay (one of the key's wrappings) for nodes of the previous release
-- during a rolling upgrade; they are no longer read.
