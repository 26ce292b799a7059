//! A sync's batches: one being filled per stream, and the commit of at most
//! one more running while the next is read.

use std::sync::Arc;

use inlet_core::connector::{ConnectorError, ReadMode, Record};
use inlet_core::ids::JobId;
use inlet_core::model::now;
use inlet_core::store::{Store, SyncBatch};
use inlet_core::{CoreError, CoreResult};
use serde_json::Value;

use crate::job_run::JobRun;

/// Reasons kept per stream and batch (the count is exact; reasons are samples).
const MAX_REASONS: usize = 5;

/// A batch being filled for one stream.
pub(super) struct Pending {
    pub stream: String,
    mode: ReadMode,
    pass: Option<JobId>,
    pub records: Vec<Record>,
    pub deletes: Vec<String>,
    pub position: Option<Value>,
    pub read: u64,
    skipped: u64,
    reasons: Vec<String>,
    pub notes: Vec<String>,
    pub bytes: u64,
}

impl Pending {
    pub fn new(stream: String, mode: ReadMode, pass: Option<JobId>) -> Self {
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

    /// The empty batch that follows this full one in the same stream. It
    /// keeps the resume point, so a next batch of only deletes or skips
    /// does not lose it.
    pub fn successor(&self) -> Self {
        let mut next = Self::new(self.stream.clone(), self.mode, self.pass);
        next.notes.clone_from(&self.notes);
        next.position.clone_from(&self.position);
        next
    }

    /// Items in the batch, counting skips.
    pub fn len(&self) -> usize {
        self.records.len() + self.deletes.len() + usize::try_from(self.skipped).unwrap_or(0)
    }

    /// Counts a record read but not indexed, keeping a sample of reasons.
    pub fn skip(&mut self, reason: String) {
        self.read += 1;
        self.skipped += 1;
        if self.reasons.len() < MAX_REASONS {
            self.reasons.push(reason);
        }
    }
}

/// The commit of at most one batch, running while the next is read.
pub(super) struct Committer {
    store: Arc<dyn Store>,
    inflight: Option<tokio::task::JoinHandle<CoreResult<bool>>>,
    /// A committed batch reported that a cancel was asked for: the job
    /// stops at the next batch, whatever the heartbeat's pace.
    cancel_seen: bool,
}

impl Committer {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            inflight: None,
            cancel_seen: false,
        }
    }

    /// Whether a committed batch saw a cancel request.
    pub fn cancel_seen(&self) -> bool {
        self.cancel_seen
    }

    /// Turns a batch into documents (hashing off the async threads) and
    /// starts its commit, with the stream's progress, once the previous
    /// batch's commit is done.
    pub async fn commit(&mut self, run: &JobRun, p: Pending, end: Option<Value>) -> CoreResult<()> {
        let records = p.records;
        let writes = tokio::task::spawn_blocking(move || {
            records
                .into_iter()
                .map(inlet_core::sync::document_of)
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
        self.wait().await?;
        let store = self.store.clone();
        self.inflight = Some(tokio::spawn(async move {
            store
                .commit_batch(&batch)
                .await
                .map(|out| out.cancel_requested)
        }));
        Ok(())
    }

    /// Waits for the batch in flight, if any, and returns its result.
    pub async fn wait(&mut self) -> CoreResult<()> {
        if let Some(commit) = self.inflight.take() {
            let cancel = commit
                .await
                .map_err(|e| CoreError::Store(format!("batch commit task failed: {e}")))??;
            self.cancel_seen |= cancel;
        }
        Ok(())
    }
}

/// The error for a connector that broke the read protocol.
pub(super) fn missing(what: &str) -> CoreError {
    CoreError::Source(ConnectorError::Failed(format!(
        "the connector broke the read protocol (no {what})"
    )))
}
