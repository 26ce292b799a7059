//! Jobs as callers see them: starting a sync, reading jobs, cancelling, and
//! the guard that keeps a connection still while a sync holds it.

use super::Services;
use super::access::Credential;
use super::ensure_switched_on;
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::{ConnectionId, JobId, job_label};
use crate::list::{JobFilter, Page, PageRequest};
use crate::model::audit::{AuditAction, AuditDraft};
use crate::model::connection::Connection;
use crate::model::job::{Job, JobKind, JobStatus, JobTrigger, NewJob};
use crate::model::now;
use crate::model::wire::WireEnum;

/// A job being followed (see [`Services::watch_job`]).
pub struct JobWatch {
    services: Services,
    credential: Credential,
    org: crate::ids::OrgId,
    id: JobId,
}

impl JobWatch {
    /// The job now; `NotFound` once it is gone with its connection.
    pub async fn current(&self) -> CoreResult<Job> {
        self.services.store.get_job(self.org, self.id).await
    }

    /// Whether the watcher may still follow the job: its credential is
    /// still accepted (key not revoked or expired, membership kept, console
    /// session not ended) and the caller it stands for may still read the
    /// job. A long-lived stream calls this every few seconds; the first
    /// refusal ends it.
    pub async fn recheck(&self) -> CoreResult<()> {
        let who = self.services.recheck(&self.credential).await?;
        self.services.get_job(&who, self.id).await.map(|_| ())
    }
}

/// Attempts a sync gets before a failure is final (a dead worker's job is
/// resumed within these too).
pub const SYNC_ATTEMPTS: u32 = 3;

impl Services {
    /// Queues a sync of a connection. Switched-off connections refuse; a
    /// queued or running sync of the same connection is
    /// [`CoreError::JobActive`] (the store's unique index decides, so two
    /// concurrent requests cannot both queue one). With config
    /// `fullRefreshEvery: N`, every Nth sync is queued as a full refresh.
    pub async fn run_sync(
        &self,
        who: &Principal,
        id: ConnectionId,
        trigger: JobTrigger,
        force_full: bool,
    ) -> CoreResult<Job> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        let event = who
            .audit(AuditAction::JobStarted)
            .note("kind", JobKind::Sync.as_str())
            .note("sourceConnectionId", id.to_string())
            .note("forceFullSync", force_full);
        self.enqueue_sync(&conn, trigger, force_full, Some(event))
            .await
    }

    /// Queues a sync of a connection already read (and, for a caller,
    /// access-checked): the one path of manual, API and scheduled syncs.
    /// A caller's sync is recorded in the audit trail (`event`); the
    /// scheduler's are not (they are the schedule a caller set).
    pub(crate) async fn enqueue_sync(
        &self,
        conn: &Connection,
        trigger: JobTrigger,
        force_full: bool,
        event: Option<AuditDraft>,
    ) -> CoreResult<Job> {
        ensure_switched_on(conn, "sync")?;
        let new = self.new_sync(conn, trigger, force_full).await?;
        let store = match event {
            Some(e) => self.store.audited(e),
            None => self.store.clone(),
        };
        let job = store.enqueue_job(new, now()).await?;
        tracing::info!(connection = %conn.id, job = %job.id, force_full = job.force_full, trigger = %trigger, "sync queued");
        self.wake_workers();
        Ok(job)
    }

    /// A sync of `conn` to queue: a full refresh when asked for or when
    /// the connection's `fullRefreshEvery` makes it due.
    pub(crate) async fn new_sync(
        &self,
        conn: &Connection,
        trigger: JobTrigger,
        force_full: bool,
    ) -> CoreResult<NewJob> {
        Ok(NewJob {
            org_id: conn.org_id,
            connection_id: conn.id,
            kind: JobKind::Sync,
            trigger,
            force_full: force_full || self.full_refresh_due(conn).await?,
            max_attempts: SYNC_ATTEMPTS,
            claimed_by: None,
        })
    }

    /// Whether the connection's `fullRefreshEvery` makes its next sync a
    /// full refresh.
    async fn full_refresh_due(&self, conn: &Connection) -> CoreResult<bool> {
        let Some(every) = conn
            .config
            .get("fullRefreshEvery")
            .and_then(serde_json::Value::as_u64)
            .filter(|n| *n > 0)
        else {
            return Ok(false);
        };
        let done = self
            .store
            .count_jobs(conn.org_id, conn.id, JobKind::Sync, JobStatus::Completed)
            .await?;
        Ok((done + 1) % every == 0)
    }

    /// One job of a connection the caller can reach.
    pub async fn get_job(&self, who: &Principal, id: JobId) -> CoreResult<Job> {
        who.require(Scope::Read)?;
        let job = self.store.get_job(who.org_id, id).await?;
        // A restricted key sees jobs of its collections only.
        self.get_connection(who, job.connection_id)
            .await
            .map_err(|e| match e {
                CoreError::NotFound(_) | CoreError::Forbidden(_) => CoreError::NotFound("job"),
                other => other,
            })?;
        Ok(job)
    }

    /// Follows a job the caller may read: access is checked here, and
    /// [`JobWatch::current`] then re-reads only the job (an event stream
    /// polls it several times a second); [`JobWatch::recheck`] checks the
    /// caller's `credential` (the one `who` was made from) again.
    pub async fn watch_job(
        &self,
        who: &Principal,
        id: JobId,
        credential: Credential,
    ) -> CoreResult<(Job, JobWatch)> {
        let job = self.get_job(who, id).await?;
        let watch = JobWatch {
            services: self.clone(),
            credential,
            org: who.org_id,
            id,
        };
        Ok((job, watch))
    }

    /// A connection's jobs, newest first.
    pub async fn list_jobs(
        &self,
        who: &Principal,
        id: ConnectionId,
        page: PageRequest,
    ) -> CoreResult<Page<Job>> {
        self.get_connection(who, id).await?;
        self.store.list_jobs(who.org_id, id, page).await
    }

    /// The organization's jobs (of the connections the key may see),
    /// newest first: what is running, what failed lately.
    pub async fn list_org_jobs(
        &self,
        who: &Principal,
        mut filter: JobFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Job>> {
        who.require(Scope::Read)?;
        filter.within_collections = who.collections.clone();
        self.store.list_org_jobs(who.org_id, &filter, page).await
    }

    /// The organization's newest `limit` jobs matching `filter` (of the
    /// connections the key may see), without a total: the overview's.
    pub async fn latest_org_jobs(
        &self,
        who: &Principal,
        mut filter: JobFilter,
        limit: u32,
    ) -> CoreResult<Vec<Job>> {
        who.require(Scope::Read)?;
        filter.within_collections = who.collections.clone();
        self.store.latest_org_jobs(who.org_id, &filter, limit).await
    }

    /// Cancels a job: a queued one at once; a running one stops within
    /// seconds (its worker sees the flag at its next heartbeat or batch),
    /// keeping the batches it committed.
    pub async fn cancel_job(&self, who: &Principal, id: JobId) -> CoreResult<Job> {
        who.require(Scope::Write)?;
        let current = self.get_job(who, id).await?;
        let event = who
            .audit(AuditAction::JobCancelled)
            .object(job_label(id, current.kind));
        let job = self
            .store
            .audited(event)
            .request_cancel(who.org_id, id, now())
            .await?;
        tracing::info!(job = %id, status = %job.status, "job cancel requested");
        Ok(job)
    }

    /// Fails with [`CoreError::JobActive`] while a sync of the connection is
    /// queued or running (credentials, config, clearing and deleting wait).
    pub(crate) async fn ensure_no_active_sync(
        &self,
        who: &Principal,
        id: ConnectionId,
    ) -> CoreResult<()> {
        match self
            .store
            .active_job_id(who.org_id, id, JobKind::Sync)
            .await?
        {
            Some(job) => Err(CoreError::JobActive {
                job,
                kind: JobKind::Sync,
            }),
            None => Ok(()),
        }
    }

    /// Cancels the connection's active sync, if any, and waits up to `wait`
    /// for its worker to stop. A worker that does not stop in time (or died)
    /// loses its job with the connection: its next commit finds no lease.
    pub(crate) async fn cancel_active_sync(
        &self,
        who: &Principal,
        id: ConnectionId,
        wait: std::time::Duration,
        reason: &str,
    ) -> CoreResult<()> {
        let Some(active) = self
            .store
            .active_job_id(who.org_id, id, JobKind::Sync)
            .await?
        else {
            return Ok(());
        };
        let deadline = tokio::time::Instant::now() + wait;
        let event = who
            .audit(AuditAction::JobCancelled)
            .object(job_label(active, JobKind::Sync))
            .note("reason", reason);
        let mut job = self
            .store
            .audited(event)
            .request_cancel(who.org_id, active, now())
            .await?;
        while job.status == JobStatus::Running && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            job = self.store.get_job(who.org_id, job.id).await?;
        }
        Ok(())
    }
}
