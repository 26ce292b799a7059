//! The port through which services run a job they claimed themselves: an
//! API schema refresh answers with the schema it discovered, so its caller
//! runs the job instead of waiting for a worker slot. The worker crate's
//! executor, injected at start with [`Services::with_jobs`], runs it exactly
//! as its runner runs every claimed job: heartbeat, the kind's work, the end.

use async_trait::async_trait;

use super::Services;
use crate::error::CoreResult;
use crate::model::job::{Job, JobStatus, Lease};

/// Runs claimed jobs to their end.
#[async_trait]
pub trait JobExecutor: Send + Sync {
    /// Runs `job`, already claimed under `lease`, and ends it; returns the
    /// attempt's outcome (its error as the kind raised it, after the job
    /// recorded it).
    async fn run_claimed(
        &self,
        services: &Services,
        job: Job,
        lease: Lease,
    ) -> CoreResult<JobStatus>;
}
