//! The queue's mechanics, as the runner and the executor use them: claim
//! the next job, resume the jobs of dead workers, keep a lease alive with a
//! heartbeat, and end an attempt (completed, cancelled, retried with
//! backoff, or failed). The store's job statements make each step safe
//! across nodes; this module decides which step to take.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use inlet_core::model::job::{Job, JobError, JobKind, JobStatus, Lease};
use inlet_core::model::now;
use inlet_core::service::Services;
use inlet_core::store::Heartbeat;
use inlet_core::{CoreError, CoreResult};

/// Claims the oldest runnable job of `kinds` for `worker` (a queued one, or
/// a running one whose worker died).
pub async fn claim_next(
    services: &Services,
    worker: &str,
    kinds: &[JobKind],
) -> CoreResult<Option<Job>> {
    let at = now();
    services
        .store()
        .claim_job(worker, kinds, at, at + services.lease_length())
        .await
}

/// Makes the running jobs of dead `workers` claimable now, instead of when
/// their leases run out.
pub async fn resume_jobs_of(services: &Services, workers: &[String]) -> CoreResult<u64> {
    let n = services.store().expire_leases(workers, now()).await?;
    if n > 0 {
        tracing::info!(jobs = n, "jobs of stopped workers resumed");
        services.wake_workers();
    }
    Ok(n)
}

/// Ends an attempt: its status when it ran to an end, otherwise a retry
/// after `backoff` while attempts remain and the failure may pass, or a
/// failure. Returns the status the job is left in.
pub async fn end(
    services: &Services,
    job: &Job,
    lease: &Lease,
    outcome: &CoreResult<JobStatus>,
    backoff: Duration,
) -> CoreResult<JobStatus> {
    let at = now();
    let store = services.store();
    let e = match outcome {
        Ok(status) => {
            store.finish_job(lease, *status, None, at).await?;
            tracing::info!(job = %job.id, kind = %job.kind, %status, "job ended");
            return Ok(*status);
        }
        Err(e) => e,
    };
    if matches!(e, CoreError::Store(_) | CoreError::Crypto(_)) {
        tracing::error!(job = %job.id, error = %e, "job failed");
    } else {
        tracing::warn!(job = %job.id, error = %e, "job attempt failed");
    }
    let error = job_error(e);
    if job.attempts < job.max_attempts && retryable(e) {
        let after = at + chrono::Duration::from_std(backoff).unwrap_or_default();
        store.retry_job(lease, after, &error, at).await?;
        Ok(JobStatus::Queued)
    } else {
        store
            .finish_job(lease, JobStatus::Failed, Some(&error), at)
            .await?;
        Ok(JobStatus::Failed)
    }
}

/// Ends a claimed job without running it: cancelled while it waited, or
/// out of attempts because its workers kept dying. `None` when it should run.
pub async fn end_unrun(
    services: &Services,
    job: &Job,
    lease: &Lease,
) -> CoreResult<Option<JobStatus>> {
    let at = now();
    let store = services.store();
    if job.cancel_requested {
        store
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
        store
            .finish_job(lease, JobStatus::Failed, Some(&error), at)
            .await?;
        return Ok(Some(JobStatus::Failed));
    }
    Ok(None)
}

/// The error a failed job records: the source's code, or a generic one for
/// internal failures (whose detail goes to the log, not to clients).
pub fn job_error(e: &CoreError) -> JobError {
    let (code, message) = match e {
        CoreError::Source(e) => (e.code().to_owned(), e.to_string()),
        CoreError::Store(_) | CoreError::Crypto(_) => (
            "internal_error".into(),
            "internal error; see the server log".into(),
        ),
        CoreError::Conflict(m) => ("conflict".into(), m.clone()),
        CoreError::NotFound(what) => ("not_found".into(), format!("{what} not found")),
        other => ("failed".into(), other.to_string()),
    };
    JobError { code, message }
}

/// Whether a failure may pass on another attempt: the source's own verdict
/// ([`ConnectorError::is_transient`](inlet_core::connector::ConnectorError::is_transient)),
/// or the store's.
fn retryable(e: &CoreError) -> bool {
    match e {
        CoreError::Source(e) => e.is_transient(),
        CoreError::Store(_) => true,
        _ => false,
    }
}

/// A job's lease kept alive by a heartbeat task until this is dropped.
pub struct HeldLease {
    stop: tokio::sync::watch::Receiver<bool>,
    lost: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl HeldLease {
    /// Renews `lease` every third of the lease length until the returned
    /// guard is dropped.
    pub fn hold(services: &Services, lease: Lease) -> Self {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let lost = Arc::new(AtomicBool::new(false));
        let services = services.clone();
        let flag = lost.clone();
        let every = (services.sync_settings().lease / 3).max(Duration::from_millis(100));
        let heartbeat = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let until = now() + services.lease_length();
                match services.store().heartbeat_job(&lease, until).await {
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
        Self {
            stop: stopped,
            lost,
            heartbeat,
        }
    }

    /// Turns true when a cancel is asked for or the lease is lost: the
    /// job's stop signal (see [`JobRun`](crate::JobRun)).
    pub fn stop_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stop.clone()
    }

    /// Whether another worker (or a delete) took the job: its runner must
    /// not write anything more about it.
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_that_may_pass_are_retried() {
        use inlet_core::connector::ConnectorError as E;
        use inlet_core::policy::Refusal;
        let source = CoreError::Source;
        assert!(retryable(&source(E::Refused(String::new()))));
        assert!(retryable(&source(E::Timeout(String::new()))));
        assert!(retryable(&CoreError::Store("disk full".into())));
        assert!(!retryable(&source(E::InvalidCredentials(String::new()))));
        assert!(!retryable(&source(E::Policy(Refusal::OutsideRoots))));
        assert!(!retryable(&CoreError::Conflict("switched off".into())));
    }

    #[test]
    fn internal_failures_record_no_detail() {
        let e = job_error(&CoreError::Store("password=hunter2 in a DSN".into()));
        assert_eq!(e.code, "internal_error");
        assert!(!e.message.contains("hunter2"));
        let e = job_error(&CoreError::Source(
            inlet_core::connector::ConnectorError::Timeout("no answer".into()),
        ));
        assert_eq!(e.code, "timeout");
    }
}
