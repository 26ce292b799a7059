//! Schema discovery as a job kind: a refresh asked for through the API runs
//! at once, as a job claimed by the caller and run by the worker's executor;
//! scheduled refreshes are queued for the workers. Either way the store's unique index keeps it to one
//! refresh per connection at a time, across nodes.

use super::Services;
use super::ensure_switched_on;
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::ConnectionId;
use crate::model::job::{JobKind, JobTrigger, Lease, NewJob};
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
        let jobs = self.jobs.clone().ok_or_else(|| {
            CoreError::Store("this process runs no jobs, so it cannot refresh a schema".into())
        })?;
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
        // hangs up. It runs the way a worker runs every job.
        let this = self.clone();
        tokio::spawn(async move { jobs.run_claimed(&this, job, lease).await })
            .await
            .map_err(|e| CoreError::Store(format!("schema discovery task failed: {e}")))??;
        self.store
            .get_schema(who.org_id, id)
            .await?
            .ok_or(CoreError::Store(
                "the refreshed schema was not saved".into(),
            ))
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
            self.wake_workers();
        }
        Ok(n)
    }

    /// How long a job's lease lasts without a heartbeat.
    pub fn lease_length(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.sync.lease).unwrap_or(chrono::Duration::seconds(30))
    }
}
