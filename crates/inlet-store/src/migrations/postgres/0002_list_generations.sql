-- A per-organization counter bumped in the same transaction as every write
-- to its connections; cached list pages (on every node) are valid only at the
-- generation they were computed at.
CREATE TABLE list_generations (
    org_id      BIGINT PRIMARY KEY,
    generation  BIGINT NOT NULL
);
