//! Reading jobs: the row mapping, each job's per-stream progress (its
//! counts and bytes are their sums), and the filter of an organization's
//! job lists.

use inlet_core::error::CoreResult;
use inlet_core::ids::{ConnectionId, JobId, OrgId};
use inlet_core::list::JobFilter;
use inlet_core::model::Timestamp;
use inlet_core::model::job::{Counts, Job, JobError, JobStatus, NewJob, StreamProgress};
use inlet_core::model::wire::WireEnum;

use crate::db::{DbError, Row, Sql};
use crate::rows::{self, ms, opt_ts, ts, wire};
use crate::sql_store::SqlStore;

/// Columns of `jobs` (streams are loaded separately).
pub(crate) fn job(r: &Row) -> Result<Job, DbError> {
    let error = match (r.opt_text("error_code")?, r.opt_text("error_message")?) {
        (Some(code), Some(message)) => Some(JobError { code, message }),
        _ => None,
    };
    Ok(Job {
        id: JobId(r.i64("id")?),
        org_id: OrgId(r.i64("org_id")?),
        connection_id: ConnectionId(r.i64("connection_id")?),
        kind: wire(&r.text("kind")?)?,
        trigger: wire(&r.text("triggered_by")?)?,
        status: wire(&r.text("status")?)?,
        force_full: r.i64("force_full")? != 0,
        attempts: u32::try_from(r.i64("attempts")?).unwrap_or(u32::MAX),
        max_attempts: u32::try_from(r.i64("max_attempts")?).unwrap_or(u32::MAX),
        run_after: ts(r.i64("run_after")?)?,
        worker: r.opt_text("worker")?,
        lease_expires_at: opt_ts(r.opt_i64("lease_expires_at")?)?,
        cancel_requested: r.i64("cancel_requested")? != 0,
        index_seq: r.opt_i64("index_seq")?.and_then(|s| u64::try_from(s).ok()),
        // Summed from its streams by `with_streams`.
        counts: Counts::default(),
        bytes: 0,
        streams: Vec::new(),
        error,
        created_at: ts(r.i64("created_at")?)?,
        started_at: opt_ts(r.opt_i64("started_at")?)?,
        finished_at: opt_ts(r.opt_i64("finished_at")?)?,
        updated_at: ts(r.i64("updated_at")?)?,
    })
}

/// The `n_*` count columns of `job_streams`.
fn counts(r: &Row) -> Result<Counts, DbError> {
    let n = |c: &str| r.i64(c).map(|v| u64::try_from(v).unwrap_or(0));
    Ok(Counts {
        read: n("n_read")?,
        inserted: n("n_inserted")?,
        updated: n("n_updated")?,
        deleted: n("n_deleted")?,
        unchanged: n("n_unchanged")?,
        skipped: n("n_skipped")?,
    })
}

fn stream(r: &Row) -> Result<(JobId, StreamProgress), DbError> {
    Ok((
        JobId(r.i64("job_id")?),
        StreamProgress {
            name: r.text("stream")?,
            status: r.text("status")?,
            mode: r.text("mode")?,
            counts: counts(r)?,
            bytes: u64::try_from(r.i64("bytes")?).unwrap_or(0),
            skipped_reasons: rows::json(r, "skipped_reasons")?,
            notes: rows::json(r, "notes")?,
        },
    ))
}

impl SqlStore {
    /// Attaches each job's per-stream progress, and its counts and bytes
    /// as their sums (one query for the lot).
    pub(crate) async fn with_streams(&self, mut jobs: Vec<Job>) -> CoreResult<Vec<Job>> {
        if jobs.is_empty() {
            return Ok(jobs);
        }
        let mut q = Sql::new("SELECT * FROM job_streams WHERE job_id IN (");
        for (i, j) in jobs.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(j.id.0);
        }
        q.push(") ORDER BY job_id, ordinal");
        for row in self.db.fetch_all(&q).await? {
            let (id, s) = stream(&row)?;
            if let Some(j) = jobs.iter_mut().find(|j| j.id == id) {
                j.counts += s.counts;
                j.bytes += s.bytes;
                j.streams.push(s);
            }
        }
        Ok(jobs)
    }
}

/// `select` over an organization's jobs matching `filter` (a list and its
/// count share it). A restricted key reaches jobs through their
/// connection's collection.
pub(crate) fn org_jobs(select: &str, org: OrgId, filter: &JobFilter) -> Sql {
    let mut q = Sql::new(select);
    if !filter.within_collections.is_empty() {
        q.push(" JOIN connections c ON c.id = j.connection_id AND c.collection_id IN ")
            .bind_list(filter.within_collections.iter().map(|c| c.0));
    }
    q.push(" WHERE j.org_id = ").bind(org.0);
    if let Some(status) = filter.status {
        q.push(" AND j.status = ").bind(status.as_str());
    }
    if let Some(kind) = filter.kind {
        q.push(" AND j.kind = ").bind(kind.as_str());
    }
    q
}

/// How many of `org`'s jobs `filter` selects: read from the counts kept by
/// status and kind (migration 15) unless the filter narrows to collections,
/// which only the rows can answer.
pub(crate) fn org_job_count(org: OrgId, filter: &JobFilter) -> Sql {
    if !filter.within_collections.is_empty() {
        return org_jobs("SELECT count(*) AS n FROM jobs j", org, filter);
    }
    // sum() of BIGINT is NUMERIC on PostgreSQL: cast back.
    let mut q =
        Sql::new("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM job_counts WHERE org_id = ");
    q.bind(org.0);
    if let Some(status) = filter.status {
        q.push(" AND status = ").bind(status.as_str());
    }
    if let Some(kind) = filter.kind {
        q.push(" AND kind = ").bind(kind.as_str());
    }
    q
}

/// `status IN ('queued', 'running')`, bound from the domain's list.
pub(crate) fn active_condition(q: &mut Sql, column: &str) {
    q.push(" ").push(column).push(" IN (");
    for (i, s) in JobStatus::ACTIVE.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(s.as_str());
    }
    q.push(")");
}

/// The insert of a new job of a connection of its organization (no row when
/// the connection is not the organization's); claimed at once when
/// `claimed_by` says so. An active job of the same kind fails it with a
/// unique violation, or, with `unless_active`, makes it insert nothing.
pub(crate) fn job_insert(new: &NewJob, now: Timestamp, unless_active: bool) -> Sql {
    let (status, worker, lease, attempts, started) = match &new.claimed_by {
        Some((w, until)) => (
            JobStatus::Running,
            Some(w.clone()),
            Some(ms(*until)),
            1_i64,
            Some(ms(now)),
        ),
        None => (JobStatus::Queued, None, None, 0, None),
    };
    // Without a conflict target, DO NOTHING covers the partial unique index
    // `jobs_one_active` on both engines.
    let on_conflict = if unless_active {
        " ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    Sql::new(&format!(
        "INSERT INTO jobs (org_id, connection_id, kind, triggered_by, status, force_full, attempts, \
         max_attempts, run_after, worker, lease_expires_at, created_at, started_at, updated_at) \
         SELECT c.org_id, c.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM connections c \
         WHERE c.org_id = ? AND c.id = ?{on_conflict} RETURNING *"
    ))
    .arg(new.kind.as_str())
    .arg(new.trigger.as_str())
    .arg(status.as_str())
    .arg(new.force_full)
    .arg(attempts)
    .arg(new.max_attempts)
    .arg(ms(now))
    .arg(worker)
    .arg(lease)
    .arg(ms(now))
    .arg(started)
    .arg(ms(now))
    .arg(new.org_id.0)
    .arg(new.connection_id.0)
}
