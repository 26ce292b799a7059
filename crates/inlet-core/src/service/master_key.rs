//! The store's master-key check. The store keeps a known plaintext sealed
//! under the master key (its key id beside it, like every sealed value).
//! At start the configured keyring must open it: a deleted key file that
//! would be silently replaced, or a wrong `INLET_MASTER_KEY`, then stops
//! the start with a clear message instead of failing with a 500 the first
//! time a stored secret is used. A store without a check value (a fresh
//! one, or one from before the check existed) gets one, once the key has
//! opened one of its sealed secrets if it holds any.

use crate::error::CoreResult;
use crate::store::Store;

use super::Services;

/// What [`Services::verify_master_key`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// The keyring's current key opens the store's check value.
    Verified,
    /// Only a retired key of the keyring opens what the store holds
    /// (`store_key_id`): a rotation that did not finish, or a current key
    /// that is not the store's; nothing was written. The caller decides,
    /// knowing where the keys came from.
    RetiredKey {
        /// Id of the retired key the store's data is sealed under.
        store_key_id: String,
    },
    /// The store had no check value; one was written under the current key.
    Written,
    /// The keyring does not open what the store holds. `store_key_id` is
    /// the id of the master key the store's data is sealed under (never
    /// the key itself); nothing was written.
    Mismatch {
        /// Id of the key the store's check value, or the secret tried, is
        /// sealed under.
        store_key_id: String,
    },
}

/// The id of the master key the store's sealed data is under, if it holds
/// any: its check value's, else one sealed secret's. A store for which this
/// is `Some` must never be given a newly generated master key. Called
/// before there is a keyring, hence on the store alone.
pub async fn sealed_key_id(store: &dyn Store) -> CoreResult<Option<String>> {
    if let Some(check) = store.master_key_check().await? {
        return Ok(Some(check.key_id));
    }
    Ok(store.any_sealed_secret().await?.map(|s| s.key_id))
}

impl Services {
    /// Checks the keyring against the store: the check value must open, or,
    /// on a store without one, one of its sealed secrets must; then a check
    /// value is written under the current key. Decides nothing for a
    /// mismatch beyond reporting it: the caller stops.
    pub async fn verify_master_key(&self) -> CoreResult<KeyCheck> {
        loop {
            match self.store.master_key_check().await? {
                // A key id is derived from the key, so the current key
                // opens only a value carrying its own id.
                Some(check) if self.keyring.opens_check(&check) => {
                    return Ok(if check.key_id == self.keyring.current_id() {
                        KeyCheck::Verified
                    } else {
                        KeyCheck::RetiredKey {
                            store_key_id: check.key_id,
                        }
                    });
                }
                Some(check) => {
                    return Ok(KeyCheck::Mismatch {
                        store_key_id: check.key_id,
                    });
                }
                None => {
                    if let Some(secret) = self.store.any_sealed_secret().await? {
                        if self.keyring.open(&secret).is_err() {
                            return Ok(KeyCheck::Mismatch {
                                store_key_id: secret.key_id,
                            });
                        }
                        // Never seal the check under a key the store's
                        // data may not be under.
                        if secret.key_id != self.keyring.current_id() {
                            return Ok(KeyCheck::RetiredKey {
                                store_key_id: secret.key_id,
                            });
                        }
                    }
                    let check = self.keyring.seal_check()?;
                    if self.store.replace_master_key_check(None, &check).await? {
                        tracing::info!(key_id = %check.key_id, "wrote the master key check value");
                        return Ok(KeyCheck::Written);
                    }
                    // Another node wrote one first: check against that.
                }
            }
        }
    }

    /// After `inlet admin rotate-master-key` re-sealed every secret: seals
    /// the check value under the new current key (the keyring still holds
    /// the old one, which must open the old value).
    pub async fn reseal_master_key_check(&self) -> CoreResult<()> {
        let old = self.store.master_key_check().await?;
        if let Some(old) = &old {
            if old.key_id == self.keyring.current_id() {
                return Ok(());
            }
            if !self.keyring.opens_check(old) {
                return Err(crate::CoreError::Crypto(format!(
                    "the store's master key check value is sealed under key {}, which this keyring does not hold",
                    old.key_id
                )));
            }
        }
        let new = self.keyring.seal_check()?;
        if !self
            .store
            .replace_master_key_check(old.as_ref(), &new)
            .await?
        {
            return Err(crate::CoreError::Conflict(
                "the master key check value changed during the rotation; run it again".into(),
            ));
        }
        Ok(())
    }

    /// Records the operator's master-key rotation in the trail of the
    /// instance's own organization (the first, made by bootstrap): the new
    /// key's id (never the key) and how many credential sets were
    /// re-sealed. A store with no organization yet has no trail for it.
    pub async fn record_master_key_rotation(&self, resealed: u64) -> CoreResult<()> {
        let first = crate::list::PageRequest {
            page: 1,
            page_size: 1,
        };
        let Some(org) = self.store.list_orgs(first).await?.items.into_iter().next() else {
            return Ok(());
        };
        let event = crate::auth::Principal::operator(org.id)
            .audit(crate::model::audit::AuditAction::MasterKeyRotated)
            .note("keyId", self.keyring.current_id())
            .note("credentialSets", resealed);
        self.store.record_audit_event(&event).await
    }
}
