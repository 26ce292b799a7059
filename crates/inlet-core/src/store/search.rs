//! Full-text search over the indexed documents of alive connections.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{CollectionId, ConnectionId, OrgId};
use crate::model::document::SearchHit;
use crate::search::Query;

/// Which documents a search may return.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchScope {
    /// The organization; always applied.
    pub org_id: OrgId,
    /// Only these collections; empty means every collection of the org.
    pub collections: Vec<CollectionId>,
    /// Only these connections; empty means all in scope.
    pub connections: Vec<ConnectionId>,
    /// Only these streams; empty means all.
    pub streams: Vec<String>,
}

/// One page of hits, best first, and how many match in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    /// The hits of the page.
    pub hits: Vec<SearchHit>,
    /// Matches in all.
    pub total: u64,
}

/// Searching the full-text index.
#[async_trait]
pub trait SearchStore {
    /// Documents of alive connections in `scope` matching `query`, ranked
    /// (title matches above body-only ones), ties by document id.
    async fn search(
        &self,
        scope: &SearchScope,
        query: &Query,
        limit: u32,
        offset: u64,
    ) -> CoreResult<SearchPage>;
}
