-- An organization's jobs across its connections, newest first (the console's
-- overview and GET /api/v1/jobs), optionally by status ("what failed lately").
CREATE INDEX jobs_org ON jobs (org_id, id);
CREATE INDEX jobs_org_status ON jobs (org_id, status, id);
-- The overview's counts of connections per status and alive, read from the
-- index alone (no table rows).
CREATE INDEX connections_org_status_sync ON connections (org_id, status, sync_ok);
