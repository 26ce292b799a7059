-- Search: Inlet cuts text into tokens itself (the same on both stores) and
-- writes each document's tsvector from them (title weight A, text D).
-- Documents indexed before are indexed again by the next sync of their
-- connection: no hash matches, and every stream starts a full pass.
UPDATE documents SET content_hash = '';
DELETE FROM sync_streams;

-- Alive: active, and the last finished sync completed (a running re-sync
-- keeps the previous answer).
ALTER TABLE connections ADD COLUMN sync_ok BIGINT NOT NULL DEFAULT 0;
UPDATE connections SET sync_ok = 1 WHERE last_sync_status = 'completed';
