//! [`JobStore`] over [`Db`](crate::db::Db): the job queue. The unique index
//! `jobs_one_active` keeps one queued-or-running job per connection and
//! kind; claims are one `UPDATE … RETURNING` (with `FOR UPDATE SKIP LOCKED`
//! on PostgreSQL, under the single writer on SQLite).

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{ConnectionId, JobId, OrgId, job_label};
use inlet_core::list::{JobFilter, Page, PageRequest};
use inlet_core::model::Timestamp;
use inlet_core::model::connection::ConnectionStatus;
use inlet_core::model::job::{Job, JobError, JobKind, JobStatus, Lease, NewJob};
use inlet_core::model::wire::WireEnum;
use inlet_core::store::{Heartbeat, JobStore};

use crate::db::{Backend, DbError, Sql, Tx};
use crate::job_rows::{active_condition, job, job_insert, org_job_count, org_jobs};
use crate::rows::ms;
use crate::sql_store::{SqlStore, bump, one};

impl SqlStore {
    /// Records a sync job's status on its connection (what the connection
    /// shows as `lastSyncStatus`), in the job's transaction.
    async fn note_sync_status(
        tx: &mut Tx<'_>,
        job: &Job,
        status: JobStatus,
        at: Timestamp,
    ) -> CoreResult<()> {
        if job.kind != JobKind::Sync {
            return Ok(());
        }
        let mut q = Sql::new("UPDATE connections SET last_sync_status = ");
        q.bind(status.as_str());
        match status {
            JobStatus::Completed => {
                q.push(", sync_ok = 1, last_synced_at = ").bind(ms(at));
            }
            JobStatus::Failed | JobStatus::Cancelled => {
                q.push(", sync_ok = 0");
            }
            JobStatus::Queued | JobStatus::Running => {}
        }
        q.push(" WHERE org_id = ")
            .bind(job.org_id.0)
            .push(" AND id = ")
            .bind(job.connection_id.0)
            .push(" RETURNING id");
        tx.query(&q).await?;
        tx.query(&bump(job.org_id)).await?;
        Ok(())
    }

    /// What queueing `created` writes besides its row, in its transaction:
    /// a forced full sync forgets cursors and resume points (so every
    /// attempt of it, a retry or a resumption after a crash, continues one
    /// full pass), the connection's sync status, and the audit event.
    pub(crate) async fn job_inserted(
        &self,
        tx: &mut Tx<'_>,
        created: &Job,
        now: Timestamp,
    ) -> CoreResult<()> {
        if created.force_full && created.kind == JobKind::Sync {
            tx.query(
                &Sql::new("DELETE FROM sync_streams WHERE org_id = ? AND connection_id = ?")
                    .arg(created.org_id.0)
                    .arg(created.connection_id.0),
            )
            .await?;
        }
        Self::note_sync_status(tx, created, created.status, now).await?;
        self.audit_in(tx, Some(job_label(created.id, created.kind)))
            .await?;
        Ok(())
    }

    /// Ends a held job: shared by finish and retry.
    async fn end_held(
        &self,
        lease: &Lease,
        status: JobStatus,
        run_after: Option<Timestamp>,
        error: Option<&JobError>,
        now: Timestamp,
    ) -> CoreResult<bool> {
        let mut q = Sql::new("UPDATE jobs SET status = ");
        q.bind(status.as_str())
            .push(", error_code = ")
            .bind(error.map(|e| e.code.as_str()))
            .push(", error_message = ")
            .bind(error.map(|e| e.message.as_str()))
            .push(", updated_at = ")
            .bind(ms(now));
        match run_after {
            Some(at) => {
                q.push(", run_after = ")
                    .bind(ms(at))
                    .push(", worker = NULL, lease_expires_at = NULL");
            }
            None => {
                q.push(", finished_at = ")
                    .bind(ms(now))
                    .push(", lease_expires_at = NULL");
            }
        }
        q.push(" WHERE id = ")
            .bind(lease.job.0)
            .push(" AND worker = ")
            .bind(lease.worker.as_str())
            .push(" AND status = ")
            .bind(JobStatus::Running.as_str())
            .push(" RETURNING *");
        let mut tx = self.db.begin().await?;
        let Some(row) = tx.query(&q).await?.into_iter().next() else {
            return Ok(false);
        };
        let ended = job(&row)?;
        if status.is_final() {
            tx.query(
                &Sql::new("UPDATE job_streams SET status = ? WHERE job_id = ? AND status = ?")
                    .arg(status.as_str())
                    .arg(ended.id.0)
                    .arg(JobStatus::Running.as_str()),
            )
            .await?;
        }
        Self::note_sync_status(&mut tx, &ended, status, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[async_trait]
impl JobStore for SqlStore {
    async fn enqueue_job(&self, new: NewJob, now: Timestamp) -> CoreResult<Job> {
        let mut tx = self.db.begin().await?;
        let created = match tx.query(&job_insert(&new, now, false)).await {
            Ok(rows) => one(rows, "source connection", job)?,
            Err(DbError::Unique(_)) => {
                drop(tx);
                return match self
                    .active_job_id(new.org_id, new.connection_id, new.kind)
                    .await?
                {
                    Some(active) => Err(CoreError::JobActive {
                        job: active,
                        kind: new.kind,
                    }),
                    // It ended between the insert and the look-up.
                    None => Err(CoreError::Conflict(
                        "another job of this connection just ended; try again".into(),
                    )),
                };
            }
            Err(e) => return Err(e.into()),
        };
        self.job_inserted(&mut tx, &created, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn active_job_id(
        &self,
        org: OrgId,
        connection: ConnectionId,
        kind: JobKind,
    ) -> CoreResult<Option<JobId>> {
        let mut q = Sql::new("SELECT id FROM jobs WHERE org_id = ");
        q.bind(org.0)
            .push(" AND connection_id = ")
            .bind(connection.0)
            .push(" AND kind = ")
            .bind(kind.as_str())
            .push(" AND");
        active_condition(&mut q, "status");
        Ok(self
            .db
            .fetch_optional(&q)
            .await?
            .map(|r| r.i64("id").map(JobId))
            .transpose()?)
    }

    async fn count_jobs(
        &self,
        org: OrgId,
        connection: ConnectionId,
        kind: JobKind,
        status: JobStatus,
    ) -> CoreResult<u64> {
        self.count(
            &Sql::new(
                "SELECT count(*) AS n FROM jobs WHERE org_id = ? AND connection_id = ? \
                 AND kind = ? AND status = ?",
            )
            .arg(org.0)
            .arg(connection.0)
            .arg(kind.as_str())
            .arg(status.as_str()),
        )
        .await
    }

    async fn get_job(&self, org: OrgId, id: JobId) -> CoreResult<Job> {
        let q = Sql::new("SELECT * FROM jobs WHERE org_id = ? AND id = ?")
            .arg(org.0)
            .arg(id.0);
        let found = one(self.db.fetch_all(&q).await?, "job", job)?;
        self.with_streams(vec![found])
            .await?
            .into_iter()
            .next()
            .ok_or(CoreError::NotFound("job"))
    }

    async fn list_jobs(
        &self,
        org: OrgId,
        connection: ConnectionId,
        page: PageRequest,
    ) -> CoreResult<Page<Job>> {
        let q =
            Sql::new("SELECT * FROM jobs WHERE org_id = ? AND connection_id = ? ORDER BY id DESC")
                .arg(org.0)
                .arg(connection.0);
        let count =
            Sql::new("SELECT count(*) AS n FROM jobs WHERE org_id = ? AND connection_id = ?")
                .arg(org.0)
                .arg(connection.0);
        let mut listed = self.paged(q, count, page, job).await?;
        listed.items = self.with_streams(listed.items).await?;
        Ok(listed)
    }

    async fn list_org_jobs(
        &self,
        org: OrgId,
        filter: &JobFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Job>> {
        let mut q = org_jobs("SELECT j.* FROM jobs j", org, filter);
        q.push(" ORDER BY j.id DESC");
        let count = org_job_count(org, filter);
        let mut listed = self.paged(q, count, page, job).await?;
        listed.items = self.with_streams(listed.items).await?;
        Ok(listed)
    }

    async fn latest_org_jobs(
        &self,
        org: OrgId,
        filter: &JobFilter,
        limit: u32,
    ) -> CoreResult<Vec<Job>> {
        let mut q = org_jobs("SELECT j.* FROM jobs j", org, filter);
        q.push(" ORDER BY j.id DESC LIMIT ").bind(i64::from(limit));
        let rows = self.db.fetch_all(&q).await?;
        let found = rows.iter().map(job).collect::<Result<Vec<_>, DbError>>()?;
        self.with_streams(found).await
    }

    async fn claim_job(
        &self,
        worker: &str,
        kinds: &[JobKind],
        now: Timestamp,
        lease_until: Timestamp,
    ) -> CoreResult<Option<Job>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let mut runnable = Sql::new(" kind IN (");
        for (i, k) in kinds.iter().enumerate() {
            if i > 0 {
                runnable.push(", ");
            }
            runnable.bind(k.as_str());
        }
        runnable
            .push(") AND ((status = ")
            .bind(JobStatus::Queued.as_str())
            .push(" AND run_after <= ")
            .bind(ms(now))
            .push(") OR (status = ")
            .bind(JobStatus::Running.as_str())
            .push(" AND lease_expires_at < ")
            .bind(ms(now))
            .push("))");
        let mut q = Sql::new("UPDATE jobs SET status = ");
        q.bind(JobStatus::Running.as_str())
            .push(", worker = ")
            .bind(worker)
            .push(", lease_expires_at = ")
            .bind(ms(lease_until))
            .push(", attempts = attempts + 1, started_at = COALESCE(started_at, ")
            .bind(ms(now))
            .push("), updated_at = ")
            .bind(ms(now))
            .push(" WHERE id = (SELECT id FROM jobs WHERE")
            .append(&runnable)
            .push(" ORDER BY id LIMIT 1");
        if self.db.backend() == Backend::Postgres {
            q.push(" FOR UPDATE SKIP LOCKED");
        }
        // Re-checked on the row itself: another node may have claimed it
        // between PostgreSQL's subquery and its update.
        q.push(") AND").append(&runnable).push(" RETURNING *");
        let mut tx = self.db.begin().await?;
        let Some(row) = tx.query(&q).await?.into_iter().next() else {
            return Ok(None);
        };
        let claimed = job(&row)?;
        Self::note_sync_status(&mut tx, &claimed, JobStatus::Running, now).await?;
        tx.commit().await?;
        Ok(self.with_streams(vec![claimed]).await?.into_iter().next())
    }

    async fn running_job_workers(&self) -> CoreResult<Vec<String>> {
        let q =
            Sql::new("SELECT DISTINCT worker FROM jobs WHERE status = ? AND worker IS NOT NULL")
                .arg(JobStatus::Running.as_str());
        Ok(self
            .db
            .fetch_all(&q)
            .await?
            .iter()
            .map(|r| r.text("worker"))
            .collect::<Result<_, _>>()?)
    }

    async fn expire_leases(&self, workers: &[String], now: Timestamp) -> CoreResult<u64> {
        if workers.is_empty() {
            return Ok(0);
        }
        let mut q = Sql::new("UPDATE jobs SET lease_expires_at = ");
        q.bind(ms(now) - 1)
            .push(" WHERE status = ")
            .bind(JobStatus::Running.as_str());
        q.push(" AND worker IN (");
        for (i, w) in workers.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(w.as_str());
        }
        q.push(") RETURNING id");
        Ok(self.db.write(&q).await?.len() as u64)
    }

    async fn heartbeat_job(&self, lease: &Lease, lease_until: Timestamp) -> CoreResult<Heartbeat> {
        let q = Sql::new(
            "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND worker = ? AND status = ? \
             RETURNING cancel_requested",
        )
        .arg(ms(lease_until))
        .arg(lease.job.0)
        .arg(lease.worker.as_str())
        .arg(JobStatus::Running.as_str());
        Ok(match self.db.write(&q).await?.into_iter().next() {
            None => Heartbeat::Lost,
            Some(r) if r.i64("cancel_requested")? != 0 => Heartbeat::CancelRequested,
            Some(_) => Heartbeat::Renewed,
        })
    }

    async fn finish_job(
        &self,
        lease: &Lease,
        status: JobStatus,
        error: Option<&JobError>,
        now: Timestamp,
    ) -> CoreResult<bool> {
        self.end_held(lease, status, None, error, now).await
    }

    async fn retry_job(
        &self,
        lease: &Lease,
        run_after: Timestamp,
        error: &JobError,
        now: Timestamp,
    ) -> CoreResult<bool> {
        self.end_held(lease, JobStatus::Queued, Some(run_after), Some(error), now)
            .await
    }

    async fn request_cancel(&self, org: OrgId, id: JobId, now: Timestamp) -> CoreResult<Job> {
        // Every SET expression sees the old row: a queued job ends now, a
        // running one is flagged for its worker, a final one is untouched.
        let q = Sql::new(
            "UPDATE jobs SET \
             finished_at = CASE WHEN status = ? THEN ? ELSE finished_at END, \
             cancel_requested = CASE WHEN status = ? THEN 1 ELSE cancel_requested END, \
             updated_at = CASE WHEN status IN (?, ?) THEN ? ELSE updated_at END, \
             status = CASE WHEN status = ? THEN ? ELSE status END \
             WHERE org_id = ? AND id = ? RETURNING *",
        )
        .arg(JobStatus::Queued.as_str())
        .arg(ms(now))
        .arg(JobStatus::Running.as_str())
        .arg(JobStatus::Queued.as_str())
        .arg(JobStatus::Running.as_str())
        .arg(ms(now))
        .arg(JobStatus::Queued.as_str())
        .arg(JobStatus::Cancelled.as_str())
        .arg(org.0)
        .arg(id.0);
        let mut tx = self.db.begin().await?;
        let updated = one(tx.query(&q).await?, "job", job)?;
        if updated.status == JobStatus::Cancelled && updated.finished_at == Some(now) {
            Self::note_sync_status(&mut tx, &updated, JobStatus::Cancelled, now).await?;
        }
        // Only a cancel that stops something is a change.
        if updated.cancel_requested || updated.finished_at == Some(now) {
            self.audit_in(&mut tx, None).await?;
        }
        tx.commit().await?;
        Ok(self
            .with_streams(vec![updated])
            .await?
            .into_iter()
            .next()
            .ok_or(CoreError::NotFound("job"))?)
    }

    async fn enqueue_stale_schema_refreshes(
        &self,
        now: Timestamp,
        stale_before: Timestamp,
        limit: u32,
    ) -> CoreResult<u64> {
        let mut q = Sql::new(
            "INSERT INTO jobs (org_id, connection_id, kind, triggered_by, status, force_full, attempts, \
             max_attempts, run_after, created_at, updated_at) \
             SELECT c.org_id, c.id, ?, ?, ?, 0, 0, 1, ?, ?, ? FROM connections c \
             WHERE c.schema_auto_refresh = 1 AND c.status NOT IN (",
        )
        .arg(JobKind::SchemaRefresh.as_str())
        .arg(inlet_core::model::job::JobTrigger::Schedule.as_str())
        .arg(JobStatus::Queued.as_str())
        .arg(ms(now))
        .arg(ms(now))
        .arg(ms(now));
        for (i, s) in ConnectionStatus::SWITCHED_OFF.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(s.as_str());
        }
        q.push(") AND (c.schema_discovered_at IS NULL OR c.schema_discovered_at < ")
            .bind(ms(stale_before))
            .push(
                ") AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.connection_id = c.id AND j.kind = ",
            )
            .bind(JobKind::SchemaRefresh.as_str())
            .push(" AND (j.created_at >= ")
            .bind(ms(stale_before))
            .push(" OR");
        active_condition(&mut q, "j.status");
        q.push(")) ORDER BY COALESCE(c.schema_discovered_at, 0), c.id LIMIT ")
            .bind(limit)
            .push(" ON CONFLICT DO NOTHING RETURNING id");
        Ok(self.db.write(&q).await?.len() as u64)
    }
}
