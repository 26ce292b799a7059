-- Each organization's outbound policy (JSON, set by an instance
-- administrator). NULL is the restricted default every new organization
-- starts with: no loopback, not Inlet's own address, no file roots. The
-- first organization, the instance's own, keeps the instance policy as it
-- is configured.
ALTER TABLE organizations ADD COLUMN outbound_policy TEXT;
UPDATE organizations
   SET outbound_policy = '{"allowedNetworks":[],"deniedNetworks":[],"denyLocal":false,"fileRoots":null}'
 WHERE id = (SELECT min(id) FROM organizations);

-- A key never outlives the key that created it: revoking a key, or ending
-- the membership of the user whose key it was, revokes every key made
-- under it (parent_key_id); its expiry is capped at its creator's.
ALTER TABLE api_keys ADD COLUMN parent_key_id BIGINT;
CREATE INDEX api_keys_parent ON api_keys (parent_key_id);
