//! Search use-cases: one collection's documents, or every collection the
//! key may read. The query is parsed here, limits are checked here, and the
//! snippets are cut here, so every API and both stores behave alike.

use super::Services;
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::{CollectionId, ConnectionId};
use crate::model::document::SearchHit;
use crate::search::{Query, snippet};
use crate::store::SearchScope;

/// Results a page holds unless asked otherwise.
pub const DEFAULT_LIMIT: u32 = 20;
/// Most results a page may hold.
pub const MAX_LIMIT: u32 = 200;
/// Deepest offset served: ranking every match to page past it costs more
/// than any reader goes.
pub const MAX_OFFSET: u64 = 10_000;
/// Most connection ids or stream names a search may be narrowed to.
pub const MAX_FILTER_ITEMS: usize = 100;

/// A search as the caller asked it, before validation.
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    /// Only this collection (`None`: every collection the key may read).
    pub collection: Option<CollectionId>,
    /// The query text.
    pub query: String,
    /// The name the query came under (`query` in a body, `q` in a URL), for errors.
    pub query_field: &'static str,
    /// Page size (default 20, at most 200).
    pub limit: Option<i64>,
    /// Results to skip (default 0, at most 10,000).
    pub offset: Option<i64>,
    /// Only these connections.
    pub connections: Vec<ConnectionId>,
    /// Only these streams.
    pub streams: Vec<String>,
}

/// One result: the hit and its snippet.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// What was found.
    pub hit: SearchHit,
    /// HTML-escaped text around the matches, each in `<mark>…</mark>`.
    pub snippet: String,
}

/// A page of results and the number of matches in all.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Best first.
    pub results: Vec<SearchResult>,
    /// Matches in all.
    pub total: u64,
}

impl Services {
    /// Searches the documents of alive connections the caller can read.
    pub async fn search(&self, who: &Principal, input: SearchInput) -> CoreResult<SearchResults> {
        who.require(Scope::Read)?;
        let query = Query::parse(input.query_field, &input.query)?;
        let limit = match input.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
            Some(_) => {
                return Err(CoreError::invalid(
                    "limit",
                    format!("must be between 1 and {MAX_LIMIT}"),
                ));
            }
        };
        let offset = match input.offset {
            None => 0,
            Some(n) if (0..=MAX_OFFSET as i64).contains(&n) => n as u64,
            Some(_) => {
                return Err(CoreError::invalid(
                    "offset",
                    format!("must be between 0 and {MAX_OFFSET}"),
                ));
            }
        };
        if input.connections.len() > MAX_FILTER_ITEMS {
            return Err(CoreError::invalid(
                "sourceConnectionIds",
                format!("at most {MAX_FILTER_ITEMS} ids"),
            ));
        }
        if input.streams.len() > MAX_FILTER_ITEMS {
            return Err(CoreError::invalid(
                "streams",
                format!("at most {MAX_FILTER_ITEMS} names"),
            ));
        }
        let collections = match input.collection {
            Some(c) => {
                who.require_collection(c)?;
                // Unknown and other organizations' collections are 404.
                self.store.get_collection(who.org_id, c).await?;
                vec![c]
            }
            None => who.collections.clone(),
        };
        let scope = SearchScope {
            org_id: who.org_id,
            collections,
            connections: input.connections,
            streams: input.streams,
        };
        let page = self.store.search(&scope, &query, limit, offset).await?;
        let results = page
            .hits
            .into_iter()
            .map(|hit| SearchResult {
                snippet: snippet(&hit.text, &query),
                hit,
            })
            .collect();
        Ok(SearchResults {
            results,
            total: page.total,
        })
    }
}
