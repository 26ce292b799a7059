//! The sync job kind: read a connection's source into the index.

use async_trait::async_trait;
use inlet_core::CoreResult;
use inlet_core::model::job::{JobKind, JobStatus};
use inlet_core::service::{JobRun, Services};

use crate::kind::BackgroundJob;

/// Syncs one connection.
pub struct Sync;

#[async_trait]
impl BackgroundJob for Sync {
    fn kind(&self) -> JobKind {
        JobKind::Sync
    }

    async fn run(&self, services: &Services, run: &mut JobRun) -> CoreResult<JobStatus> {
        services.execute_sync(run).await
    }
}
