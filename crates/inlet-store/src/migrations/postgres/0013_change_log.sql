-- Search moves to an index each node keeps itself (crate inlet-index),
-- which follows the store's change log: the store no longer indexes text.
-- Documents keep their text, so nothing needs syncing again.
DROP INDEX IF EXISTS documents_tsv;
ALTER TABLE documents DROP COLUMN IF EXISTS tsv;

-- The log's head: the last seq handed out (gapless, in commit order: a
-- writer takes it with the last statement of its transaction, and the row
-- stays locked until it commits), the seq through which changes were
-- pruned, and a random id telling an index built from another store.
CREATE TABLE index_state (
    one             INTEGER PRIMARY KEY CHECK (one = 1),
    seq             BIGINT NOT NULL,
    pruned_through  BIGINT NOT NULL,
    store_id        TEXT NOT NULL
);
INSERT INTO index_state (one, seq, pruned_through, store_id)
    VALUES (1, 0, 0, replace(gen_random_uuid()::text, '-', ''));

-- One row per writing transaction, not per document. kind 'batch': a sync
-- batch of connection_id, with the ids it inserted, updated and deleted;
-- kind 'clear': every document of the connections listed in deleted. Ids
-- are little-endian 8-byte integers, one after the other.
CREATE TABLE index_changes (
    seq            BIGINT PRIMARY KEY,
    org_id         BIGINT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('batch', 'clear')),
    connection_id  BIGINT,
    inserted       BYTEA,
    updated        BYTEA,
    deleted        BYTEA,
    committed_at   BIGINT NOT NULL
);

-- The nodes following the log: pruning keeps every change a node heard
-- from recently has not applied yet.
CREATE TABLE index_nodes (
    node          TEXT PRIMARY KEY,
    applied_seq   BIGINT NOT NULL,
    heartbeat_at  BIGINT NOT NULL
);

-- The seq of a job's last batch that changed documents.
ALTER TABLE jobs ADD COLUMN index_seq BIGINT;
