-- Connection tests and schema discovery.
ALTER TABLE connections ADD COLUMN schema_auto_refresh BIGINT NOT NULL DEFAULT 0;
-- A lease: set while a schema refresh runs, so at most one runs per connection.
ALTER TABLE connections ADD COLUMN schema_refresh_claimed_at BIGINT;
CREATE INDEX connections_schema_refresh ON connections (schema_auto_refresh, schema_discovered_at);

CREATE TABLE connection_schemas (
    connection_id  BIGINT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    org_id         BIGINT NOT NULL,
    schema_json    TEXT NOT NULL,
    discovered_at  BIGINT NOT NULL
);
