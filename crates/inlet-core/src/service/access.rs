//! Authentication: turning a presented bearer key into a [`Principal`].

use super::Services;
use crate::auth::{Principal, Scope, hash_key};
use crate::error::{CoreError, CoreResult};
use crate::model::audit::Origin;
use crate::model::now;
use crate::store::FoundKey;

/// A caller's credential as a long-lived request (an event stream) keeps
/// it, to ask again later whether it is still accepted: the hash of the
/// API key, or of the console session's token — never the secret itself.
#[derive(Clone)]
pub enum Credential {
    /// A bearer API key, by its hash.
    ApiKey(String),
    /// A console session, by its token's hash.
    ConsoleSession(String),
}

impl Credential {
    /// The credential of a presented bearer key.
    pub fn api_key(presented: &str) -> Self {
        Self::ApiKey(hash_key(presented))
    }

    /// The credential of a console session's token.
    pub fn console_session(token: &str) -> Self {
        Self::ConsoleSession(hash_key(token))
    }
}

impl Services {
    /// Resolves a bearer key. Unknown, revoked and expired keys are
    /// `Unauthorized`; a user key whose user is not a member of the key's
    /// organization is `Forbidden` (001: "User is not a member of any organization").
    pub async fn authenticate(&self, presented: &str) -> CoreResult<Principal> {
        self.authenticate_hash(&hash_key(presented)).await
    }

    /// [`Services::authenticate`] for a key known by its hash (a console
    /// session keeps the hash, never the key).
    pub(crate) async fn authenticate_hash(&self, hash: &str) -> CoreResult<Principal> {
        principal_of(self.store.find_api_key(hash).await?)
    }

    /// The caller a kept credential stands for now, read again from the
    /// store: `Unauthorized` once the key is revoked or expired or the
    /// session ended, `Forbidden` once a user key's membership is gone.
    pub async fn recheck(&self, credential: &Credential) -> CoreResult<Principal> {
        match credential {
            Credential::ApiKey(hash) => self.authenticate_hash(hash).await,
            Credential::ConsoleSession(token_hash) => {
                self.console_principal_by_hash(token_hash).await
            }
        }
    }
}

/// The caller a found key stands for: unknown, revoked and expired keys are
/// `Unauthorized`; a user key's scope is capped by the user's role.
pub(crate) fn principal_of(found: Option<FoundKey>) -> CoreResult<Principal> {
    let invalid = || CoreError::Unauthorized("invalid or missing API key".into());
    let FoundKey {
        key,
        role,
        list_generation: generation,
    } = found.ok_or_else(invalid)?;
    if key.revoked_at.is_some() || key.expires_at.is_some_and(|at| at <= now()) {
        return Err(invalid());
    }
    let granted = key.scopes.iter().copied().max().unwrap_or(Scope::Read);
    let scope = match key.user_id {
        None => granted,
        Some(_) => {
            let role = role.ok_or_else(|| {
                CoreError::Forbidden("User is not a member of any organization".into())
            })?;
            granted.min(role.max_scope())
        }
    };
    Ok(Principal {
        key_id: key.id,
        key_name: key.name,
        origin: Origin::default(),
        org_id: key.org_id,
        user_id: key.user_id,
        scope,
        collections: key.collection_ids,
        instance_admin: key.instance_admin,
        list_generation: Some(generation),
        key_expires_at: key.expires_at,
    })
}
