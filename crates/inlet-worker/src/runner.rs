//! The runner: a few slots, each claiming one job at a time from the store's
//! queue and handing it to the [`Executor`], which every claimed job goes
//! through.

use std::sync::Arc;
use std::time::Duration;

use inlet_core::model::job::{Job, Lease};
use inlet_core::service::Services;

use crate::executor::Executor;
use crate::queue;

/// How many jobs run at once and how often an idle slot looks for work.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs run concurrently by this process.
    pub workers: usize,
    /// Idle slots poll the queue this often (jobs queued by this process
    /// wake them at once).
    pub poll: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            poll: Duration::from_secs(1),
        }
    }
}

/// Claims and runs jobs.
pub struct Runner {
    services: Services,
    executor: Arc<Executor>,
    config: RunnerConfig,
    node: String,
}

impl Runner {
    /// A runner for the kinds `executor` runs (the executor the services
    /// were given with `Services::with_jobs`).
    pub fn new(services: Services, executor: Arc<Executor>, config: RunnerConfig) -> Self {
        let node = format!(
            "{}-{}-{:04x}",
            hostname(),
            std::process::id(),
            rand::random::<u16>()
        );
        Self {
            services,
            executor,
            config,
            node,
        }
    }

    /// Starts the slots; they run until the runtime stops. First, jobs that
    /// an earlier process on this host left running (it was killed) are
    /// made claimable at once rather than when their leases run out.
    pub fn spawn(self) -> Vec<tokio::task::JoinHandle<()>> {
        let this = Arc::new(self);
        let services = this.services.clone();
        tokio::spawn(async move {
            let orphans = match services.store().running_job_workers().await {
                Ok(workers) => workers
                    .into_iter()
                    .filter(|w| left_by_a_dead_process(w, &hostname()))
                    .collect::<Vec<_>>(),
                Err(e) => {
                    tracing::warn!(error = %e, "listing running jobs failed");
                    return;
                }
            };
            if let Err(e) = queue::resume_jobs_of(&services, &orphans).await {
                tracing::warn!(error = %e, "resuming jobs of stopped workers failed");
            }
        });
        (0..this.config.workers)
            .map(|slot| {
                let this = this.clone();
                tokio::spawn(async move { this.slot(slot).await })
            })
            .collect()
    }

    async fn slot(&self, slot: usize) {
        let worker = format!("{}/{slot}", self.node);
        let kinds = self.executor.kinds();
        tracing::info!(%worker, "worker started");
        loop {
            match queue::claim_next(&self.services, &worker, &kinds).await {
                Ok(Some(job)) => self.execute(job, &worker).await,
                Ok(None) => {
                    tokio::select! {
                        () = tokio::time::sleep(self.config.poll) => {}
                        () = self.services.job_queued() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "claiming a job failed");
                    tokio::time::sleep(self.config.poll).await;
                }
            }
        }
    }

    async fn execute(&self, job: Job, worker: &str) {
        let lease = Lease {
            job: job.id,
            worker: worker.to_owned(),
        };
        // The outcome is the job's own (recorded and logged as it ended).
        let _ = self.executor.execute(&self.services, job, lease).await;
    }
}

/// Whether `worker` (`host-pid-tag/slot`) names a process of this host that
/// no longer runs. Only this host's processes can be checked; others' jobs
/// wait for their leases to run out. (A reused pid merely means waiting.)
fn left_by_a_dead_process(worker: &str, host: &str) -> bool {
    let Some((process, _slot)) = worker.rsplit_once('/') else {
        return false;
    };
    let mut parts = process.rsplitn(3, '-');
    let (Some(_tag), Some(pid), Some(on)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    on == host
        && pid != std::process::id()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "inlet".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_hosts_dead_processes_are_orphans() {
        let me = std::process::id();
        // A pid far above the kernel's default pid_max cannot be running.
        assert!(left_by_a_dead_process("box-4194999-ab12/0", "box"));
        assert!(!left_by_a_dead_process("other-4194999-ab12/0", "box"));
        assert!(!left_by_a_dead_process(&format!("box-{me}-ab12/1"), "box"));
        assert!(!left_by_a_dead_process("box-1-ab12/0", "box"), "pid 1 runs");
        assert!(!left_by_a_dead_process("api-77", "box"));
        assert!(!left_by_a_dead_process(
            "my-host-name-4194999-ab12/0",
            "my-host"
        ));
        assert!(left_by_a_dead_process(
            "my-host-name-4194999-ab12/0",
            "my-host-name"
        ));
    }
}
