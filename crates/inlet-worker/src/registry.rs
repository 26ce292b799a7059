//! The job-kind contract and the one place kinds are registered. A new
//! kind is a file in `jobs/` and a line in [`registry`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use inlet_core::CoreResult;
use inlet_core::model::job::{JobKind, JobStatus};
use inlet_core::service::Services;

use crate::job_run::JobRun;

/// One kind of background job.
#[async_trait]
pub trait BackgroundJob: Send + Sync {
    /// The kind it runs.
    fn kind(&self) -> JobKind;

    /// Delay before retry number `attempt` (1 for the first retry).
    fn backoff(&self, attempt: u32) -> Duration {
        let secs = 2_u64.saturating_pow(attempt.min(10)).min(300);
        Duration::from_secs(secs)
    }

    /// Runs the job to its end: `Completed` or `Cancelled`; an error fails
    /// the attempt (retried while attempts remain).
    async fn run(&self, services: &Services, run: &mut JobRun) -> CoreResult<JobStatus>;
}

/// Job kinds by name.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: HashMap<JobKind, Arc<dyn BackgroundJob>>,
}

impl Registry {
    /// Adds a kind.
    pub fn register(&mut self, job: Arc<dyn BackgroundJob>) {
        self.kinds.insert(job.kind(), job);
    }

    /// The implementation of `kind`.
    pub fn get(&self, kind: JobKind) -> Option<&Arc<dyn BackgroundJob>> {
        self.kinds.get(&kind)
    }

    /// Every registered kind.
    pub fn kinds(&self) -> Vec<JobKind> {
        self.kinds.keys().copied().collect()
    }
}

/// Every built-in job kind.
pub fn registry() -> Registry {
    let mut r = Registry::default();
    r.register(Arc::new(crate::jobs::SchemaRefresh));
    r.register(Arc::new(crate::jobs::Sync));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once_and_backs_off_exponentially() {
        let r = registry();
        let mut kinds = r.kinds();
        kinds.sort_by_key(|k| k.to_string());
        assert_eq!(kinds, [JobKind::SchemaRefresh, JobKind::Sync]);
        let sync = r.get(JobKind::Sync).map(Arc::clone);
        let sync = sync
            .as_deref()
            .map(|k| (k.backoff(1), k.backoff(2), k.backoff(30)));
        assert_eq!(
            sync,
            Some((
                Duration::from_secs(2),
                Duration::from_secs(4),
                Duration::from_secs(300)
            ))
        );
    }
}
