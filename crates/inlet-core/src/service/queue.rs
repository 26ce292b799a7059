//! The job queue as workers use it: claim the next job, keep its lease, and
//! end it — completed, cancelled, retried with backoff, or failed.

use std::time::Duration;

use super::Services;
use crate::error::{CoreError, CoreResult};
use crate::model::job::{Job, JobError, JobKind, JobStatus, Lease};
use crate::model::now;
use crate::store::Heartbeat;

impl Services {
    /// Claims the oldest runnable job of `kinds` for `worker` (a queued one,
    /// or a running one whose worker died).
    pub async fn claim_next_job(&self, worker: &str, kinds: &[JobKind]) -> CoreResult<Option<Job>> {
        let at = now();
        self.store
            .claim_job(worker, kinds, at, at + self.lease_length())
            .await
    }

    /// The workers holding running jobs (for a runner looking for jobs its
    /// host's dead processes left behind).
    pub async fn running_job_workers(&self) -> CoreResult<Vec<String>> {
        self.store.running_job_workers().await
    }

    /// Makes the running jobs of dead `workers` claimable now, instead of
    /// when their leases run out.
    pub async fn resume_jobs_of(&self, workers: &[String]) -> CoreResult<u64> {
        let n = self.store.expire_leases(workers, now()).await?;
        if n > 0 {
            tracing::info!(jobs = n, "jobs of stopped workers resumed");
            self.jobs_changed.notify_waiters();
        }
        Ok(n)
    }

    /// Renews a job's lease.
    async fn heartbeat(&self, lease: &Lease) -> CoreResult<Heartbeat> {
        let at = now();
        self.store
            .heartbeat_job(lease, at + self.lease_length())
            .await
    }

    /// Ends an attempt: its status when it ran to an end, otherwise a retry
    /// after `backoff` while attempts remain and the failure may pass, or a
    /// failure. Returns the status the job is left in.
    pub async fn end_job(
        &self,
        job: &Job,
        lease: &Lease,
        outcome: CoreResult<JobStatus>,
        backoff: Duration,
    ) -> CoreResult<JobStatus> {
        let at = now();
        match outcome {
            Ok(status) => {
                self.store.finish_job(lease, status, None, at).await?;
                tracing::info!(job = %job.id, kind = %job.kind, %status, "job ended");
                Ok(status)
            }
            Err(e) => {
                if matches!(e, CoreError::Store(_) | CoreError::Crypto(_)) {
                    tracing::error!(job = %job.id, error = %e, "job failed");
                } else {
                    tracing::warn!(job = %job.id, error = %e, "job attempt failed");
                }
                let error = job_error(&e);
                if job.attempts < job.max_attempts && retryable(&e) {
                    let after = at + chrono::Duration::from_std(backoff).unwrap_or_default();
                    self.store.retry_job(lease, after, &error, at).await?;
                    Ok(JobStatus::Queued)
                } else {
                    self.store
                        .finish_job(lease, JobStatus::Failed, Some(&error), at)
                        .await?;
                    Ok(JobStatus::Failed)
                }
            }
        }
    }

    /// Ends a claimed job without running it: cancelled while it waited, or
    /// out of attempts because its workers kept dying.
    pub async fn end_unrun_job(&self, job: &Job, lease: &Lease) -> CoreResult<Option<JobStatus>> {
        let at = now();
        if job.cancel_requested {
            self.store
                .finish_job(lease, JobStatus::Cancelled, None, at)
                .await?;
            return Ok(Some(JobStatus::Cancelled));
        }
        if job.attempts > job.max_attempts {
            let error = JobError {
                code: "worker_lost".into(),
                message: format!(
                    "the job's worker stopped before finishing {} times",
                    job.max_attempts
                ),
            };
            self.store
                .finish_job(lease, JobStatus::Failed, Some(&error), at)
                .await?;
            return Ok(Some(JobStatus::Failed));
        }
        Ok(None)
    }
}

/// The error a failed job records: the source's code, or a generic one for
/// internal failures (whose detail goes to the log, not to clients).
pub fn job_error(e: &CoreError) -> JobError {
    match e {
        CoreError::Source(e) => JobError {
            code: e.code().to_owned(),
            message: e.to_string(),
        },
        CoreError::Store(_) | CoreError::Crypto(_) => JobError {
            code: "internal_error".into(),
            message: "internal error; see the server log".into(),
        },
        CoreError::Conflict(m) => JobError {
            code: "conflict".into(),
            message: m.clone(),
        },
        CoreError::NotFound(what) => JobError {
            code: "not_found".into(),
            message: format!("{what} not found"),
        },
        other => JobError {
            code: "failed".into(),
            message: other.to_string(),
        },
    }
}

/// A job's lease kept alive by a heartbeat task until this is dropped.
pub struct HeldLease {
    stop: tokio::sync::watch::Receiver<bool>,
    lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl HeldLease {
    /// Turns true when a cancel is asked for or the lease is lost: the
    /// job's stop signal (see [`JobRun`](super::JobRun)).
    pub fn stop_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stop.clone()
    }

    /// Whether another worker (or a delete) took the job: its runner must
    /// not write anything more about it.
    pub fn lost(&self) -> bool {
        self.lost.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl Services {
    /// Renews `lease` every third of the lease length until the returned
    /// guard is dropped; workers and inline runs (an API schema refresh)
    /// hold their jobs the same way.
    pub fn hold_lease(&self, lease: Lease) -> HeldLease {
        use std::sync::atomic::Ordering;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let services = self.clone();
        let flag = lost.clone();
        let every = (self.sync.lease / 3).max(Duration::from_millis(100));
        let heartbeat = tokio::spawn(async move {
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
                        flag.store(true, Ordering::SeqCst);
                        let _ = stop.send(true);
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                }
            }
        });
        HeldLease {
            stop: stopped,
            lost,
            heartbeat,
        }
    }
}

fn retryable(e: &CoreError) -> bool {
    match e {
        CoreError::Source(e) => e.is_transient(),
        CoreError::Store(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_that_may_pass_are_retried() {
        use crate::connector::ConnectorError as E;
        use crate::policy::Refusal;
        let source = CoreError::Source;
        assert!(retryable(&source(E::Refused(String::new()))));
        assert!(retryable(&source(E::Timeout(String::new()))));
        assert!(retryable(&CoreError::Store("disk full".into())));
        assert!(!retryable(&source(E::InvalidCredentials(String::new()))));
        assert!(!retryable(&source(E::Policy(Refusal::OutsideRoots))));
        assert!(!retryable(&CoreError::Conflict("switched off".into())));
    }
}
