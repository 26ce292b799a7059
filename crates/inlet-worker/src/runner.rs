//! The runner: a few slots, each claiming one job at a time from the store's
//! queue, with a heartbeat that renews the job's lease and turns a cancel
//! request into the job's stop signal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use inlet_core::model::job::Job;
use inlet_core::model::job::Lease;
use inlet_core::service::{JobRun, Services};
use inlet_core::store::Heartbeat;

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

    /// Starts the slots; they run until the runtime stops.
    pub fn spawn(self) -> Vec<tokio::task::JoinHandle<()>> {
        let this = Arc::new(self);
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
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = {
            let services = self.services.clone();
            let lease = lease.clone();
            let lost = lost.clone();
            let every = (services.sync_settings().lease / 3).max(Duration::from_millis(100));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    match services.heartbeat(&lease).await {
                        Ok(Heartbeat::Renewed) => {}
                        Ok(Heartbeat::CancelRequested) => {
                            let _ = stop.send(true);
                        }
                        Ok(Heartbeat::Lost) => {
                            lost.store(true, Ordering::SeqCst);
                            let _ = stop.send(true);
                            return;
                        }
                        Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                    }
                }
            })
        };
        tracing::info!("job started");
        let mut run = JobRun::new(job.clone(), lease.clone(), stopped);
        let outcome = kind.run(&self.services, &mut run).await;
        heartbeat.abort();
        if lost.load(Ordering::SeqCst) {
            tracing::warn!("job lease lost; another worker or a delete took it over");
            return;
        }
        let backoff = kind.backoff(job.attempts);
        if let Err(e) = self.services.end_job(&job, &lease, outcome, backoff).await {
            tracing::warn!(error = %e, "ending a job failed");
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "inlet".into())
}
