//! Running a sync job: read the connection's streams through its connector
//! and commit them to the index in batches, each batch in one transaction
//! with the stream's resume position and the job's counts, so a crash loses
//! at most the batch in flight and a resumed job neither duplicates nor
//! loses a record.

use std::time::Duration;

use serde_json::Value;

use super::ensure_switched_on;
use super::{JobRun, Services};
use crate::connector::{ConnectorError, ReadItem, ReadMode, ReadRequest, Record, RecordStream};
use crate::error::{CoreError, CoreResult};
use crate::ids::JobId;
use crate::model::job::JobStatus;
use crate::model::now;
use crate::store::{StreamState, SyncBatch};

/// How syncs batch and what they refuse.
#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// Records per committed batch.
    pub batch_size: usize,
    /// Largest record (its JSON text) indexed; larger ones are skipped.
    pub max_record_bytes: usize,
    /// How long a job's lease lasts without a heartbeat.
    pub lease: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            max_record_bytes: 1024 * 1024,
            lease: Duration::from_secs(30),
        }
    }
}

/// Reasons kept per stream and batch (the count is exact; reasons are samples).
const MAX_REASONS: usize = 5;

/// A batch being filled for one stream.
struct Pending {
    stream: String,
    mode: ReadMode,
    pass: Option<JobId>,
    records: Vec<Record>,
    deletes: Vec<String>,
    position: Option<Value>,
    read: u64,
    skipped: u64,
    reasons: Vec<String>,
    notes: Vec<String>,
    bytes: u64,
}

impl Pending {
    fn new(stream: String, mode: ReadMode, pass: Option<JobId>) -> Self {
        Self {
            stream,
            mode,
            pass,
            records: Vec::new(),
            deletes: Vec::new(),
            position: None,
            read: 0,
            skipped: 0,
            reasons: Vec::new(),
            notes: Vec::new(),
            bytes: 0,
        }
    }

    fn len(&self) -> usize {
        self.records.len() + self.deletes.len() + usize::try_from(self.skipped).unwrap_or(0)
    }

    fn skip(&mut self, reason: String) {
        self.read += 1;
        self.skipped += 1;
        if self.reasons.len() < MAX_REASONS {
            self.reasons.push(reason);
        }
    }
}

impl Services {
    /// Runs a claimed sync job to its end: `Completed`, or `Cancelled` when a
    /// cancel arrived (committed batches stay). Errors fail the attempt.
    pub async fn execute_sync(&self, run: &mut JobRun) -> CoreResult<JobStatus> {
        let job = run.job.clone();
        let conn = self
            .store
            .get_connection(job.org_id, job.connection_id)
            .await?;
        ensure_switched_on(&conn, "sync")?;
        let source = self.source_config(&conn)?;
        let connector = self.connector(&conn.source_type)?.clone();
        let states = self
            .store
            .stream_states(job.org_id, job.connection_id)
            .await?;
        let request = read_request(&states, job.id);
        let ctx = self.outbound_for(job.org_id).await?;
        let records =
            super::outbound::bounded(&ctx, connector.read(&ctx, &source, request)).await?;
        let mut committer = Committer {
            inflight: None,
            cancel_seen: false,
        };
        let outcome = self
            .read_into_index(run, &mut committer, records, &states)
            .await;
        // Whatever ended the read, the batch in flight finishes (a cancelled
        // job keeps what it committed).
        let flushed = committer.wait().await;
        let status = outcome?;
        flushed?;
        Ok(status)
    }

    /// Reads the stream into batches and commits them through `committer`,
    /// one in flight while the next is read.
    async fn read_into_index(
        &self,
        run: &mut JobRun,
        committer: &mut Committer,
        mut records: RecordStream,
        states: &[StreamState],
    ) -> CoreResult<JobStatus> {
        let job = run.job.clone();
        let mut pending: Option<Pending> = None;
        loop {
            if run.cancelled() || committer.cancel_seen {
                return Ok(JobStatus::Cancelled);
            }
            let item = tokio::select! {
                item = records.next() => item,
                () = run.cancel_signal() => return Ok(JobStatus::Cancelled),
            };
            let Some(item) = item else { break };
            let item = item.map_err(CoreError::Source)?;
            match item {
                ReadItem::Begin { stream, mode } => {
                    let pass = match mode {
                        ReadMode::Incremental => None,
                        ReadMode::Full => Some(pass_of(states, &stream, job.id)),
                    };
                    pending = Some(Pending::new(stream, mode, pass));
                }
                ReadItem::Record(record) => {
                    let p = current(&mut pending, &record.stream)?;
                    let size = record.data.len();
                    p.bytes += size as u64;
                    p.position.clone_from(&record.position);
                    if size > self.sync.max_record_bytes {
                        p.skip(format!(
                            "record {} is {size} bytes, over the {} byte limit",
                            record.key, self.sync.max_record_bytes
                        ));
                    } else {
                        p.read += 1;
                        if !p.deletes.is_empty() {
                            p.deletes.retain(|k| *k != record.key);
                        }
                        p.records.push(record);
                    }
                    if p.len() >= self.sync.batch_size {
                        let full = pending.take().ok_or_else(|| missing("batch"))?;
                        let mut next = Pending::new(full.stream.clone(), full.mode, full.pass);
                        next.notes.clone_from(&full.notes);
                        // A next batch of only deletes or skips keeps the resume point.
                        next.position.clone_from(&full.position);
                        self.commit(run, committer, full, None).await?;
                        pending = Some(next);
                    }
                }
                ReadItem::Deleted { stream, key } => {
                    // Items apply in stream order: a later delete wins over
                    // an earlier record of the same key in the batch.
                    let p = current(&mut pending, &stream)?;
                    p.records.retain(|r| r.key != key);
                    p.deletes.push(key);
                }
                ReadItem::Skipped { stream, reason } => {
                    current(&mut pending, &stream)?.skip(reason);
                }
                ReadItem::Note { stream, message } => {
                    current(&mut pending, &stream)?.notes.push(message);
                }
                ReadItem::Checkpoint { stream, cursor } => {
                    let p = match pending.take() {
                        Some(p) if p.stream == stream => p,
                        _ => return Err(missing("stream start")),
                    };
                    self.commit(run, committer, p, Some(cursor)).await?;
                }
            }
        }
        if let Some(p) = pending {
            // The reader stopped without closing its stream: what it read of
            // that stream is not a complete pass.
            return Err(missing(&format!("checkpoint of {}", p.stream)));
        }
        Ok(JobStatus::Completed)
    }

    /// Turns a batch into documents (hashing off the async threads) and
    /// starts its commit, with the stream's progress, once the previous
    /// batch's commit is done.
    async fn commit(
        &self,
        run: &JobRun,
        committer: &mut Committer,
        p: Pending,
        end: Option<Value>,
    ) -> CoreResult<()> {
        let records = p.records;
        let writes = tokio::task::spawn_blocking(move || {
            records
                .into_iter()
                .map(crate::sync::document_of)
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| CoreError::Store(format!("document preparation failed: {e}")))?;
        let batch = SyncBatch {
            lease: run.lease.clone(),
            org_id: run.job.org_id,
            connection_id: run.job.connection_id,
            stream: p.stream,
            mode: p.mode,
            pass: p.pass,
            writes,
            deletes: p.deletes,
            position: p.position,
            read: p.read,
            skipped: p.skipped,
            skipped_reasons: p.reasons,
            notes: p.notes,
            bytes: p.bytes,
            end,
            synced_at: now(),
        };
        // The previous batch must be committed first (order is what makes
        // positions and counts right); this one's preparation overlapped it.
        committer.wait().await?;
        let store = self.store.clone();
        committer.inflight = Some(tokio::spawn(async move {
            store
                .commit_batch(&batch)
                .await
                .map(|out| out.cancel_requested)
        }));
        Ok(())
    }
}

/// The commit of at most one batch, running while the next batch is read.
struct Committer {
    inflight: Option<tokio::task::JoinHandle<CoreResult<bool>>>,
    /// A committed batch reported that a cancel was asked for: the job
    /// stops at the next batch, whatever the heartbeat's pace.
    cancel_seen: bool,
}

impl Committer {
    /// Waits for the batch in flight, if any, and returns its result.
    async fn wait(&mut self) -> CoreResult<()> {
        if let Some(commit) = self.inflight.take() {
            let cancel = commit
                .await
                .map_err(|e| CoreError::Store(format!("batch commit task failed: {e}")))??;
            self.cancel_seen |= cancel;
        }
        Ok(())
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

fn current<'a>(pending: &'a mut Option<Pending>, stream: &str) -> CoreResult<&'a mut Pending> {
    match pending {
        Some(p) if p.stream == stream => Ok(p),
        _ => Err(missing("stream start")),
    }
}

fn missing(what: &str) -> CoreError {
    CoreError::Source(ConnectorError::Failed(format!(
        "the connector broke the read protocol (no {what})"
    )))
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
