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

CREATE TRIGGER jobs_counted_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO job_counts (org_id, status, kind, n) VALUES (NEW.org_id, NEW.status, NEW.kind, 1)
    ON CONFLICT (org_id, status, kind) DO UPDATE SET n = job_counts.n + 1;
END;
CREATE TRIGGER jobs_counted_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET n = n - 1
    WHERE org_id = OLD.org_id AND status = OLD.status AND kind = OLD.kind;
END;
CREATE TRIGGER jobs_counted_update AFTER UPDATE OF status ON jobs WHEN OLD.status <> NEW.status BEGIN
    UPDATE job_counts SET n = n - 1
    WHERE org_id = OLD.org_id AND status = OLD.status AND kind = OLD.kind;
    INSERT INTO job_counts (org_id, status, kind, n) VALUES (NEW.org_id, NEW.status, NEW.kind, 1)
    ON CONFLICT (org_id, status, kind) DO UPDATE SET n = job_counts.n + 1;
END;

CREATE TABLE audit_counts (
    org_id  BIGINT PRIMARY KEY,
    n       BIGINT NOT NULL
);
INSERT INTO audit_counts (org_id, n) SELECT org_id, count(*) FROM audit_events GROUP BY org_id;

CREATE TRIGGER audit_counted_insert AFTER INSERT ON audit_events BEGIN
    INSERT INTO audit_counts (org_id, n) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET n = audit_counts.n + 1;
END;
CREATE TRIGGER audit_counted_delete AFTER DELETE ON audit_events BEGIN
    UPDATE audit_counts SET n = n - 1 WHERE org_id = OLD.org_id;
END;
