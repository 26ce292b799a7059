//! Source connections: one configured source of data.

use serde_json::{Map, Value};

use super::Timestamp;
use crate::crypto::Sealed;
use crate::ids::{CollectionId, ConnectionId, OrgId};

/// Lifecycle of a connection. `pending` until first tested, `testing` during a
/// test, `active`/`failed` after one, `inactive`/`maintenance` when switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionStatus {
    /// Never tested, or re-enabled.
    Pending,
    /// A test is running.
    Testing,
    /// The last test passed.
    Active,
    /// The last test failed.
    Failed,
    /// Switched off by a user: no tests, no syncs.
    Inactive,
    /// Paused by an administrator: no tests, no syncs.
    Maintenance,
}

crate::wire_enum!(ConnectionStatus {
    Pending => "pending",
    Testing => "testing",
    Active => "active",
    Failed => "failed",
    Inactive => "inactive",
    Maintenance => "maintenance",
});

impl ConnectionStatus {
    /// Statuses a user may set directly (the others follow from tests).
    pub fn settable(self) -> bool {
        matches!(self, Self::Pending | Self::Inactive | Self::Maintenance)
    }

    /// Statuses in which tests and syncs are switched off (stores bind
    /// these rather than spelling them out).
    pub const SWITCHED_OFF: [ConnectionStatus; 2] = [Self::Inactive, Self::Maintenance];

    /// Whether tests and syncs are switched off in this status.
    pub fn is_switched_off(self) -> bool {
        Self::SWITCHED_OFF.contains(&self)
    }
}

/// A stored connection. Secret credential fields live only in `secrets`,
/// sealed; `settings` holds the non-secret credential fields (host, port, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// Identifier.
    pub id: ConnectionId,
    /// Owning organization.
    pub org_id: OrgId,
    /// The collection it belongs to.
    pub collection_id: CollectionId,
    /// Catalog short name (`postgresql`, `csv`, …).
    pub source_type: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Non-secret credential fields.
    pub settings: Map<String, Value>,
    /// Configuration fields (what to read and how).
    pub config: Map<String, Value>,
    /// Names of the secret fields that hold a value (their values are in `secrets`).
    pub secret_fields: Vec<String>,
    /// The sealed JSON object of secret field values.
    pub secrets: Option<Sealed>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Lifecycle status.
    pub status: ConnectionStatus,
    /// Last connection test.
    pub last_tested_at: Option<Timestamp>,
    /// Last test that passed.
    pub last_successful_connection_at: Option<Timestamp>,
    /// Error of the last failed test.
    pub last_error: Option<String>,
    /// Last schema discovery.
    pub schema_discovered_at: Option<Timestamp>,
    /// End of the last sync that completed.
    pub last_synced_at: Option<Timestamp>,
    /// Status of the newest sync job (`None` before the first).
    pub last_sync_status: Option<super::job::JobStatus>,
    /// Documents indexed from this connection.
    pub document_count: u64,
    /// Whether its last finished sync completed (a running one does not
    /// change it).
    pub sync_ok: bool,
    /// When its schedule (or continuous mode) next queues a sync; `None`
    /// without one. Computed by the services from `config`.
    pub next_sync_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

impl Connection {
    /// Active, and its last finished sync completed: its documents are searched.
    pub fn alive(&self) -> bool {
        self.status == ConnectionStatus::Active && self.sync_ok
    }
}

/// The configuration key that asks for scheduled schema refreshes.
pub const SCHEMA_AUTO_REFRESH: &str = "schemaAutoRefresh";

/// Whether a connection's configuration asks for scheduled schema
/// refreshes (`"schemaAutoRefresh": true`; anything else is no).
pub fn wants_schema_auto_refresh(config: &serde_json::Map<String, serde_json::Value>) -> bool {
    config
        .get(SCHEMA_AUTO_REFRESH)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// A validated new connection, secrets already sealed.
#[derive(Debug, Clone)]
pub struct NewConnection {
    /// Owning organization.
    pub org_id: OrgId,
    /// Target collection (checked to be in `org_id` by the store, atomically).
    pub collection_id: CollectionId,
    /// Catalog short name.
    pub source_type: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Non-secret credential fields.
    pub settings: Map<String, Value>,
    /// Configuration.
    pub config: Map<String, Value>,
    /// Names of the secret fields set.
    pub secret_fields: Vec<String>,
    /// Sealed secret values.
    pub secrets: Option<Sealed>,
    /// Labels.
    pub tags: Vec<String>,
    /// First scheduled sync (from the config's schedule), if any.
    pub next_sync_at: Option<Timestamp>,
}

/// A partial update of a connection's descriptive fields and status.
#[derive(Debug, Clone, Default)]
pub struct ConnectionPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New labels (replacing the old ones).
    pub tags: Option<Vec<String>>,
    /// New status (only settable ones).
    pub status: Option<ConnectionStatus>,
}

impl ConnectionPatch {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.tags.is_none()
            && self.status.is_none()
    }
}

/// How many connections there are in each status, and how many are alive
/// (the overview's cards), counted by the store without reading them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionCounts {
    /// Connections per status (statuses with none are left out).
    pub by_status: Vec<(ConnectionStatus, u64)>,
    /// Alive connections: active, and their last finished sync completed.
    pub alive: u64,
}

impl ConnectionCounts {
    /// All connections counted.
    pub fn total(&self) -> u64 {
        self.by_status.iter().map(|(_, n)| n).sum()
    }
}

/// Everything one edit changes on a connection, written in one transaction
/// (so an edit is applied whole or not at all) with at most one audit event.
#[derive(Debug, Clone, Default)]
pub struct ConnectionChange {
    /// Descriptive fields and status (may be empty).
    pub patch: ConnectionPatch,
    /// New credentials; the connection goes back to `pending` (untested).
    pub credentials: Option<CredentialsUpdate>,
    /// New configuration and the next scheduled sync time computed from it.
    pub config: Option<ConfigUpdate>,
    /// A passing test of the connection as changed, taken at this time.
    pub tested_at: Option<Timestamp>,
}

/// A new configuration and the next scheduled sync computed from it
/// (`None`: no schedule).
#[derive(Debug, Clone)]
pub struct ConfigUpdate {
    /// The whole configuration.
    pub config: Map<String, Value>,
    /// When the schedule next fires.
    pub next_sync_at: Option<Timestamp>,
}

/// New credentials: the non-secret part and the sealed secret part.
#[derive(Debug, Clone)]
pub struct CredentialsUpdate {
    /// Non-secret credential fields.
    pub settings: Map<String, Value>,
    /// Names of the secret fields set.
    pub secret_fields: Vec<String>,
    /// Sealed secret values.
    pub secrets: Option<Sealed>,
}
