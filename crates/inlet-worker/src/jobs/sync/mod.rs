//! The sync job kind: read a connection's streams through its connector and
//! commit them in batches, each batch in one transaction with the stream's
//! resume position and the job's counts, so a crash loses at most the batch
//! in flight and a resumed job neither duplicates nor loses a record.

mod batch;

use async_trait::async_trait;
use inlet_core::connector::{ReadItem, ReadMode, ReadRequest, Record, RecordStream};
use inlet_core::ids::JobId;
use inlet_core::model::job::{JobKind, JobStatus};
use inlet_core::service::Services;
use inlet_core::store::StreamState;
use inlet_core::{CoreError, CoreResult};

use self::batch::{Committer, Pending, missing};
use crate::job_run::JobRun;
use crate::registry::BackgroundJob;

/// Syncs one connection.
pub struct Sync;

#[async_trait]
impl BackgroundJob for Sync {
    fn kind(&self) -> JobKind {
        JobKind::Sync
    }

    /// Runs to `Completed`, or `Cancelled` when a cancel arrived (committed
    /// batches stay). Errors fail the attempt.
    async fn run(&self, services: &Services, run: &mut JobRun) -> CoreResult<JobStatus> {
        let job = run.job.clone();
        let source = services
            .open_source(job.org_id, job.connection_id, "sync")
            .await?;
        let states = services
            .store()
            .stream_states(job.org_id, job.connection_id)
            .await?;
        let records = source.read(read_request(&states, job.id)).await?;
        let mut reader = Reader {
            services,
            committer: Committer::new(services.store().clone()),
            pending: None,
        };
        let outcome = reader.read_all(run, records, &states).await;
        // Whatever ended the read, the batch in flight finishes (a cancelled
        // job keeps what it committed).
        let flushed = reader.committer.wait().await;
        let status = outcome?;
        flushed?;
        Ok(status)
    }
}

/// One job's read: the batch being filled and the commit in flight.
struct Reader<'a> {
    services: &'a Services,
    committer: Committer,
    pending: Option<Pending>,
}

impl Reader<'_> {
    /// Reads the stream into batches and commits them, one in flight while
    /// the next is read.
    async fn read_all(
        &mut self,
        run: &mut JobRun,
        mut records: RecordStream,
        states: &[StreamState],
    ) -> CoreResult<JobStatus> {
        loop {
            if run.cancelled() || self.committer.cancel_seen() {
                return Ok(JobStatus::Cancelled);
            }
            let item = tokio::select! {
                item = records.next() => item,
                () = run.cancel_signal() => return Ok(JobStatus::Cancelled),
            };
            let Some(item) = item else { break };
            match item.map_err(CoreError::Source)? {
                ReadItem::Begin { stream, mode } => {
                    let pass = match mode {
                        ReadMode::Incremental => None,
                        ReadMode::Full => Some(pass_of(states, &stream, run.job.id)),
                    };
                    self.pending = Some(Pending::new(stream, mode, pass));
                }
                ReadItem::Record(record) => self.add(run, record).await?,
                ReadItem::Deleted { stream, key } => {
                    // Items apply in stream order: a later delete wins over
                    // an earlier record of the same key in the batch.
                    let p = self.current(&stream)?;
                    p.records.retain(|r| r.key != key);
                    p.deletes.push(key);
                }
                ReadItem::Skipped { stream, reason } => self.current(&stream)?.skip(reason),
                ReadItem::Note { stream, message } => {
                    self.current(&stream)?.notes.push(message);
                }
                ReadItem::Checkpoint { stream, cursor } => {
                    let p = match self.pending.take() {
                        Some(p) if p.stream == stream => p,
                        _ => return Err(missing("stream start")),
                    };
                    self.committer.commit(run, p, Some(cursor)).await?;
                }
            }
        }
        if let Some(p) = &self.pending {
            // The reader stopped without closing its stream: what it read of
            // that stream is not a complete pass.
            return Err(missing(&format!("checkpoint of {}", p.stream)));
        }
        Ok(JobStatus::Completed)
    }

    /// Adds a record to the batch (or skips it when too large), and commits
    /// the batch once it is full.
    async fn add(&mut self, run: &JobRun, record: Record) -> CoreResult<()> {
        let settings = self.services.sync_settings();
        let p = self.current(&record.stream)?;
        let size = record.data.len();
        p.bytes += size as u64;
        p.position.clone_from(&record.position);
        if size > settings.max_record_bytes {
            p.skip(format!(
                "record {} is {size} bytes, over the {} byte limit",
                record.key, settings.max_record_bytes
            ));
        } else {
            p.read += 1;
            if !p.deletes.is_empty() {
                p.deletes.retain(|k| *k != record.key);
            }
            p.records.push(record);
        }
        if p.len() >= settings.batch_size {
            let full = self.pending.take().ok_or_else(|| missing("batch"))?;
            self.pending = Some(full.successor());
            self.committer.commit(run, full, None).await?;
        }
        Ok(())
    }

    /// The batch of `stream`, which must have begun.
    fn current(&mut self, stream: &str) -> CoreResult<&mut Pending> {
        match &mut self.pending {
            Some(p) if p.stream == stream => Ok(p),
            _ => Err(missing("stream start")),
        }
    }
}

/// Cursors, resume positions and streams this job already completed.
fn read_request(states: &[StreamState], job: JobId) -> ReadRequest {
    let mut request = ReadRequest::default();
    for s in states {
        if let Some(c) = &s.cursor {
            request.cursors.insert(s.stream.clone(), c.clone());
        }
        if let Some(p) = &s.position {
            request.positions.insert(s.stream.clone(), p.clone());
        }
        if s.completed_by == Some(job) {
            request.skip.push(s.stream.clone());
        }
    }
    request
}

/// The pass a full read of `stream` belongs to: the unfinished one it
/// resumes, or a new one named after this job.
fn pass_of(states: &[StreamState], stream: &str, job: JobId) -> JobId {
    states
        .iter()
        .find(|s| s.stream == stream && s.position.is_some())
        .and_then(|s| s.pass)
        .unwrap_or(job)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn resumes_positions_and_skips_completed_streams() {
        let states = vec![
            StreamState {
                stream: "a".into(),
                cursor: Some(json!("5")),
                position: None,
                pass: None,
                completed_by: Some(JobId(9)),
            },
            StreamState {
                stream: "b".into(),
                cursor: None,
                position: Some(json!(["42"])),
                pass: Some(JobId(7)),
                completed_by: None,
            },
        ];
        let r = read_request(&states, JobId(9));
        assert_eq!(r.skip, ["a"]);
        assert_eq!(r.cursors["a"], json!("5"));
        assert_eq!(r.positions["b"], json!(["42"]));
        assert_eq!(pass_of(&states, "b", JobId(9)), JobId(7));
        assert_eq!(pass_of(&states, "a", JobId(9)), JobId(9));
        assert_eq!(pass_of(&states, "new", JobId(9)), JobId(9));
    }
}
