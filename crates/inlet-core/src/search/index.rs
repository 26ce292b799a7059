//! The contract of the full-text index: a derived copy of the store's
//! documents on every node, built and queried by `inlet-index`. The core
//! names no engine; services call this trait and read the page's documents
//! from the store.

use crate::error::CoreResult;
use crate::ids::{CollectionId, ConnectionId, DocumentId};
use crate::search::Query;

/// Matches counted exactly up to this many; past it `total` is this and
/// the relation is [`TotalRelation::AtLeast`].
pub const TOTAL_EXACT_UP_TO: u64 = 10_000;

/// Which documents a search may return, as the index sees them. The
/// service builds it from the store, so only collections of the caller's
/// organization that it may read appear in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexScope {
    /// Collections searched; never empty for a search that can match.
    pub collections: Vec<CollectionId>,
    /// Only these connections (empty: all of the collections').
    pub connections: Vec<ConnectionId>,
    /// Never these connections (switched off, or their last sync failed).
    pub excluded_connections: Vec<ConnectionId>,
    /// Only these streams (empty: all).
    pub streams: Vec<String>,
}

/// Whether `total` is the exact count or a lower bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TotalRelation {
    /// Exact.
    #[default]
    Equal,
    /// At least `total` ([`TOTAL_EXACT_UP_TO`]).
    AtLeast,
}

/// One match: the document and its BM25 score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexHit {
    /// The document.
    pub document_id: DocumentId,
    /// Relevance, higher is better.
    pub score: f32,
}

/// A page of matches, best first (ties by document id).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexPage {
    /// The page.
    pub hits: Vec<IndexHit>,
    /// Matches in all, exact up to [`TOTAL_EXACT_UP_TO`].
    pub total: u64,
    /// Whether `total` is exact.
    pub relation: TotalRelation,
    /// The change-log `seq` the searched index reflects.
    pub index_seq: u64,
}

/// Where a node's index stands (for `/readyz` and metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStatus {
    /// Opening, or replaying changes the store already holds.
    CatchingUp,
    /// Rebuilding from the store's documents.
    Rebuilding {
        /// Documents indexed so far.
        done: u64,
        /// Documents to index.
        total: u64,
    },
    /// Caught up with the store.
    Ready,
    /// Cannot apply changes (disk full, a broken directory); retrying.
    Failing(String),
}

/// A node's search index.
pub trait Index: Send + Sync {
    /// The `limit` best matches of `query` in `scope` after skipping
    /// `offset`. Blocking: call it off the async threads.
    fn search(
        &self,
        scope: &IndexScope,
        query: &Query,
        limit: u32,
        offset: u64,
    ) -> CoreResult<IndexPage>;

    /// The `seq` searches currently reflect, updated after each commit.
    fn applied(&self) -> tokio::sync::watch::Receiver<u64>;

    /// Where the index stands.
    fn status(&self) -> IndexStatus;
}
