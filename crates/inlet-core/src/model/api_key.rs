//! API keys: bearer secrets stored only as a SHA-256 hash.

use super::Timestamp;
use crate::auth::Scope;
use crate::ids::{ApiKeyId, CollectionId, OrgId, UserId};

/// A stored API key (never its secret).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// Identifier.
    pub id: ApiKeyId,
    /// Owning organization. A user key's effective organization is checked
    /// against the user's memberships at every request.
    pub org_id: OrgId,
    /// Set for a user's key; `None` for an organization's service token.
    pub user_id: Option<UserId>,
    /// Human label.
    pub name: String,
    /// The first characters of the secret, to recognise it in lists.
    pub prefix: String,
    /// Granted scopes.
    pub scopes: Vec<Scope>,
    /// When non-empty, the key only reaches these collections.
    pub collection_ids: Vec<CollectionId>,
    /// Instance administrators manage organizations and users.
    pub instance_admin: bool,
    /// After this instant the key no longer authenticates.
    pub expires_at: Option<Timestamp>,
    /// Set when revoked; revoked keys never authenticate.
    pub revoked_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// The key that created it (`None`: the operator or first start).
    /// Revoking it, or ending the membership of the user whose key it is,
    /// revokes every key created under it.
    pub parent_key_id: Option<ApiKeyId>,
}

/// What the store needs to insert a key.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Owning organization.
    pub org_id: OrgId,
    /// Set for a user's key.
    pub user_id: Option<UserId>,
    /// Human label.
    pub name: String,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    /// First characters of the secret.
    pub prefix: String,
    /// Granted scopes.
    pub scopes: Vec<Scope>,
    /// Collection restriction (empty: none).
    pub collection_ids: Vec<CollectionId>,
    /// Whether this is an instance administrator's key.
    pub instance_admin: bool,
    /// Optional expiry.
    pub expires_at: Option<Timestamp>,
    /// The key that created it.
    pub parent_key_id: Option<ApiKeyId>,
}
