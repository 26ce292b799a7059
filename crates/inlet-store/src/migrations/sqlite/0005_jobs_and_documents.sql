-- Jobs, sync state and indexed documents.
-- The schema-refresh lease moves to the job queue.
ALTER TABLE connections DROP COLUMN schema_refresh_claimed_at;
ALTER TABLE connections DROP COLUMN schema_refresh_after;
ALTER TABLE connections ADD COLUMN last_synced_at INTEGER;
ALTER TABLE connections ADD COLUMN last_sync_status TEXT;
ALTER TABLE connections ADD COLUMN document_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL,
    connection_id     INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    triggered_by      TEXT NOT NULL,
    status            TEXT NOT NULL,
    force_full        INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    max_attempts      INTEGER NOT NULL,
    run_after         INTEGER NOT NULL,
    worker            TEXT,
    lease_expires_at  INTEGER,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    error_code        TEXT,
    error_message     TEXT,
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    finished_at       INTEGER,
    updated_at        INTEGER NOT NULL
);
-- At most one queued-or-running job per connection and kind: the store, not
-- a check in code, refuses the second.
CREATE UNIQUE INDEX jobs_one_active ON jobs (connection_id, kind) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_runnable ON jobs (status, run_after, id);
CREATE INDEX jobs_connection ON jobs (org_id, connection_id, id);
CREATE INDEX jobs_connection_kind ON jobs (connection_id, kind, created_at);

-- A job's counts and bytes are the sums of its streams' (one place to write them).
CREATE TABLE job_streams (
    job_id           INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    stream           TEXT NOT NULL,
    ordinal          INTEGER NOT NULL,
    status           TEXT NOT NULL,
    mode             TEXT NOT NULL,
    n_read           INTEGER NOT NULL DEFAULT 0,
    n_inserted       INTEGER NOT NULL DEFAULT 0,
    n_updated        INTEGER NOT NULL DEFAULT 0,
    n_deleted        INTEGER NOT NULL DEFAULT 0,
    n_unchanged      INTEGER NOT NULL DEFAULT 0,
    n_skipped        INTEGER NOT NULL DEFAULT 0,
    bytes            INTEGER NOT NULL DEFAULT 0,
    skipped_reasons  TEXT NOT NULL DEFAULT '[]',
    notes            TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (job_id, stream)
);

CREATE TABLE sync_streams (
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    org_id         INTEGER NOT NULL,
    stream         TEXT NOT NULL,
    cursor         TEXT,
    position       TEXT,
    pass           INTEGER,
    completed_by   INTEGER,
    PRIMARY KEY (connection_id, stream)
);

-- No foreign key to connections: a per-row check would cost as much as the
-- rest of the insert. Deleting a connection (or a collection with its
-- connections) deletes its documents and marks in the same transaction.
CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL,
    connection_id  INTEGER NOT NULL,
    stream         TEXT NOT NULL,
    key            TEXT NOT NULL,
    title          TEXT NOT NULL,
    data           TEXT NOT NULL,
    text           TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    -- The full pass that last wrote this document (new or changed in it).
    seen_pass      INTEGER,
    synced_at      INTEGER NOT NULL,
    CONSTRAINT documents_key UNIQUE (connection_id, stream, key)
);

-- Unchanged documents a full pass has seen. Narrow, so marking one costs
-- no rewrite of the document (on PostgreSQL an UPDATE would re-insert it
-- into every index, the GIN one included). A pass deletes the stream's
-- documents it neither wrote nor marked, then forgets its marks.
CREATE TABLE document_seen (
    pass           INTEGER NOT NULL,
    document_id    INTEGER NOT NULL,
    connection_id  INTEGER NOT NULL,
    stream         TEXT NOT NULL,
    PRIMARY KEY (pass, document_id)
) WITHOUT ROWID;
CREATE INDEX document_seen_stream ON document_seen (connection_id, stream, pass);

-- The full-text index over title and text, kept in step by triggers in the
-- same transaction as every document write.
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, text, content = 'documents', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, text ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO documents_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
INSERT INTO documents_fts (documents_fts, rank) VALUES ('automerge', 16);
