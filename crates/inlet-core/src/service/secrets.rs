//! Connection credentials at rest: sealing the secret fields under the
//! keyring's current key, opening them for a connector, and re-sealing
//! every stored secret under the current key (master-key rotation).

use serde_json::{Map, Value};

use super::Services;
use crate::crypto::Sealed;
use crate::error::{CoreError, CoreResult};

impl Services {
    /// Re-seals every secret under the keyring's current key; returns how many
    /// rows changed. Safe to re-run: rows already under the current key are skipped.
    pub async fn reseal_all_secrets(&self) -> CoreResult<u64> {
        let mut done = 0;
        loop {
            let batch = self
                .store
                .secrets_not_under(self.keyring.current_id(), 500)
                .await?;
            if batch.is_empty() {
                return Ok(done);
            }
            for (id, old) in batch {
                let plain = self.keyring.open(&old)?;
                let new = self.keyring.seal(&plain)?;
                if self.store.reseal_secret(id, &old, &new).await? {
                    done += 1;
                }
            }
        }
    }

    /// Seals a connection's secret fields (`None` when there are none).
    pub(super) fn seal(&self, secrets: &Map<String, Value>) -> CoreResult<Option<Sealed>> {
        if secrets.is_empty() {
            return Ok(None);
        }
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(secrets).map_err(|e| CoreError::Crypto(e.to_string()))?,
        );
        self.keyring.seal(&plain).map(Some)
    }

    /// Opens sealed secret fields.
    pub(super) fn open(&self, sealed: &Sealed) -> CoreResult<Map<String, Value>> {
        let plain = self.keyring.open(sealed)?;
        serde_json::from_slice(&plain)
            .map_err(|_| CoreError::Crypto("sealed credentials are not a JSON object".into()))
    }
}
