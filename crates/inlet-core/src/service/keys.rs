//! API keys: created by organization administrators (or instance admins for
//! any organization), shown once, listed without secrets, revoked.

use super::Services;
use crate::auth::{Principal, Scope, generate_key};
use crate::error::{CoreError, CoreResult};
use crate::ids::{ApiKeyId, CollectionId, OrgId, UserId};
use crate::list::{Page, PageRequest};
use crate::model::api_key::{ApiKey, NewApiKey};
use crate::model::audit::AuditAction;
use crate::model::wire::WireEnum;
use crate::model::{Timestamp, now};
use crate::secret::Secret;
use crate::validate;

/// A request for a new key, as parsed by a handler.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyInput {
    /// Target organization; only instance admins may name one other than their own.
    pub org_id: Option<OrgId>,
    /// Makes it a user's key (the user must be a member of the organization).
    pub user_id: Option<UserId>,
    /// Label.
    pub name: String,
    /// Scopes (at least one).
    pub scopes: Vec<Scope>,
    /// Collection restriction.
    pub collection_ids: Vec<CollectionId>,
    /// Expiry (must be in the future).
    pub expires_at: Option<Timestamp>,
}

/// A created key and its secret, which is never available again.
pub struct CreatedKey {
    /// The stored key.
    pub key: ApiKey,
    /// The secret, to show once.
    pub secret: Secret,
}

impl Services {
    /// Creates a key. Needs `admin`; a restricted caller may only create keys
    /// at most as restricted as itself.
    pub async fn create_api_key(
        &self,
        who: &Principal,
        input: ApiKeyInput,
    ) -> CoreResult<CreatedKey> {
        who.require(Scope::Admin)?;
        let org = self.target_org(who, input.org_id)?;
        if org != who.org_id {
            self.store.get_org(org).await?;
        }
        let name = validate::name("name", &input.name)?;
        let expires_at = check_grant(who, &input)?;
        self.check_key_targets(org, &input).await?;
        let generated = generate_key();
        let mut scopes = input.scopes;
        scopes.sort();
        scopes.dedup();
        let event = who
            .audit(AuditAction::ApiKeyCreated)
            .in_org(org)
            .note("name", name.as_str())
            .note(
                "scopes",
                scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            )
            .note(
                "collectionIds",
                input
                    .collection_ids
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            );
        let key = self
            .store
            .audited(event)
            .create_api_key(NewApiKey {
                org_id: org,
                user_id: input.user_id,
                name,
                hash: generated.hash,
                prefix: generated.prefix,
                scopes,
                collection_ids: input.collection_ids,
                instance_admin: false,
                expires_at,
                // Key id 0 is the operator, no stored key.
                parent_key_id: (who.key_id.0 != 0).then_some(who.key_id),
            })
            .await?;
        tracing::info!(key = %key.id, org = %org, "api key created");
        Ok(CreatedKey {
            key,
            secret: generated.secret,
        })
    }

    /// Checks that the collections a new key is limited to are the
    /// organization's, and that the user it is for is a member.
    async fn check_key_targets(&self, org: OrgId, input: &ApiKeyInput) -> CoreResult<()> {
        for (i, c) in input.collection_ids.iter().enumerate() {
            if self.store.get_collection(org, *c).await.is_err() {
                return Err(CoreError::invalid(
                    format!("collectionIds[{i}]"),
                    format!("collection {c} does not exist in this organization"),
                ));
            }
        }
        if let Some(user) = input.user_id {
            let member = self
                .store
                .list_memberships(user)
                .await
                .ok()
                .is_some_and(|ms| ms.iter().any(|m| m.org_id == org));
            if !member {
                return Err(CoreError::invalid(
                    "userId",
                    "the user is not a member of this organization",
                ));
            }
        }
        Ok(())
    }

    /// Lists an organization's keys (never their secrets).
    pub async fn list_api_keys(
        &self,
        who: &Principal,
        org: Option<OrgId>,
        page: PageRequest,
    ) -> CoreResult<Page<ApiKey>> {
        who.require(Scope::Admin)?;
        self.forbid_restricted(who)?;
        let org = self.target_org(who, org)?;
        self.store.list_api_keys(org, page).await
    }

    /// Revokes a key of the caller's organization, and every key created
    /// under it (in any organization).
    pub async fn revoke_api_key(&self, who: &Principal, id: ApiKeyId) -> CoreResult<ApiKey> {
        who.require(Scope::Admin)?;
        self.forbid_restricted(who)?;
        // Only an instance administrator may revoke an instance administrator's key.
        self.store
            .audited(who.audit(AuditAction::ApiKeyRevoked).object(id))
            .revoke_api_key(who.org_id, id, who.instance_admin)
            .await
    }

    /// Keys restricted to collections may create keys within them, but not
    /// see or revoke the organization's other keys.
    fn forbid_restricted(&self, who: &Principal) -> CoreResult<()> {
        if who.is_restricted() {
            return Err(CoreError::Forbidden(
                "a key restricted to collections cannot list or revoke the organization's keys"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The organization a key operation targets: the caller's own, or any
    /// for instance administrators.
    pub(super) fn target_org(&self, who: &Principal, asked: Option<OrgId>) -> CoreResult<OrgId> {
        match asked {
            None => Ok(who.org_id),
            Some(org) if org == who.org_id || who.instance_admin => Ok(org),
            Some(_) => Err(CoreError::NotFound("organization")),
        }
    }
}

/// Checks what a new key would grant against the caller: at least one scope,
/// none beyond the caller's, an expiry in the future, and for a restricted
/// caller only its own collections. The key's expiry, capped at the caller's.
fn check_grant(who: &Principal, input: &ApiKeyInput) -> CoreResult<Option<Timestamp>> {
    if input.scopes.is_empty() {
        return Err(CoreError::invalid(
            "scopes",
            "at least one scope is required",
        ));
    }
    if !who.instance_admin && input.scopes.iter().any(|s| *s > who.scope) {
        return Err(CoreError::Forbidden(
            "a key cannot grant more than the caller's scopes".into(),
        ));
    }
    if input.expires_at.is_some_and(|at| at <= now()) {
        return Err(CoreError::invalid("expiresAt", "must be in the future"));
    }
    // A key never outlives the key that creates it.
    let expires_at = match (input.expires_at, who.key_expires_at) {
        (Some(asked), Some(cap)) => Some(asked.min(cap)),
        (asked, cap) => asked.or(cap),
    };
    if who.is_restricted()
        && (input.collection_ids.is_empty()
            || input.collection_ids.iter().any(|c| !who.can_reach(*c)))
    {
        return Err(CoreError::Forbidden(
            "a restricted key can only create keys within its own collections".into(),
        ));
    }
    Ok(expires_at)
}
