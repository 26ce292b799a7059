//! Whole lists (no pages) for APIs that answer bare arrays: every matching
//! connection (002's names), and collections with their connections (000's
//! repositories and workspaces); and the summaries pages show beside other
//! resources: connection counts by status, connection names by id.

use std::collections::HashMap;

use super::Services;
use super::connections::reachable;
use crate::auth::{Principal, Scope};
use crate::error::CoreResult;
use crate::ids::{CollectionId, ConnectionId};
use crate::list::{ConnectionFilter, MAX_PAGE_SIZE, PageRequest};
use crate::model::collection::Collection;
use crate::model::connection::{Connection, ConnectionCounts};

/// A collection and the connections of it that matched.
#[derive(Debug, Clone)]
pub struct CollectionConnections {
    /// The collection.
    pub collection: Collection,
    /// Its connections matching the filter, in the filter's order.
    pub connections: Vec<Connection>,
}

impl Services {
    /// Every connection the caller can reach that matches `filter`, in its
    /// order, read in one query.
    pub async fn list_all_connections(
        &self,
        who: &Principal,
        filter: ConnectionFilter,
    ) -> CoreResult<Vec<Connection>> {
        let filter = reachable(who, filter)?;
        self.store.all_connections(who.org_id, &filter).await
    }

    /// How many of the connections the caller can reach are in each status,
    /// and how many are alive.
    pub async fn connection_counts(&self, who: &Principal) -> CoreResult<ConnectionCounts> {
        let filter = reachable(who, ConnectionFilter::default())?;
        self.store.connection_counts(who.org_id, &filter).await
    }

    /// The names of the connections `ids` the caller can reach (for tables
    /// that list another resource by connection, such as jobs).
    pub async fn connection_names(
        &self,
        who: &Principal,
        ids: &[ConnectionId],
    ) -> CoreResult<Vec<(ConnectionId, String)>> {
        who.require(Scope::Read)?;
        self.store
            .connection_names(who.org_id, ids, &who.collections)
            .await
    }

    /// Every collection the caller can reach, each with its connections
    /// matching `filter`. With `filter.alive == Some(true)` a collection is
    /// alive when it holds at least one alive connection, and only those
    /// are returned.
    pub async fn collections_with_connections(
        &self,
        who: &Principal,
        filter: ConnectionFilter,
    ) -> CoreResult<Vec<CollectionConnections>> {
        who.require(Scope::Read)?;
        let alive_only = filter.alive == Some(true);
        let mut collections = Vec::new();
        for page in 1.. {
            let p = self
                .list_collections(
                    who,
                    PageRequest {
                        page,
                        page_size: MAX_PAGE_SIZE,
                    },
                )
                .await?;
            let done = !p.has_next();
            collections.extend(p.items.into_iter().map(|collection| CollectionConnections {
                collection,
                connections: Vec::new(),
            }));
            if done {
                break;
            }
        }
        let at: HashMap<CollectionId, usize> = collections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.collection.id, i))
            .collect();
        for conn in self.list_all_connections(who, filter).await? {
            if let Some(&i) = at.get(&conn.collection_id) {
                collections[i].connections.push(conn);
            }
        }
        if alive_only {
            collections.retain(|c| !c.connections.is_empty());
        }
        Ok(collections)
    }
}
