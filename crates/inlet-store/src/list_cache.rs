//! A cache of connection-list pages.
//!
//! Searching 100,000 connections costs milliseconds even with a trigram
//! index (the posting lists of a common term are long, and the total must be
//! counted), while the same lists are asked for again and again by
//! dashboards and pickers. Every write to an organization's connections bumps
//! its row in `list_generations` in the same transaction; a page is served
//! from the cache only if it was computed at the current generation, which is
//! read before the query runs — for a request, by the same statement that
//! authenticates its key (`find_api_key`), so a cached page
//! costs no query of its own. Because the counter
//! lives in the database, the cache stays correct with several `inlet serve`
//! nodes on one PostgreSQL: a write through any node invalidates every node's
//! pages.

use std::sync::Arc;

use inlet_core::ids::OrgId;
use inlet_core::list::{ConnectionFilter, Page, PageRequest};
use inlet_core::model::connection::Connection;

type Key = (OrgId, ConnectionFilter, PageRequest);

/// Pages of connection lists, tagged with the generation they were computed at.
pub struct ListCache {
    pages: quick_cache::sync::Cache<Key, Arc<(i64, Page<Connection>)>>,
}

impl ListCache {
    /// A cache of at most `capacity` pages.
    pub fn new(capacity: usize) -> Self {
        Self {
            pages: quick_cache::sync::Cache::new(capacity),
        }
    }

    /// A page computed at `generation`, if cached.
    pub fn get(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        page: PageRequest,
        generation: i64,
    ) -> Option<Page<Connection>> {
        let hit = self.pages.get(&(org, filter.clone(), page))?;
        (hit.0 == generation).then(|| hit.1.clone())
    }

    /// Remembers a page computed at `generation`.
    pub fn put(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        generation: i64,
        result: &Page<Connection>,
    ) {
        self.pages.insert(
            (org, filter.clone(), result.request),
            Arc::new((generation, result.clone())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_generation_hits() {
        let cache = ListCache::new(16);
        let f = ConnectionFilter::default();
        let page = Page {
            items: vec![],
            request: PageRequest::default(),
            total: 3,
        };
        cache.put(OrgId(1), &f, 4, &page);
        assert_eq!(
            cache.get(OrgId(1), &f, PageRequest::default(), 4),
            Some(page)
        );
        assert!(cache.get(OrgId(1), &f, PageRequest::default(), 5).is_none());
        assert!(cache.get(OrgId(2), &f, PageRequest::default(), 4).is_none());
        let other = ConnectionFilter {
            contains: Some("x".into()),
            ..Default::default()
        };
        assert!(
            cache
                .get(OrgId(1), &other, PageRequest::default(), 4)
                .is_none()
        );
    }
}
