//! API keys: stored by hash, found on every request, revoked with the keys made under them.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{ApiKeyId, OrgId};
use crate::list::{Page, PageRequest};
use crate::model::api_key::{ApiKey, NewApiKey};
use crate::model::user::Role;

/// A key as authentication reads it, in one statement.
#[derive(Debug, Clone)]
pub struct FoundKey {
    /// The key.
    pub key: ApiKey,
    /// The role its user holds in the key's organization (`None` for
    /// service tokens or non-members).
    pub role: Option<Role>,
    /// That organization's list generation (see
    /// [`ConnectionStore::list_connections_at`](super::ConnectionStore::list_connections_at)).
    pub list_generation: i64,
}

/// API keys: stored by hash, found on every request, revoked with the keys made under them.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a key (its hash).
    async fn create_api_key(&self, key: NewApiKey) -> CoreResult<ApiKey>;

    /// The key with this hash, with the role its user holds in the key's
    /// organization (`None` for service tokens or non-members) and that
    /// organization's list generation (see [`ConnectionStore::list_connections_at`](super::ConnectionStore::list_connections_at)).
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
}
