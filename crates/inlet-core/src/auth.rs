//! Who is calling: scopes, principals, and API key secrets.
//!
//! Keys are `inl_` followed by 43 URL-safe base64 characters (32 random
//! bytes). Only their SHA-256 is stored; the plain key is shown once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::error::{CoreError, CoreResult};
use crate::ids::{ApiKeyId, CollectionId, OrgId, UserId};
use crate::model::audit::{Actor, AuditAction, AuditDraft, Origin};
use crate::secret::Secret;

/// What a key may do. Scopes are ordered: `admin` includes `write`, which includes `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read catalog, collections and connections.
    Read,
    /// Create, change and delete collections and connections.
    Write,
    /// Manage the organization's API keys.
    Admin,
}

crate::wire_enum!(Scope { Read => "read", Write => "write", Admin => "admin" });

/// The authenticated caller of a request, as resolved from its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The key used.
    pub key_id: ApiKeyId,
    /// Its name, for the audit trail.
    pub key_name: String,
    /// The organization every query is scoped to.
    pub org_id: OrgId,
    /// The user, for user keys.
    pub user_id: Option<UserId>,
    /// The highest scope granted (after capping by the user's role).
    pub scope: Scope,
    /// Collection restriction; empty means all collections of the organization.
    pub collections: Vec<CollectionId>,
    /// Instance administrators manage organizations and users.
    pub instance_admin: bool,
    /// The organization's connection-list generation, read by the statement
    /// that authenticated this request (`None` when the principal was not
    /// made from one). Writes committed before the request started are
    /// counted in it, so a list page cached at it is current for the request.
    pub list_generation: Option<i64>,
    /// Where the request came from (set by the HTTP layer).
    pub origin: Origin,
    /// When the key used expires: keys it creates expire no later.
    pub key_expires_at: Option<crate::model::Timestamp>,
}

impl Principal {
    /// The operator at the server's command line (`inlet admin create-key`):
    /// holding the store and its master key already, they act as an
    /// instance administrator of `org` — through the same services, and
    /// the same validation, as any API caller. Key id 0 is no stored key.
    pub fn operator(org: OrgId) -> Self {
        Self {
            key_id: ApiKeyId(0),
            key_name: "operator".into(),
            org_id: org,
            user_id: None,
            scope: Scope::Admin,
            collections: Vec::new(),
            instance_admin: true,
            list_generation: None,
            origin: Origin::default(),
            key_expires_at: None,
        }
    }

    /// An audit event of `action` by this caller, in its organization.
    pub fn audit(&self, action: AuditAction) -> AuditDraft {
        AuditDraft {
            org_id: self.org_id,
            actor: Actor {
                // Key id 0 is the operator, no stored key.
                key_id: (self.key_id.0 != 0).then_some(self.key_id),
                key_name: self.key_name.clone(),
                user_id: self.user_id,
            },
            origin: self.origin.clone(),
            action,
            object_id: None,
            summary: serde_json::Map::new(),
        }
    }

    /// Fails with `Forbidden` unless the principal holds `needed`.
    pub fn require(&self, needed: Scope) -> CoreResult<()> {
        if self.scope >= needed {
            Ok(())
        } else {
            Err(CoreError::Forbidden(format!(
                "this API key lacks the {needed} scope"
            )))
        }
    }

    /// Fails with `Forbidden` unless the caller is an instance administrator.
    pub fn require_instance_admin(&self) -> CoreResult<()> {
        if self.instance_admin {
            Ok(())
        } else {
            Err(CoreError::Forbidden(
                "only instance administrators may do this".into(),
            ))
        }
    }

    /// Whether the key may reach `collection`.
    pub fn can_reach(&self, collection: CollectionId) -> bool {
        self.collections.is_empty() || self.collections.contains(&collection)
    }

    /// Fails with `Forbidden` when the key is restricted away from `collection`.
    pub fn require_collection(&self, collection: CollectionId) -> CoreResult<()> {
        if self.can_reach(collection) {
            Ok(())
        } else {
            Err(CoreError::Forbidden(format!(
                "this API key has no access to collection {collection}"
            )))
        }
    }

    /// Whether the key is restricted to some collections.
    pub fn is_restricted(&self) -> bool {
        !self.collections.is_empty()
    }
}

/// Prefix of every Inlet API key, so leaked keys are recognisable by scanners.
pub const KEY_PREFIX: &str = "inl_";

/// A freshly generated key: the secret (shown once) and what is stored.
pub struct GeneratedKey {
    /// The full secret.
    pub secret: Secret,
    /// Its hash, for the store.
    pub hash: String,
    /// Its first characters, for lists.
    pub prefix: String,
}

/// Creates a random key.
pub fn generate_key() -> GeneratedKey {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    key_from_secret(Secret::new(secret))
}

/// 32 random bytes, URL-safe base64: a session token.
pub fn random_token() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(URL_SAFE_NO_PAD.encode(bytes))
}

/// Wraps a given secret (the bootstrap key) with its hash and prefix.
pub fn key_from_secret(secret: Secret) -> GeneratedKey {
    let hash = hash_key(secret.expose());
    let prefix: String = secret.expose().chars().take(8).collect();
    GeneratedKey {
        secret,
        hash,
        prefix,
    }
}

/// Hex SHA-256 of a presented key. Keys carry 256 bits of entropy, so a fast
/// hash is enough (no password-stretching needed) and keeps auth cheap.
pub fn hash_key(secret: &str) -> String {
    crate::digest::sha256_hex(secret.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_unique_and_hashed() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a.secret.expose(), b.secret.expose());
        assert!(a.secret.expose().starts_with(KEY_PREFIX));
        assert_eq!(a.hash, hash_key(a.secret.expose()));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(a.secret.expose()));
    }

    #[test]
    fn scopes_are_ordered() {
        let p = Principal {
            key_id: ApiKeyId(1),
            key_name: "k".into(),
            origin: Origin::default(),
            org_id: OrgId(1),
            user_id: None,
            scope: Scope::Write,
            collections: vec![CollectionId(3)],
            instance_admin: false,
            list_generation: None,
            key_expires_at: None,
        };
        assert!(p.require(Scope::Read).is_ok());
        assert!(p.require(Scope::Write).is_ok());
        assert!(p.require(Scope::Admin).is_err());
        assert!(p.can_reach(CollectionId(3)));
        assert!(!p.can_reach(CollectionId(4)));
    }
}
