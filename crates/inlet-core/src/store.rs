//! The persistence contract. Every method that touches tenant data takes the
//! organization id and filters by it: a query without it would be a bug.
//! Implementations live in `inlet-store` (SQLite and PostgreSQL).

mod audit;
mod changes;
mod console;
mod documents;
mod jobs;
mod schedules;

use std::sync::Arc;

use async_trait::async_trait;

pub use audit::AuditStore;
pub use changes::{Change, ChangeLog, ChangeOp, IndexedDocument, LogHead};
pub use console::ConsoleStore;
pub use documents::{
    BatchOutcome, Cleared, DocumentStore, ScopedConnection, StreamState, SyncBatch,
};
pub use jobs::{Heartbeat, JobStore};
pub use schedules::ScheduleStore;

use crate::crypto::Sealed;
use crate::error::CoreResult;
use crate::ids::{ApiKeyId, CollectionId, ConnectionId, OrgId, UserId};
use crate::list::{ConnectionFilter, Page, PageRequest};
use crate::model::Timestamp;
use crate::model::api_key::{ApiKey, NewApiKey};
use crate::model::audit::AuditDraft;
use crate::model::collection::{Collection, CollectionPatch, NewCollection};
use crate::model::connection::{
    ConfigUpdate, Connection, ConnectionChange, ConnectionCounts, ConnectionPatch,
    ConnectionStatus, CredentialsUpdate, NewConnection,
};
use crate::model::organization::Organization;
use crate::model::schema::{DiscoveredSchema, StoredSchema};
use crate::model::user::{Membership, Role, User};
use crate::policy::OrgPolicy;

/// A key as authentication reads it: the key, the role its user holds in
/// the key's organization (`None` for service tokens or non-members), and
/// that organization's list generation.
pub type FoundKey = (ApiKey, Option<Role>, i64);

/// Persistence for every domain object; jobs, documents and the change log
/// have traits of their own.
#[async_trait]
pub trait Store:
    JobStore
    + DocumentStore
    + ChangeLog
    + ScheduleStore
    + AuditStore
    + ConsoleStore
    + Send
    + Sync
    + 'static
{
    /// The same store, writing `event` in the same transaction as the next
    /// change made through it (creating methods fill in the object's id).
    /// Changes made through the plain store record nothing: every service
    /// that changes something a person would ask about goes through this.
    fn audited(&self, event: AuditDraft) -> Arc<dyn Store>;

    /// Checks that the store answers (for `/readyz`).
    async fn ping(&self) -> CoreResult<()>;

    // Organizations -------------------------------------------------------

    /// Creates an organization; a duplicate name is `Conflict`.
    async fn create_org(&self, name: &str) -> CoreResult<Organization>;
    /// One organization.
    async fn get_org(&self, id: OrgId) -> CoreResult<Organization>;
    /// Organizations by id.
    async fn list_orgs(&self, page: PageRequest) -> CoreResult<Page<Organization>>;
    /// Number of organizations (0 on a fresh store).
    async fn count_orgs(&self) -> CoreResult<u64>;
    /// An organization's outbound policy; one never set is
    /// [`OrgPolicy::restricted`], so a new organization starts narrowed.
    async fn org_policy(&self, id: OrgId) -> CoreResult<OrgPolicy>;
    /// Replaces an organization's outbound policy.
    async fn set_org_policy(&self, id: OrgId, policy: &OrgPolicy) -> CoreResult<OrgPolicy>;

    // Users and memberships ----------------------------------------------

    /// Creates a user; a duplicate e-mail is `Conflict`.
    async fn create_user(&self, email: &str, name: &str) -> CoreResult<User>;
    /// One user.
    async fn get_user(&self, id: UserId) -> CoreResult<User>;
    /// Users by id.
    async fn list_users(&self, page: PageRequest) -> CoreResult<Page<User>>;
    /// Adds or changes a membership.
    async fn upsert_membership(
        &self,
        org: OrgId,
        user: UserId,
        role: Role,
    ) -> CoreResult<Membership>;
    /// Removes a membership; `NotFound` when there was none.
    async fn delete_membership(&self, org: OrgId, user: UserId) -> CoreResult<()>;
    /// A user's memberships.
    async fn list_memberships(&self, user: UserId) -> CoreResult<Vec<Membership>>;

    // API keys -------------------------------------------------------------

    /// Stores a key (its hash).
    async fn create_api_key(&self, key: NewApiKey) -> CoreResult<ApiKey>;
    /// The key with this hash, with the role its user holds in the key's
    /// organization (`None` for service tokens or non-members) and that
    /// organization's list generation (see [`Store::list_connections_at`]).
    /// One statement: this runs on every request, and a request whose list
    /// page is cached makes no other.
    async fn find_api_key(&self, hash: &str) -> CoreResult<Option<FoundKey>>;
    /// An organization's keys, newest first.
    async fn list_api_keys(&self, org: OrgId, page: PageRequest) -> CoreResult<Page<ApiKey>>;
    /// Revokes a key of `org`; instance administrators' keys only when
    /// `instance_admin_keys` (otherwise they are not found).
    async fn revoke_api_key(
        &self,
        org: OrgId,
        id: ApiKeyId,
        instance_admin_keys: bool,
    ) -> CoreResult<ApiKey>;

    // Collections ----------------------------------------------------------

    /// Creates a collection; a duplicate name in the organization is `Conflict`.
    async fn create_collection(&self, org: OrgId, new: NewCollection) -> CoreResult<Collection>;
    /// One collection of `org`.
    async fn get_collection(&self, org: OrgId, id: CollectionId) -> CoreResult<Collection>;
    /// Collections of `org` by name; `within` restricts to those ids when non-empty.
    async fn list_collections(
        &self,
        org: OrgId,
        within: &[CollectionId],
        page: PageRequest,
    ) -> CoreResult<Page<Collection>>;
    /// Updates a collection.
    async fn update_collection(
        &self,
        org: OrgId,
        id: CollectionId,
        patch: CollectionPatch,
    ) -> CoreResult<Collection>;
    /// Deletes a collection. Without `cascade` a non-empty collection is
    /// `Conflict`; the check and the delete are one transaction.
    async fn delete_collection(
        &self,
        org: OrgId,
        id: CollectionId,
        cascade: bool,
    ) -> CoreResult<()>;

    // Connections ----------------------------------------------------------

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
    /// [`Store::list_connections`], given `org`'s list generation as read
    /// earlier in the same request (by [`Store::find_api_key`]):
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

    // Tests and schemas ----------------------------------------------------

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
    /// Stores a discovered schema and sets `schemaDiscoveredAt`.
    async fn save_schema(
        &self,
        org: OrgId,
        id: ConnectionId,
        schema: &DiscoveredSchema,
        at: Timestamp,
    ) -> CoreResult<()>;
    /// The last discovered schema, if any.
    async fn get_schema(&self, org: OrgId, id: ConnectionId) -> CoreResult<Option<StoredSchema>>;

    // Master key rotation --------------------------------------------------

    /// Every sealed secret not sealed under `key_id`, across organizations
    /// (an operator task, not a tenant one), at most `limit` of them.
    async fn secrets_not_under(
        &self,
        key_id: &str,
        limit: u32,
    ) -> CoreResult<Vec<(ConnectionId, Sealed)>>;
    /// Replaces one connection's sealed secrets if they are still `old`.
    async fn reseal_secret(&self, id: ConnectionId, old: &Sealed, new: &Sealed)
    -> CoreResult<bool>;

    // Master key check -----------------------------------------------------

    /// The store's master-key check value (a known plaintext sealed under
    /// the master key, see [`crate::crypto::Keyring::seal_check`]); `None`
    /// until one is written.
    async fn master_key_check(&self) -> CoreResult<Option<Sealed>>;
    /// Writes the check value if it is still `old` (`None`: only if the
    /// store has none yet), so two nodes starting at once, or a rotation
    /// beside a start, never overwrite each other. Returns whether it wrote.
    async fn replace_master_key_check(
        &self,
        old: Option<&Sealed>,
        new: &Sealed,
    ) -> CoreResult<bool>;
    /// One sealed secret of any organization, if the store holds any (an
    /// operator task: a store from before the check value is tested
    /// against the key with one of its secrets).
    async fn any_sealed_secret(&self) -> CoreResult<Option<Sealed>>;
}
