//! Persistence of the job queue: queueing with at most one active job per
//! connection and kind (enforced by the store's unique index, never by a
//! check-then-act), atomic claims, leases renewed by heartbeats, and
//! cancellation.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{ConnectionId, JobId, OrgId};
use crate::list::{JobFilter, Page, PageRequest};
use crate::model::Timestamp;
use crate::model::job::{Job, JobError, JobKind, JobStatus, Lease, NewJob};

/// What a heartbeat learns about its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// Lease renewed; carry on.
    Renewed,
    /// Lease renewed, and a cancel was asked for.
    CancelRequested,
    /// The job is no longer ours (lease taken over, job deleted or cancelled
    /// while queued): stop without writing anything more.
    Lost,
}

/// The job queue.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Queues a job (or starts it, claimed, when `new.claimed_by` is set).
    /// Another queued or running job of the same kind on the connection is
    /// [`CoreError::JobActive`](crate::CoreError::JobActive) naming it.
    async fn enqueue_job(&self, new: NewJob, now: Timestamp) -> CoreResult<Job>;

    /// The queued or running job of `kind` on a connection, if any.
    async fn active_job_id(
        &self,
        org: OrgId,
        connection: ConnectionId,
        kind: JobKind,
    ) -> CoreResult<Option<JobId>>;

    /// How many jobs of `kind` on a connection ended with `status`.
    async fn count_jobs(
        &self,
        org: OrgId,
        connection: ConnectionId,
        kind: JobKind,
        status: JobStatus,
    ) -> CoreResult<u64>;

    /// One job of `org`.
    async fn get_job(&self, org: OrgId, id: JobId) -> CoreResult<Job>;

    /// A connection's jobs, newest first.
    async fn list_jobs(
        &self,
        org: OrgId,
        connection: ConnectionId,
        page: PageRequest,
    ) -> CoreResult<Page<Job>>;

    /// The jobs of all of `org`'s connections matching `filter`, newest first.
    async fn list_org_jobs(
        &self,
        org: OrgId,
        filter: &JobFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Job>>;

    /// The newest `limit` of those jobs, without counting them all (a
    /// summary's "latest jobs").
    async fn latest_org_jobs(
        &self,
        org: OrgId,
        filter: &JobFilter,
        limit: u32,
    ) -> CoreResult<Vec<Job>>;

    /// Claims the oldest runnable job of one of `kinds`: a queued one whose
    /// `run_after` has passed, or a running one whose lease expired (its
    /// worker died; it resumes from its last committed batch). Atomic across
    /// workers and nodes.
    async fn claim_job(
        &self,
        worker: &str,
        kinds: &[JobKind],
        now: Timestamp,
        lease_until: Timestamp,
    ) -> CoreResult<Option<Job>>;

    /// The workers holding running jobs' leases.
    async fn running_job_workers(&self) -> CoreResult<Vec<String>>;

    /// Ends the leases of `workers`' running jobs now (their processes are
    /// known dead), so any worker resumes them at once; returns how many.
    async fn expire_leases(&self, workers: &[String], now: Timestamp) -> CoreResult<u64>;

    /// Renews a lease.
    async fn heartbeat_job(&self, lease: &Lease, lease_until: Timestamp) -> CoreResult<Heartbeat>;

    /// Ends a job held under `lease` with a final status; `false` when the
    /// lease was lost meanwhile.
    async fn finish_job(
        &self,
        lease: &Lease,
        status: JobStatus,
        error: Option<&JobError>,
        now: Timestamp,
    ) -> CoreResult<bool>;

    /// Puts a failed attempt back in the queue until `run_after`.
    async fn retry_job(
        &self,
        lease: &Lease,
        run_after: Timestamp,
        error: &JobError,
        now: Timestamp,
    ) -> CoreResult<bool>;

    /// Cancels a job: a queued one at once, a running one by flagging it for
    /// its worker. Final jobs are returned unchanged.
    async fn request_cancel(&self, org: OrgId, id: JobId, now: Timestamp) -> CoreResult<Job>;

    /// Queues a scheduled schema refresh for every connection with
    /// `schemaAutoRefresh` whose schema is older than `stale_before` (or
    /// missing) and that had no schema refresh job created since
    /// `stale_before` (so a failing source is retried once per interval).
    /// Returns how many were queued.
    async fn enqueue_stale_schema_refreshes(
        &self,
        now: Timestamp,
        stale_before: Timestamp,
        limit: u32,
    ) -> CoreResult<u64>;
}
