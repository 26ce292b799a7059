//! The runner: a few slots, each claiming one job at a time from the store's
//! queue, with a heartbeat that renews the job's lease and turns a cancel
//! request into the job's stop signal.

use std::sync::Arc;
use std::time::Duration;

use inlet_core::model::job::Job;
use inlet_core::model::job::Lease;
use inlet_core::service::{JobRun, Services};

use crate::kind::Registry;

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
    registry: Arc<Registry>,
    config: RunnerConfig,
    node: String,
}

impl Runner {
    /// A runner for the registered kinds.
    pub fn new(services: Services, registry: Registry, config: RunnerConfig) -> Self {
        let node = format!(
            "{}-{}-{:04x}",
            hostname(),
            std::process::id(),
            rand::random::<u16>()
        );
        Self {
            services,
            registry: Arc::new(registry),
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
            let orphans = match services.running_job_workers().await {
                Ok(workers) => workers
                    .into_iter()
                    .filter(|w| left_by_a_dead_process(w, &hostname()))
                    .collect::<Vec<_>>(),
                Err(e) => {
                    tracing::warn!(error = %e, "listing running jobs failed");
                    return;
                }
            };
            if let Err(e) = services.resume_jobs_of(&orphans).await {
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
        let kinds = self.registry.kinds();
        tracing::info!(%worker, "worker started");
        loop {
            match self.services.claim_next_job(&worker, &kinds).await {
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
        use tracing::Instrument;
        let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, connection = %job.connection_id, attempt = job.attempts);
        self.execute_in_span(job, worker).instrument(span).await;
    }

    async fn execute_in_span(&self, job: Job, worker: &str) {
        let lease = Lease {
            job: job.id,
            worker: worker.to_owned(),
        };
        match self.services.end_unrun_job(&job, &lease).await {
            Ok(Some(_)) => return,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "ending a job failed");
                return;
            }
        }
        let Some(kind) = self.registry.get(job.kind).cloned() else {
            return;
        };
        let held = self.services.hold_lease(lease.clone());
        tracing::info!("job started");
        let mut run = JobRun::new(job.clone(), lease.clone(), held.stop_signal());
        let outcome = kind.run(&self.services, &mut run).await;
        let lost = held.lost();
        drop(held);
        if lost {
            tracing::warn!("job lease lost; another worker or a delete took it over");
            return;
        }
        let backoff = kind.backoff(job.attempts);
        if let Err(e) = self.services.end_job(&job, &lease, outcome, backoff).await {
            tracing::warn!(error = %e, "ending a job failed");
        }
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
