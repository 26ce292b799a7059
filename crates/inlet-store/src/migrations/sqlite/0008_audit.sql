-- The audit trail: one row per change, written in the change's transaction.
-- No foreign keys to the objects: an event outlives what it describes.
CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    actor_key_id    INTEGER,
    actor_key_name  TEXT NOT NULL,
    actor_user_id   INTEGER,
    action          TEXT NOT NULL,
    object_type     TEXT NOT NULL,
    object_id       TEXT,
    summary         TEXT NOT NULL,
    request_id      TEXT,
    client_addr     TEXT
);
-- Newest first per organization, and the filters people use most.
CREATE INDEX audit_events_org ON audit_events (org_id, id);
CREATE INDEX audit_events_object ON audit_events (org_id, object_type, object_id, id);
CREATE INDEX audit_events_action ON audit_events (org_id, action, id);
CREATE INDEX audit_events_at ON audit_events (at);
