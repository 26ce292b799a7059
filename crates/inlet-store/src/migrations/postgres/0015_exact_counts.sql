-- Exact totals without counting rows per request: each organization's jobs by status and kind,
-- and its audit events, kept by triggers in the transaction of the change (so no statement can
-- forget them). GET /api/v1/jobs and the audit trail read their totals from here.
CREATE TABLE job_counts (
    org_id  BIGINT NOT NULL,
    status  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (org_id, status, kind)
);
INSERT INTO job_counts (org_id, status, kind, n)
SELECT org_id, status, kind, count(*) FROM jobs GROUP BY org_id, status, kind;

-- Statement-level triggers over transition tables: one statement changing many jobs (a connection
-- delete, a bulk load) adds its deltas once per counter row; a row-level trigger would update the
-- same counter row once per job, and PostgreSQL walks every earlier version of a row updated
-- repeatedly in one transaction. Deltas are applied in key order, so two transactions cannot take
-- counter rows in opposite orders and deadlock.
-- An update moves a job from its old status to its new one (nothing, when the status stayed).
CREATE FUNCTION add_job_deltas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_counts (org_id, status, kind, n)
    SELECT org_id, status, kind, sum(d)::BIGINT FROM (
        SELECT org_id, status, kind, 1 AS d FROM new_rows
        UNION ALL
        SELECT org_id, status, kind, -1 AS d FROM old_rows
    ) AS deltas
    GROUP BY org_id, status, kind
    HAVING sum(d) <> 0
    ORDER BY org_id, status, kind
    ON CONFLICT (org_id, status, kind) DO UPDATE SET n = job_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE FUNCTION add_job_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_counts (org_id, status, kind, n)
    SELECT org_id, status, kind, count(*) FROM new_rows
    GROUP BY org_id, status, kind ORDER BY org_id, status, kind
    ON CONFLICT (org_id, status, kind) DO UPDATE SET n = job_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE FUNCTION add_job_deletes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_counts (org_id, status, kind, n)
    SELECT org_id, status, kind, -count(*) FROM old_rows
    GROUP BY org_id, status, kind ORDER BY org_id, status, kind
    ON CONFLICT (org_id, status, kind) DO UPDATE SET n = job_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_counted_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION add_job_inserts();
CREATE TRIGGER jobs_counted_delete AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION add_job_deletes();
CREATE TRIGGER jobs_counted_update AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION add_job_deltas();

CREATE TABLE audit_counts (
    org_id  BIGINT PRIMARY KEY,
    n       BIGINT NOT NULL
);
INSERT INTO audit_counts (org_id, n) SELECT org_id, count(*) FROM audit_events GROUP BY org_id;

CREATE FUNCTION add_audit_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_counts (org_id, n)
    SELECT org_id, count(*) FROM new_rows GROUP BY org_id ORDER BY org_id
    ON CONFLICT (org_id) DO UPDATE SET n = audit_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE FUNCTION add_audit_deletes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_counts (org_id, n)
    SELECT org_id, -count(*) FROM old_rows GROUP BY org_id ORDER BY org_id
    ON CONFLICT (org_id) DO UPDATE SET n = audit_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_counted_insert AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION add_audit_inserts();
CREATE TRIGGER audit_counted_delete AFTER DELETE ON audit_events
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION add_audit_deletes();
