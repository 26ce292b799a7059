//! Search use-cases: one collection's documents, or every collection the
//! key may read. The query is parsed here, limits are checked here, the
//! scope (collections, alive connections) is read from the store here, the
//! node's index ranks, and the page's documents are read back from the
//! store (a second tenant guard) to cut the snippets.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use super::Services;
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::{CollectionId, ConnectionId, DocumentId};
use crate::model::document::SearchHit;
use crate::search::{Index, IndexPage, IndexScope, Query, TotalRelation, snippet};

/// Results a page holds unless asked otherwise.
pub const DEFAULT_LIMIT: u32 = 20;
/// Most results a page may hold.
pub const MAX_LIMIT: u32 = 200;
/// Deepest offset served: ranking every match to page past it costs more
/// than any reader goes.
pub const MAX_OFFSET: u64 = 10_000;
/// Most connection ids or stream names a search may be narrowed to.
pub const MAX_FILTER_ITEMS: usize = 100;
/// Longest a search with `after` waits for the index to apply that change.
pub const AFTER_WAIT: Duration = Duration::from_secs(5);

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
    /// Answer only once the index has applied this change-log `seq` (a sync
    /// job's `indexSeq`): read your writes.
    pub after: Option<i64>,
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
    /// Matches in all, exact up to 10,000.
    pub total: u64,
    /// Whether `total` is exact or a lower bound.
    pub relation: TotalRelation,
    /// The change-log `seq` the answer reflects.
    pub index_seq: u64,
}

/// A validated search.
struct Checked {
    query: Query,
    limit: u32,
    offset: u64,
    after: Option<u64>,
}

fn check(input: &SearchInput) -> CoreResult<Checked> {
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
    let after = match input.after {
        None => None,
        Some(n) => Some(u64::try_from(n).map_err(|_| {
            CoreError::invalid("after", "must be a change sequence number, 0 or more")
        })?),
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
    Ok(Checked {
        query,
        limit,
        offset,
        after,
    })
}

impl Services {
    /// The node's index; `SearchUnavailable` where this process serves
    /// no search.
    fn search_index(&self) -> CoreResult<Arc<dyn Index>> {
        self.index.clone().ok_or_else(|| {
            CoreError::SearchUnavailable(
                "this process serves no search; ask an `inlet serve` node".into(),
            )
        })
    }

    /// Waits until the index has applied `seq`, up to [`AFTER_WAIT`].
    async fn wait_for_index(&self, index: &dyn Index, seq: u64) -> CoreResult<()> {
        let mut applied = index.applied();
        let reached = tokio::time::timeout(AFTER_WAIT, applied.wait_for(|s| *s >= seq))
            .await
            .is_ok_and(|r| r.is_ok());
        if reached {
            return Ok(());
        }
        Err(CoreError::IndexBehind {
            wanted: seq,
            applied: *applied.borrow(),
        })
    }

    /// Searches the documents of alive connections the caller can read.
    pub async fn search(&self, who: &Principal, input: SearchInput) -> CoreResult<SearchResults> {
        who.require(Scope::Read)?;
        let Checked {
            query,
            limit,
            offset,
            after,
        } = check(&input)?;
        let index = self.search_index()?;
        let collections = match input.collection {
            Some(c) => {
                who.require_collection(c)?;
                // Unknown and other organizations' collections are 404.
                self.store.get_collection(who.org_id, c).await?;
                vec![c]
            }
            None => who.collections.clone(),
        };
        let scope = self.index_scope(who, &collections, &input).await?;
        if let Some(seq) = after {
            self.wait_for_index(index.as_ref(), seq).await?;
        }
        let page = if scope.collections.is_empty() {
            IndexPage {
                index_seq: *index.applied().borrow(),
                ..IndexPage::default()
            }
        } else {
            let (idx, q) = (index.clone(), query.clone());
            tokio::task::spawn_blocking(move || idx.search(&scope, &q, limit, offset))
                .await
                .map_err(|e| CoreError::Store(format!("search task: {e}")))??
        };
        self.hydrate(who, &query, page).await
    }

    /// The index scope of a search: the collections that hold connections,
    /// the narrowing asked for (kept to connections in scope), and the
    /// connections whose documents are hidden.
    async fn index_scope(
        &self,
        who: &Principal,
        collections: &[CollectionId],
        input: &SearchInput,
    ) -> CoreResult<IndexScope> {
        let connections = self.store.search_scope(who.org_id, collections).await?;
        let mut scope = IndexScope {
            streams: input.streams.clone(),
            ..IndexScope::default()
        };
        let mut seen = HashSet::new();
        let asked: HashSet<ConnectionId> = input.connections.iter().copied().collect();
        for c in &connections {
            if !asked.is_empty() && !asked.contains(&c.connection_id) {
                continue;
            }
            if seen.insert(c.collection_id) {
                scope.collections.push(c.collection_id);
            }
            if !c.searchable {
                scope.excluded_connections.push(c.connection_id);
            } else if !asked.is_empty() {
                scope.connections.push(c.connection_id);
            }
        }
        if !asked.is_empty() && scope.connections.is_empty() {
            // Narrowed to nothing searchable: nothing can match.
            scope.collections.clear();
        }
        scope.collections.sort_unstable();
        Ok(scope)
    }

    /// Reads the page's documents from the store and cuts their snippets;
    /// a document deleted since the index saw it is left out.
    async fn hydrate(
        &self,
        who: &Principal,
        query: &Query,
        page: IndexPage,
    ) -> CoreResult<SearchResults> {
        let ids: Vec<DocumentId> = page.hits.iter().map(|h| h.document_id).collect();
        let mut docs: HashMap<DocumentId, _> = if ids.is_empty() {
            HashMap::new()
        } else {
            self.store
                .documents_by_ids(who.org_id, &ids)
                .await?
                .into_iter()
                .map(|d| (d.id, d))
                .collect()
        };
        let results = page
            .hits
            .iter()
            .filter_map(|h| {
                let d = docs.remove(&h.document_id)?;
                Some(SearchResult {
                    snippet: snippet(&d.text, query),
                    hit: SearchHit {
                        document_id: d.id,
                        connection_id: d.connection_id,
                        stream: d.stream,
                        key: d.key,
                        title: d.title,
                        text: d.text,
                        score: f64::from(h.score),
                        synced_at: d.synced_at,
                    },
                })
            })
            .collect();
        Ok(SearchResults {
            results,
            total: page.total,
            relation: page.relation,
            index_seq: page.index_seq,
        })
    }
}
