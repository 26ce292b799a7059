-- Connection tests and schema discovery.
ALTER TABLE connections ADD COLUMN schema_auto_refresh INTEGER NOT NULL DEFAULT 0;
-- A lease: set while a schema refresh runs, so at most one runs per connection.
ALTER TABLE connections ADD COLUMN schema_refresh_claimed_at INTEGER;
CREATE INDEX connections_schema_refresh ON connections (schema_auto_refresh, schema_discovered_at);

CREATE TABLE connection_schemas (
    connection_id  INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    org_id         INTEGER NOT NULL,
    schema_json    TEXT NOT NULL,
    discovered_at  INTEGER NOT NULL
);
