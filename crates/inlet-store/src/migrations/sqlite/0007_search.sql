-- Search: Inlet cuts text into tokens itself (the same on both stores), and
-- FTS5 indexes those tokens as they are: a contentless table (the text
-- lives in documents once) written by the batch that writes the document,
-- its rows deleted by trigger with the document.
DROP TRIGGER documents_fts_insert;
DROP TRIGGER documents_fts_update;
DROP TRIGGER documents_fts_delete;
DROP TABLE documents_fts;
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, body, content = '', contentless_delete = 1, tokenize = 'ascii'
);
INSERT INTO documents_fts (documents_fts, rank) VALUES ('automerge', 16);
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    DELETE FROM documents_fts WHERE rowid = old.id;
END;

-- Documents indexed before are indexed again by the next sync of their
-- connection: no hash matches, and every stream starts a full pass.
UPDATE documents SET content_hash = '';
DELETE FROM sync_streams;

-- Alive: active, and the last finished sync completed (a running re-sync
-- keeps the previous answer).
ALTER TABLE connections ADD COLUMN sync_ok INTEGER NOT NULL DEFAULT 0;
UPDATE connections SET sync_ok = 1 WHERE last_sync_status = 'completed';
