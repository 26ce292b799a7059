//! The schema-refresh job kind: discover a connection's schema again.

use async_trait::async_trait;
use inlet_core::CoreResult;
use inlet_core::model::job::{JobKind, JobStatus};
use inlet_core::service::{JobRun, Services};

use crate::kind::BackgroundJob;

/// Rediscovers one connection's schema.
pub struct SchemaRefresh;

#[async_trait]
impl BackgroundJob for SchemaRefresh {
    fn kind(&self) -> JobKind {
        JobKind::SchemaRefresh
    }

    async fn run(&self, services: &Services, run: &mut JobRun) -> CoreResult<JobStatus> {
        services.execute_schema_refresh(run).await
    }
}
