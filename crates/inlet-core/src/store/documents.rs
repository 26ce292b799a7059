//! Persistence of synced data: documents, the per-stream sync state
//! (cursors, resume positions), and the batch commit that writes all of it,
//! with the job's counts and one change-log entry, in one transaction.

use async_trait::async_trait;
use serde_json::Value;

use crate::error::CoreResult;
use crate::ids::{CollectionId, ConnectionId, DocumentId, JobId, OrgId};
use crate::list::{Page, PageRequest};
use crate::model::Timestamp;
use crate::model::document::{Document, DocumentWrite};
use crate::model::job::Lease;

/// Where a stream's sync stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamState {
    /// The stream.
    pub stream: String,
    /// Cursor of its last completed read (`None` before the first).
    pub cursor: Option<Value>,
    /// Position of the last committed record of an unfinished full pass.
    pub position: Option<Value>,
    /// The job that started the unfinished full pass (marks of seen documents).
    pub pass: Option<JobId>,
    /// The job that last completed this stream.
    pub completed_by: Option<JobId>,
}

/// One batch of a stream, committed atomically with the stream's progress.
#[derive(Debug, Clone)]
pub struct SyncBatch {
    /// The job's lease: nothing is written once it is lost.
    pub lease: Lease,
    /// Owning organization.
    pub org_id: OrgId,
    /// The connection.
    pub connection_id: ConnectionId,
    /// The stream.
    pub stream: String,
    /// Full or incremental (shown in the stream's progress).
    pub mode: crate::connector::ReadMode,
    /// For full reads, the pass whose seen marks this batch sets.
    pub pass: Option<JobId>,
    /// Records to insert, or update when their hash changed.
    pub writes: Vec<DocumentWrite>,
    /// Keys the source reports gone.
    pub deletes: Vec<String>,
    /// Position after the batch's last record (resume point).
    pub position: Option<Value>,
    /// Records read (including skipped ones).
    pub read: u64,
    /// Records skipped, with a few reasons.
    pub skipped: u64,
    /// Reasons for skips (kept up to a few per stream).
    pub skipped_reasons: Vec<String>,
    /// Notes on how the stream is read (kept from its first batch).
    pub notes: Vec<String>,
    /// Bytes of record data read.
    pub bytes: u64,
    /// Set when the stream ended: its next cursor. For a full pass, documents
    /// it never saw are deleted.
    pub end: Option<Value>,
    /// Time written on changed documents.
    pub synced_at: Timestamp,
}

/// What a committed batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// New documents.
    pub inserted: u64,
    /// Changed documents.
    pub updated: u64,
    /// Documents whose hash matched.
    pub unchanged: u64,
    /// Documents removed.
    pub deleted: u64,
    /// A cancel of the job was asked for (seen at this batch's lease check).
    pub cancel_requested: bool,
    /// The change-log `seq` of the batch (`None`: no document changed, so
    /// nothing was logged).
    pub index_seq: Option<u64>,
}

/// A connection as a search scope needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopedConnection {
    /// Its collection.
    pub collection_id: CollectionId,
    /// The connection.
    pub connection_id: ConnectionId,
    /// Whether its documents are searched (switched on and its last sync
    /// did not fail).
    pub searchable: bool,
}

/// What clearing a connection's documents did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleared {
    /// Documents removed.
    pub documents: u64,
    /// The change-log `seq` of the clear.
    pub index_seq: u64,
}

/// Documents and sync state.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Every stream's state of a connection.
    async fn stream_states(
        &self,
        org: OrgId,
        connection: ConnectionId,
    ) -> CoreResult<Vec<StreamState>>;

    /// Commits a batch; `Err(NotFound("job"))` when the lease was lost.
    async fn commit_batch(&self, batch: &SyncBatch) -> CoreResult<BatchOutcome>;

    /// A connection's documents by stream and key.
    async fn list_documents(
        &self,
        org: OrgId,
        connection: ConnectionId,
        stream: Option<&str>,
        page: PageRequest,
    ) -> CoreResult<Page<Document>>;

    /// One document of `org`.
    async fn get_document(&self, org: OrgId, id: DocumentId) -> CoreResult<Document>;

    /// The documents of `org` among `ids`, in any order; ids of another
    /// organization or deleted since are left out.
    async fn documents_by_ids(&self, org: OrgId, ids: &[DocumentId]) -> CoreResult<Vec<Document>>;

    /// Every connection of `org` in `collections` (empty: every
    /// collection), with whether its documents are searched.
    async fn search_scope(
        &self,
        org: OrgId,
        collections: &[CollectionId],
    ) -> CoreResult<Vec<ScopedConnection>>;

    /// Removes a connection's documents and its stream states, logging one
    /// change; returns how many documents went and the change's `seq`.
    async fn clear_documents(&self, org: OrgId, connection: ConnectionId) -> CoreResult<Cleared>;
}
