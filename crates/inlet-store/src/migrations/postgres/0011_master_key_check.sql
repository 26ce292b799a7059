-- One row: a known plaintext sealed under the master key, with that key's
-- id. A start with a key that does not open it stops at once, instead of
-- failing with a 500 the first time a stored secret is used; and a store
-- holding it never gets a newly generated master key.
CREATE TABLE master_key_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key_id     TEXT NOT NULL,
    sealed     BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);
