//! The store's change log: every write to documents (a sync batch, a clear,
//! a connection or collection delete) records one change with a `seq` in
//! the same transaction. `seq` is gapless and visible in commit order, so a
//! follower that reads changes in `seq` order never skips one; each node's
//! search index follows it (see `inlet-index`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{CollectionId, ConnectionId, DocumentId, OrgId};
use crate::model::Timestamp;

/// What one change did to documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOp {
    /// A sync batch of one connection: documents written or removed.
    Batch {
        /// The connection.
        connection: ConnectionId,
        /// New documents.
        inserted: Vec<DocumentId>,
        /// Documents whose title or text may have changed.
        updated: Vec<DocumentId>,
        /// Documents removed.
        deleted: Vec<DocumentId>,
    },
    /// Every document of these connections removed (a clear, a connection
    /// or collection delete): one change, whatever the number of documents.
    Clear {
        /// The connections.
        connections: Vec<ConnectionId>,
    },
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Position in the log: gapless, in commit order, from 1.
    pub seq: u64,
    /// The organization whose documents changed.
    pub org_id: OrgId,
    /// What changed.
    pub op: ChangeOp,
    /// When the writing transaction committed (to the millisecond).
    pub committed_at: Timestamp,
}

/// Where the log stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHead {
    /// The last `seq` handed out (0 before any change).
    pub seq: u64,
    /// Changes at or below this were pruned; a follower behind it rebuilds.
    pub pruned_through: u64,
    /// Random per store, set when the log was created: an index built from
    /// another store is rebuilt.
    pub store_id: String,
}

/// A document as the search index needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedDocument {
    /// The document.
    pub id: DocumentId,
    /// Its organization.
    pub org_id: OrgId,
    /// Its connection's collection.
    pub collection_id: CollectionId,
    /// Its connection.
    pub connection_id: ConnectionId,
    /// Its stream.
    pub stream: String,
    /// Title.
    pub title: String,
    /// Searchable text.
    pub text: String,
}

/// Reading the change log, and the bookkeeping of the nodes that follow it.
#[async_trait]
pub trait ChangeLog: Send + Sync {
    /// The log's head.
    async fn log_head(&self) -> CoreResult<LogHead>;

    /// Up to `limit` changes with `seq > after`, in `seq` order.
    async fn changes_after(&self, after: u64, limit: u32) -> CoreResult<Vec<Change>>;

    /// The documents of `ids` that exist now, in any order (a missing id was
    /// deleted since its change was logged).
    async fn indexed_documents(&self, ids: &[DocumentId]) -> CoreResult<Vec<IndexedDocument>>;

    /// Up to `limit` documents with ids above `after`, by id (a rebuild's scan).
    async fn scan_indexed_documents(
        &self,
        after: DocumentId,
        limit: u32,
    ) -> CoreResult<Vec<IndexedDocument>>;

    /// How many documents the store holds (a rebuild's progress).
    async fn count_all_documents(&self) -> CoreResult<u64>;

    /// Starts a rebuild of `node`'s index: records, in one statement with
    /// reading it, that the node stands at the current head, so pruning
    /// cannot pass the changes the rebuild must still apply.
    async fn begin_rebuild(&self, node: &str) -> CoreResult<LogHead>;

    /// Records that `node` has applied every change through `applied`, now.
    async fn node_heartbeat(&self, node: &str, applied: u64) -> CoreResult<()>;

    /// Deletes the changes every node heard from within `retention` has
    /// applied, and forgets nodes silent for longer; returns the new
    /// `pruned_through`.
    async fn prune_changes(&self, retention: Duration) -> CoreResult<u64>;

    /// Notified after each change this process commits, so a follower in
    /// the same process applies it without waiting for its next poll.
    fn change_signal(&self) -> Arc<tokio::sync::Notify>;
}
