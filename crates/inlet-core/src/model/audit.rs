//! The audit trail: who changed what, and when. Events are written by the
//! store in the same transaction as the change they describe, and are
//! never updated or deleted except by retention.

use serde_json::{Map, Value};

use super::Timestamp;
use crate::ids::{ApiKeyId, OrgId, UserId};

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// An organization was created.
    OrganizationCreated,
    /// An organization's outbound policy was set (the summary holds it).
    OrgPolicySet,
    /// A user was created.
    UserCreated,
    /// A user joined an organization or changed role.
    MembershipSet,
    /// A user left an organization.
    MembershipRemoved,
    /// An API key was created.
    ApiKeyCreated,
    /// An API key was revoked.
    ApiKeyRevoked,
    /// A collection was created.
    CollectionCreated,
    /// A collection was renamed or re-described.
    CollectionUpdated,
    /// A collection was deleted.
    CollectionDeleted,
    /// A connection was created.
    ConnectionCreated,
    /// A connection's name, description, tags or status changed.
    ConnectionUpdated,
    /// A connection's credentials were replaced (the summary names the
    /// fields, never their values).
    CredentialsReplaced,
    /// A connection's configuration changed.
    ConfigUpdated,
    /// An edit naming credentials was refused (the summary names the
    /// fields sent and why, never their values).
    EditRefused,
    /// A connection was deleted with its data.
    ConnectionDeleted,
    /// A connection's indexed data was cleared.
    DataCleared,
    /// A connection was tested (the summary holds the outcome).
    ConnectionTested,
    /// A job (a sync or a schema refresh) was started by a caller.
    JobStarted,
    /// A job was asked to stop.
    JobCancelled,
    /// Someone signed in to the web console.
    ConsoleSignIn,
    /// A sign-in to the web console was refused.
    ConsoleSignInFailed,
    /// The operator rotated the master key (`inlet admin
    /// rotate-master-key`); filed under the instance's own organization.
    MasterKeyRotated,
}

crate::wire_enum!(AuditAction {
    OrganizationCreated => "organization.created",
    OrgPolicySet => "organization.outbound_policy_set",
    UserCreated => "user.created",
    MembershipSet => "membership.set",
    MembershipRemoved => "membership.removed",
    ApiKeyCreated => "api_key.created",
    ApiKeyRevoked => "api_key.revoked",
    CollectionCreated => "collection.created",
    CollectionUpdated => "collection.updated",
    CollectionDeleted => "collection.deleted",
    ConnectionCreated => "connection.created",
    ConnectionUpdated => "connection.updated",
    CredentialsReplaced => "connection.credentials_replaced",
    ConfigUpdated => "connection.config_updated",
    EditRefused => "connection.edit_refused",
    ConnectionDeleted => "connection.deleted",
    DataCleared => "connection.data_cleared",
    ConnectionTested => "connection.tested",
    JobStarted => "job.started",
    JobCancelled => "job.cancelled",
    ConsoleSignIn => "console.sign_in",
    ConsoleSignInFailed => "console.sign_in_failed",
    MasterKeyRotated => "instance.master_key_rotated",
});

impl AuditAction {
    /// The type of object the action is about.
    pub fn object_type(self) -> &'static str {
        use AuditAction::*;
        match self {
            OrganizationCreated | OrgPolicySet => "organization",
            UserCreated => "user",
            MembershipSet | MembershipRemoved => "membership",
            ApiKeyCreated | ApiKeyRevoked | ConsoleSignIn | ConsoleSignInFailed => "api_key",
            CollectionCreated | CollectionUpdated | CollectionDeleted => "collection",
            ConnectionCreated | ConnectionUpdated | CredentialsReplaced | ConfigUpdated
            | EditRefused | ConnectionDeleted | DataCleared | ConnectionTested => "connection",
            JobStarted | JobCancelled => "job",
            MasterKeyRotated => "instance",
        }
    }
}

/// Who acted: the key, its name, and its user when it is a user's key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The key (`None` for the operator at the command line).
    pub key_id: Option<ApiKeyId>,
    /// The key's name when it acted.
    pub key_name: String,
    /// The key's user.
    pub user_id: Option<UserId>,
}

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The request's `x-request-id`.
    pub request_id: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
}

/// An event about to be written with its change. The store fills in the
/// object's id when the change creates it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditDraft {
    /// The organization the change belongs to.
    pub org_id: OrgId,
    /// Who.
    pub actor: Actor,
    /// Where from.
    pub origin: Origin,
    /// What.
    pub action: AuditAction,
    /// The object's id (`sc_3`, `key_2`…), when it exists before the change.
    pub object_id: Option<String>,
    /// What changed: names and non-secret values, never a secret.
    pub summary: Map<String, Value>,
}

impl AuditDraft {
    /// The object's id.
    #[must_use]
    pub fn object(mut self, id: impl ToString) -> Self {
        self.object_id = Some(id.to_string());
        self
    }

    /// Adds `key: value` to the summary.
    #[must_use]
    pub fn note(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.summary.insert(key.to_owned(), value.into());
        self
    }

    /// Files it under another organization (an instance administrator's
    /// change to an organization not their key's).
    #[must_use]
    pub fn in_org(mut self, org: OrgId) -> Self {
        self.org_id = org;
        self
    }
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Its sequence number.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// The organization.
    pub org_id: OrgId,
    /// Who.
    pub actor: Actor,
    /// Where from.
    pub origin: Origin,
    /// What (its wire name, so events of actions a later version retires
    /// still read back).
    pub action: String,
    /// The object's type.
    pub object_type: String,
    /// The object's id.
    pub object_id: Option<String>,
    /// What changed.
    pub summary: Map<String, Value>,
}

/// Which events to list; every set condition must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Only these actions.
    pub actions: Vec<AuditAction>,
    /// Only objects of this type.
    pub object_type: Option<String>,
    /// Only this object.
    pub object_id: Option<String>,
    /// Only this key's actions.
    pub actor_key_id: Option<ApiKeyId>,
    /// Only this user's actions.
    pub actor_user_id: Option<UserId>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
}
