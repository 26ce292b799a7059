//! Running one claimed job to its end, the same way whoever claimed it: a
//! runner's slot, or a service that runs a job itself (an API schema
//! refresh, through [`JobExecutor`]). Ends a job that should not run,
//! holds the lease with a heartbeat, runs the kind, and ends the attempt
//! unless the lease was lost.

use std::sync::Arc;

use async_trait::async_trait;
use inlet_core::CoreResult;
use inlet_core::model::job::{Job, JobKind, JobStatus, Lease};
use inlet_core::service::{JobExecutor, Services};
use tracing::Instrument;

use crate::job_run::JobRun;
use crate::queue::{self, HeldLease};
use crate::registry::Registry;

/// Runs claimed jobs of the registered kinds.
pub struct Executor {
    registry: Registry,
}

impl Executor {
    /// An executor for the kinds of `registry`.
    pub fn new(registry: Registry) -> Arc<Self> {
        Arc::new(Self { registry })
    }

    /// The kinds it runs (what its runner claims).
    pub fn kinds(&self) -> Vec<JobKind> {
        self.registry.kinds()
    }

    /// Runs `job` under `lease` and ends it, in a span naming the job.
    pub async fn execute(
        &self,
        services: &Services,
        job: Job,
        lease: Lease,
    ) -> CoreResult<JobStatus> {
        let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, connection = %job.connection_id, attempt = job.attempts);
        self.execute_in_span(services, job, lease)
            .instrument(span)
            .await
    }

    async fn execute_in_span(
        &self,
        services: &Services,
        job: Job,
        lease: Lease,
    ) -> CoreResult<JobStatus> {
        match queue::end_unrun(services, &job, &lease).await {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "ending a job failed");
                return Err(e);
            }
        }
        let Some(kind) = self.registry.get(job.kind).cloned() else {
            return Err(inlet_core::CoreError::Store(format!(
                "no job kind {} is registered",
                job.kind
            )));
        };
        let held = HeldLease::hold(services, lease.clone());
        tracing::info!("job started");
        let mut run = JobRun::new(job.clone(), lease.clone(), held.stop_signal());
        let outcome = kind.run(services, &mut run).await;
        let lost = held.lost();
        drop(held);
        if lost {
            tracing::warn!("job lease lost; another worker or a delete took it over");
            return outcome;
        }
        let backoff = kind.backoff(job.attempts);
        if let Err(e) = queue::end(services, &job, &lease, &outcome, backoff).await {
            tracing::warn!(error = %e, "ending a job failed");
        }
        outcome
    }
}

#[async_trait]
impl JobExecutor for Executor {
    async fn run_claimed(
        &self,
        services: &Services,
        job: Job,
        lease: Lease,
    ) -> CoreResult<JobStatus> {
        self.execute(services, job, lease).await
    }
}
