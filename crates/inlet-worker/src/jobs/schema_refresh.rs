//! The schema-refresh job kind: discover a connection's schema again and
//! save it. Queued by the schema scheduler for `schemaAutoRefresh`
//! connections, and run at once for `POST …/schema/refresh`.

use async_trait::async_trait;
use inlet_core::CoreResult;
use inlet_core::model::job::{JobKind, JobStatus};
use inlet_core::model::now;
use inlet_core::service::Services;

use crate::job_run::JobRun;
use crate::registry::BackgroundJob;

/// Rediscovers one connection's schema.
pub struct SchemaRefresh;

#[async_trait]
impl BackgroundJob for SchemaRefresh {
    fn kind(&self) -> JobKind {
        JobKind::SchemaRefresh
    }

    async fn run(&self, services: &Services, run: &mut JobRun) -> CoreResult<JobStatus> {
        let job = &run.job;
        let source = services
            .open_source(job.org_id, job.connection_id, "discover")
            .await?;
        let schema = source.discover().await?;
        services
            .store()
            .save_schema(job.org_id, job.connection_id, &schema, now())
            .await?;
        tracing::info!(connection = %job.connection_id, "schema discovered");
        Ok(JobStatus::Completed)
    }
}
