-- A connection's name is unique within its organization, as a collection's is: 002 addresses
-- connections by name, and its check-then-create let two concurrent creates share one name.
-- Older duplicates keep the name on the oldest connection; each other one gets its id appended.
UPDATE connections SET name = name || ' (sc_' || id || ')', sort_name = sort_name || ' (sc_' || id || ')'
WHERE EXISTS (
  SELECT 1 FROM connections older
  WHERE older.org_id = connections.org_id AND older.name = connections.name AND older.id < connections.id
);
CREATE UNIQUE INDEX connections_org_unique_name ON connections (org_id, name);
