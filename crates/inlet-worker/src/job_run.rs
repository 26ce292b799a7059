//! A claimed job as a kind receives it: the job, its lease, and the stop
//! signal its heartbeat raises.

use inlet_core::model::job::{Job, Lease};

/// A claimed job as its kind runs it.
pub struct JobRun {
    /// The job as claimed.
    pub job: Job,
    /// Its lease.
    pub lease: Lease,
    cancel: tokio::sync::watch::Receiver<bool>,
}

impl JobRun {
    /// Wraps a claimed job; `cancel` turns true when the job should stop.
    pub fn new(job: Job, lease: Lease, cancel: tokio::sync::watch::Receiver<bool>) -> Self {
        Self { job, lease, cancel }
    }

    /// Whether a stop was asked for.
    pub fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }

    /// Resolves once a stop is asked for (never, if nobody can ask).
    pub async fn cancel_signal(&mut self) {
        if self.cancel.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
