//! Schema discovery as a job kind: a refresh asked for through the API runs
//! at once, as a job claimed by the caller; scheduled refreshes are queued
//! for the workers. Either way the store's unique index keeps it to one
//! refresh per connection at a time, across nodes.

use super::ensure_switched_on;
use super::queue::job_error;
use super::{JobRun, Services};
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::ConnectionId;
use crate::model::connection::Connection;
use crate::model::job::{JobKind, JobStatus, JobTrigger, Lease, NewJob};
use crate::model::now;
use crate::model::schema::StoredSchema;

impl Services {
    /// The last discovered schema.
    pub async fn get_schema(&self, who: &Principal, id: ConnectionId) -> CoreResult<StoredSchema> {
        self.get_connection(who, id).await?;
        self.store
            .get_schema(who.org_id, id)
            .await?
            .ok_or(CoreError::NotFound(
                "schema (not discovered yet; POST .../schema/refresh)",
            ))
    }

    /// Discovers the schema again, now, as a job this call runs itself. A
    /// second refresh while one is queued or running is a conflict.
    pub async fn refresh_schema(
        &self,
        who: &Principal,
        id: ConnectionId,
    ) -> CoreResult<StoredSchema> {
        who.require(Scope::Write)?;
        let conn = self.get_connection(who, id).await?;
        ensure_switched_on(&conn, "discover")?;
        let at = now();
        let worker = format!("api-{}", std::process::id());
        let lease_until = at + self.lease_length();
        let job = self
            .store
            .enqueue_job(
                NewJob {
                    org_id: who.org_id,
                    connection_id: id,
                    kind: JobKind::SchemaRefresh,
                    trigger: JobTrigger::Api,
                    force_full: false,
                    max_attempts: 1,
                    claimed_by: Some((worker.clone(), lease_until)),
                },
                at,
            )
            .await
            .map_err(|e| match e {
                CoreError::JobActive { .. } => CoreError::Conflict(
                    "a schema refresh of this connection is already running".into(),
                ),
                other => other,
            })?;
        let lease = Lease {
            job: job.id,
            worker,
        };
        // Detached: the job ends and the schema is saved even if the caller
        // hangs up.
        let this = self.clone();
        tokio::spawn(async move {
            let held = this.hold_lease(lease.clone());
            let result = this.discover_and_save(&conn).await;
            drop(held);
            let (status, error) = match &result {
                Ok(_) => (JobStatus::Completed, None),
                Err(e) => (JobStatus::Failed, Some(job_error(e))),
            };
            this.store
                .finish_job(&lease, status, error.as_ref(), now())
                .await?;
            result
        })
        .await
        .map_err(|e| CoreError::Store(format!("schema discovery task failed: {e}")))?
    }

    /// Runs a claimed schema-refresh job (a worker's entry point).
    pub async fn execute_schema_refresh(&self, run: &mut JobRun) -> CoreResult<JobStatus> {
        let conn = self
            .store
            .get_connection(run.job.org_id, run.job.connection_id)
            .await?;
        ensure_switched_on(&conn, "discover")?;
        self.discover_and_save(&conn).await?;
        Ok(JobStatus::Completed)
    }

    /// Queues a refresh of every `schemaAutoRefresh` schema older than
    /// `max_age`; a connection whose refresh failed waits `max_age` before
    /// the next try. Returns how many were queued.
    pub async fn queue_stale_schema_refreshes(
        &self,
        max_age: std::time::Duration,
    ) -> CoreResult<u64> {
        let max_age = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::hours(1));
        let at = now();
        let n = self
            .store
            .enqueue_stale_schema_refreshes(at, at - max_age, 100)
            .await?;
        if n > 0 {
            self.jobs_changed.notify_waiters();
        }
        Ok(n)
    }

    async fn discover_and_save(&self, conn: &Connection) -> CoreResult<StoredSchema> {
        let source = self.source_config(conn)?;
        let connector = self.connector(&conn.source_type)?;
        let ctx = self.outbound_for(conn.org_id).await?;
        let schema = super::outbound::bounded(&ctx, connector.discover(&ctx, &source)).await?;
        let at = now();
        self.store
            .save_schema(conn.org_id, conn.id, &schema, at)
            .await?;
        tracing::info!(connection = %conn.id, "schema discovered");
        Ok(StoredSchema {
            schema,
            discovered_at: at,
        })
    }

    /// How long a job's lease lasts without a heartbeat.
    pub fn lease_length(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.sync.lease).unwrap_or(chrono::Duration::seconds(30))
    }
}
