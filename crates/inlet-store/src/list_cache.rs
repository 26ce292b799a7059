//! A cache of connection-list pages for the embedded store.
//!
//! Searching 100,000 connections costs milliseconds even with the trigram
//! index (the posting lists of a common term are long, and the total must be
//! counted), while the same list is typically asked for again and again by
//! dashboards and pickers. Each organization has a generation number that
//! every write to its connections bumps *after* committing; a page is served
//! from the cache only if it was computed at the current generation (read
//! before the query ran), so a cached page is never older than the last
//! write this process made.
//!
//! It is only enabled on SQLite, where this process is the only writer.
//! PostgreSQL deployments may run several nodes against one database, so
//! there every list goes to the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use inlet_core::ids::OrgId;
use inlet_core::list::{ConnectionFilter, Page, PageRequest};
use inlet_core::model::connection::Connection;

type Key = (OrgId, ConnectionFilter, PageRequest);

/// Pages of connection lists, tagged with the organization's generation.
pub struct ListCache {
    generations: RwLock<HashMap<OrgId, u64>>,
    pages: quick_cache::sync::Cache<Key, Arc<(u64, Page<Connection>)>>,
}

impl ListCache {
    /// A cache of at most `capacity` pages.
    pub fn new(capacity: usize) -> Self {
        Self {
            generations: RwLock::new(HashMap::new()),
            pages: quick_cache::sync::Cache::new(capacity),
        }
    }

    /// The organization's current generation.
    pub fn generation(&self, org: OrgId) -> u64 {
        self.generations
            .read()
            .map_or(u64::MAX, |g| g.get(&org).copied().unwrap_or(0))
    }

    /// Invalidates every cached page of `org`.
    pub fn bump(&self, org: OrgId) {
        if let Ok(mut g) = self.generations.write() {
            *g.entry(org).or_insert(0) += 1;
        }
    }

    /// Invalidates everything (operator tasks that span organizations).
    pub fn clear(&self) {
        if let Ok(mut g) = self.generations.write() {
            for v in g.values_mut() {
                *v += 1;
            }
        }
        self.pages.clear();
    }

    /// A page computed at `generation`, if cached.
    pub fn get(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        page: PageRequest,
        generation: u64,
    ) -> Option<Page<Connection>> {
        let hit = self.pages.get(&(org, filter.clone(), page))?;
        (hit.0 == generation).then(|| hit.1.clone())
    }

    /// Remembers a page computed at `generation`.
    pub fn put(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        generation: u64,
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
    fn a_bump_invalidates_only_that_organization() {
        let cache = ListCache::new(16);
        let f = ConnectionFilter::default();
        let page = Page {
            items: vec![],
            request: PageRequest::default(),
            total: 3,
        };
        let (a, b) = (OrgId(1), OrgId(2));
        cache.put(a, &f, cache.generation(a), &page);
        cache.put(b, &f, cache.generation(b), &page);
        assert!(
            cache
                .get(a, &f, PageRequest::default(), cache.generation(a))
                .is_some()
        );
        cache.bump(a);
        assert!(
            cache
                .get(a, &f, PageRequest::default(), cache.generation(a))
                .is_none()
        );
        assert!(
            cache
                .get(b, &f, PageRequest::default(), cache.generation(b))
                .is_some()
        );
        cache.clear();
        assert!(
            cache
                .get(b, &f, PageRequest::default(), cache.generation(b))
                .is_none()
        );
    }
}
