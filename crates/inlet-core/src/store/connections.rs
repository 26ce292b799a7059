//! Connections: create, read, list, edit, delete, and the status their tests leave.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{CollectionId, ConnectionId, OrgId};
use crate::list::{ConnectionFilter, Page, PageRequest};
use crate::model::Timestamp;
use crate::model::connection::{
    ConfigUpdate, Connection, ConnectionChange, ConnectionCounts, ConnectionPatch,
    ConnectionStatus, CredentialsUpdate, NewConnection,
};

/// Connections: create, read, list, edit, delete, and the status their tests leave.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Creates a connection; its collection must belong to the same organization.
    async fn create_connection(&self, new: NewConnection) -> CoreResult<Connection>;

    /// One connection of `org`.
    async fn get_connection(&self, org: OrgId, id: ConnectionId) -> CoreResult<Connection>;

    /// A filtered, sorted page of `org`'s connections.
    async fn list_connections(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Connection>>;

    /// Every connection of `org` matching `filter`, in its order, in one
    /// query (for APIs that answer whole lists).
    async fn all_connections(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
    ) -> CoreResult<Vec<Connection>>;

    /// Counts of `org`'s connections matching `filter`, per status, and
    /// how many are alive (one grouped query).
    async fn connection_counts(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
    ) -> CoreResult<ConnectionCounts>;

    /// The names of those of `ids` that are `org`'s connections (within
    /// `within_collections` when it is not empty).
    async fn connection_names(
        &self,
        org: OrgId,
        ids: &[ConnectionId],
        within_collections: &[CollectionId],
    ) -> CoreResult<Vec<(ConnectionId, String)>>;

    /// [`ConnectionStore::list_connections`], given `org`'s list generation as read
    /// earlier in the same request (by [`KeyStore::find_api_key`](super::KeyStore::find_api_key)):
    /// a page cached at that generation is served without a query.
    async fn list_connections_at(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        page: PageRequest,
        generation: i64,
    ) -> CoreResult<Page<Connection>>;

    /// Applies one edit — descriptive fields, credentials, configuration and
    /// a passing test, whichever are given — in one transaction: all of it
    /// or none. (An audited view records its one event in it too.)
    async fn change_connection(
        &self,
        org: OrgId,
        id: ConnectionId,
        change: ConnectionChange,
    ) -> CoreResult<Connection>;

    /// Updates name, description, tags or status.
    async fn update_connection(
        &self,
        org: OrgId,
        id: ConnectionId,
        patch: ConnectionPatch,
    ) -> CoreResult<Connection> {
        let change = ConnectionChange {
            patch,
            ..ConnectionChange::default()
        };
        self.change_connection(org, id, change).await
    }

    /// Replaces credentials.
    async fn update_credentials(
        &self,
        org: OrgId,
        id: ConnectionId,
        update: CredentialsUpdate,
    ) -> CoreResult<Connection> {
        let change = ConnectionChange {
            credentials: Some(update),
            ..ConnectionChange::default()
        };
        self.change_connection(org, id, change).await
    }

    /// Replaces configuration and the next scheduled sync time computed
    /// from it (`None`: no schedule).
    async fn update_config(
        &self,
        org: OrgId,
        id: ConnectionId,
        config: serde_json::Map<String, serde_json::Value>,
        next_sync_at: Option<Timestamp>,
    ) -> CoreResult<Connection> {
        let change = ConnectionChange {
            config: Some(ConfigUpdate {
                config,
                next_sync_at,
            }),
            ..ConnectionChange::default()
        };
        self.change_connection(org, id, change).await
    }

    /// Deletes a connection.
    async fn delete_connection(&self, org: OrgId, id: ConnectionId) -> CoreResult<()>;

    /// Sets a connection's status (e.g. `testing` while a test runs).
    async fn set_status(
        &self,
        org: OrgId,
        id: ConnectionId,
        status: ConnectionStatus,
    ) -> CoreResult<()>;

    /// Records a finished test: `active` with `lastSuccessfulConnectionAt`
    /// when `error` is `None`, `failed` with the error otherwise — unless a
    /// user switched the connection off meanwhile, which stays.
    async fn record_test(
        &self,
        org: OrgId,
        id: ConnectionId,
        at: Timestamp,
        error: Option<&str>,
    ) -> CoreResult<Connection>;
}
