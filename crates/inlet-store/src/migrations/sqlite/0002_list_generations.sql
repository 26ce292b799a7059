-- A per-organization counter bumped in the same transaction as every write
-- to its connections; cached list pages are valid only at the generation
-- they were computed at.
CREATE TABLE list_generations (
    org_id      INTEGER PRIMARY KEY,
    generation  INTEGER NOT NULL
);
