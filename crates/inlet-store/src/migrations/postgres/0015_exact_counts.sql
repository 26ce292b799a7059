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

-- A status change touches two counter rows; it takes them in status order, so two transitions in
-- opposite directions (a claim and a retry) cannot deadlock.
CREATE FUNCTION count_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO job_counts (org_id, status, kind, n) VALUES (NEW.org_id, NEW.status, NEW.kind, 1)
        ON CONFLICT (org_id, status, kind) DO UPDATE SET n = job_counts.n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE job_counts SET n = n - 1
        WHERE org_id = OLD.org_id AND status = OLD.status AND kind = OLD.kind;
    ELSIF OLD.status < NEW.status THEN
        UPDATE job_counts SET n = n - 1
        WHERE org_id = OLD.org_id AND status = OLD.status AND kind = OLD.kind;
        INSERT INTO job_counts (org_id, status, kind, n) VALUES (NEW.org_id, NEW.status, NEW.kind, 1)
        ON CONFLICT (org_id, status, kind) DO UPDATE SET n = job_counts.n + 1;
    ELSE
        INSERT INTO job_counts (org_id, status, kind, n) VALUES (NEW.org_id, NEW.status, NEW.kind, 1)
        ON CONFLICT (org_id, status, kind) DO UPDATE SET n = job_counts.n + 1;
        UPDATE job_counts SET n = n - 1
        WHERE org_id = OLD.org_id AND status = OLD.status AND kind = OLD.kind;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_counted AFTER INSERT OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION count_job();
CREATE TRIGGER jobs_status_counted AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION count_job();

CREATE TABLE audit_counts (
    org_id  BIGINT PRIMARY KEY,
    n       BIGINT NOT NULL
);
INSERT INTO audit_counts (org_id, n) SELECT org_id, count(*) FROM audit_events GROUP BY org_id;

CREATE FUNCTION count_audit_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_counts (org_id, n) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET n = audit_counts.n + 1;
    ELSE
        UPDATE audit_counts SET n = n - 1 WHERE org_id = OLD.org_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_counted AFTER INSERT OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION count_audit_event();
