//! Sealed secrets as an operator sees them: master-key rotation and the master-key check value.

use async_trait::async_trait;

use crate::crypto::Sealed;
use crate::error::CoreResult;
use crate::ids::ConnectionId;

/// Sealed secrets as an operator sees them: master-key rotation and the master-key check value.
#[async_trait]
pub trait SecretStore: Send + Sync {
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
