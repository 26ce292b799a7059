-- Inlet schema v1 (SQLite). Times are Unix milliseconds (UTC).
CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE memberships (
    org_id      INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE api_keys (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         INTEGER REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    prefix          TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    collection_ids  TEXT NOT NULL,
    instance_admin  INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER,
    revoked_at      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    sort_name   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT collections_org_name UNIQUE (org_id, name),
    CONSTRAINT collections_org_id UNIQUE (org_id, id)
);
CREATE INDEX collections_org_sort ON collections (org_id, sort_name, id);

-- The composite foreign key makes the store refuse a connection whose
-- collection belongs to another organization; RESTRICT makes deleting a
-- non-empty collection fail atomically unless its connections go first.
CREATE TABLE connections (
    id                             INTEGER PRIMARY KEY,
    org_id                         INTEGER NOT NULL,
    collection_id                  INTEGER NOT NULL,
    source_type                    TEXT NOT NULL,
    name                           TEXT NOT NULL,
    sort_name                      TEXT NOT NULL,
    description                    TEXT NOT NULL DEFAULT '',
    settings                       TEXT NOT NULL,
    config                         TEXT NOT NULL,
    secret_fields                  TEXT NOT NULL,
    secrets                        BLOB,
    secrets_key_id                 TEXT,
    tags                           TEXT NOT NULL,
    status                         TEXT NOT NULL,
    last_tested_at                 INTEGER,
    last_successful_connection_at  INTEGER,
    last_error                     TEXT,
    schema_discovered_at           INTEGER,
    created_at                     INTEGER NOT NULL,
    updated_at                     INTEGER NOT NULL,
    FOREIGN KEY (org_id, collection_id) REFERENCES collections (org_id, id) ON DELETE RESTRICT
);
-- One index per sort key, each led by the tenant, so a page is an index walk.
CREATE INDEX connections_org_created ON connections (org_id, created_at, id);
CREATE INDEX connections_org_updated ON connections (org_id, updated_at, id);
CREATE INDEX connections_org_name ON connections (org_id, sort_name, id);
CREATE INDEX connections_org_type ON connections (org_id, source_type, sort_name, id);
CREATE INDEX connections_org_status ON connections (org_id, status, sort_name, id);
CREATE INDEX connections_org_collection ON connections (org_id, collection_id, created_at, id);
CREATE INDEX connections_secrets_key ON connections (secrets_key_id);

CREATE TABLE connection_tags (
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    org_id         INTEGER NOT NULL,
    tag            TEXT NOT NULL,
    PRIMARY KEY (connection_id, tag)
);
CREATE INDEX connection_tags_org_tag ON connection_tags (org_id, tag, connection_id);

-- Substring search on name and description: a trigram full-text index kept
-- in step by triggers.
CREATE VIRTUAL TABLE connections_fts USING fts5 (
    name, description, content = 'connections', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER connections_fts_insert AFTER INSERT ON connections BEGIN
    INSERT INTO connections_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER connections_fts_delete AFTER DELETE ON connections BEGIN
    INSERT INTO connections_fts (connections_fts, rowid, name, description)
    VALUES ('delete', old.id, old.name, old.description);
END;
CREATE TRIGGER connections_fts_update AFTER UPDATE OF name, description ON connections BEGIN
    INSERT INTO connections_fts (connections_fts, rowid, name, description)
    VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO connections_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
