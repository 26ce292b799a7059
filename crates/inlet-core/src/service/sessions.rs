//! Web console sign-in: an API key (or a user's key) is exchanged for a
//! server-side session. The browser holds a random token in a cookie; the
//! store holds only the token's hash and the key's hash, so the session
//! can do exactly what the key may do, and stops when the key is revoked.

use std::net::IpAddr;
use std::num::NonZeroU32;

use super::Services;
use super::access::principal_of;
use crate::auth::{Principal, hash_key, random_token};
use crate::error::{CoreError, CoreResult};
use crate::model::audit::{Actor, AuditAction, AuditDraft, Origin};
use crate::model::{Timestamp, now};
use crate::secret::Secret;
use crate::store::FoundKey;

/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;

/// How many failed sign-ins from one client address are recorded a minute
/// (in the audit trail when the key is known, in the log when not); the
/// rest only add to the `console_sign_in_failures_unrecorded_total` metric,
/// so a flood of attempts cannot flood the trail.
pub const FAILED_SIGN_INS_RECORDED_PER_MINUTE: NonZeroU32 = NonZeroU32::MIN.saturating_add(9);

/// A signed-in console session.
pub struct ConsoleSession {
    /// The cookie's token (shown to the browser only).
    pub token: Secret,
    /// When it ends.
    pub expires_at: Timestamp,
    /// Who it acts as.
    pub principal: Principal,
}

impl Services {
    /// Signs in with a presented key. A refused key of a known organization
    /// (revoked, expired, not a member) is recorded in that organization's
    /// audit trail; an unknown one only in the log (it has no organization);
    /// at most [`FAILED_SIGN_INS_RECORDED_PER_MINUTE`] of either per client
    /// address and minute.
    pub async fn console_sign_in(
        &self,
        presented: &str,
        origin: Origin,
    ) -> CoreResult<ConsoleSession> {
        let key_hash = hash_key(presented.trim());
        let mut who = match self.authenticate_hash(&key_hash).await {
            Ok(who) => who,
            // Only a refusal is a failed sign-in; a store error is not.
            Err(e @ (CoreError::Unauthorized(_) | CoreError::Forbidden(_))) => {
                self.record_refused_sign_in(&key_hash, origin).await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        who.origin = origin;
        let token = random_token();
        let expires_at = now() + chrono::Duration::hours(SESSION_HOURS);
        let event = who.audit(AuditAction::ConsoleSignIn).object(who.key_id);
        self.store
            .audited(event)
            .create_console_session(&hash_key(token.expose()), &key_hash, expires_at)
            .await?;
        tracing::info!(key = %who.key_id, "console sign-in");
        Ok(ConsoleSession {
            token,
            expires_at,
            principal: who,
        })
    }

    async fn record_refused_sign_in(&self, key_hash: &str, origin: Origin) -> CoreResult<()> {
        let addr = origin
            .client_addr
            .as_deref()
            .and_then(|a| a.parse::<IpAddr>().ok());
        if self.failed_sign_ins.check(addr).is_err() {
            // Over this address's share: counted, not written (a flood of
            // attempts must not flood the trail or the log).
            metrics::counter!("console_sign_in_failures_unrecorded_total").increment(1);
            tracing::debug!(client = ?origin.client_addr, "failed sign-in over the recording limit; not recorded");
            return Ok(());
        }
        let Some(FoundKey { key, role, .. }) = self.store.find_api_key(key_hash).await? else {
            tracing::warn!(client = ?origin.client_addr, "console sign-in with an unknown key refused");
            return Ok(());
        };
        // Why the known key was refused (it is the key's own organization's
        // business; the person signing in only sees "invalid key").
        let reason = if key.revoked_at.is_some() {
            "revoked"
        } else if key.expires_at.is_some_and(|at| at <= now()) {
            "expired"
        } else if key.user_id.is_some() && role.is_none() {
            "not_a_member"
        } else {
            "refused"
        };
        let mut summary = serde_json::Map::new();
        summary.insert("reason".into(), reason.into());
        let event = AuditDraft {
            org_id: key.org_id,
            actor: Actor {
                key_id: Some(key.id),
                key_name: key.name,
                user_id: key.user_id,
            },
            origin,
            action: AuditAction::ConsoleSignInFailed,
            object_id: Some(key.id.to_string()),
            summary,
        };
        self.store.record_audit_event(&event).await
    }

    /// The caller behind a session token: `Unauthorized` when the session
    /// ended or expired, or its key no longer works.
    pub async fn console_principal(&self, token: &str, origin: Origin) -> CoreResult<Principal> {
        let mut who = self.console_principal_by_hash(&hash_key(token)).await?;
        who.origin = origin;
        Ok(who)
    }

    /// [`Services::console_principal`] by the token's hash.
    pub(crate) async fn console_principal_by_hash(
        &self,
        token_hash: &str,
    ) -> CoreResult<Principal> {
        let found = self
            .store
            .console_session_api_key(token_hash, now())
            .await?
            .ok_or_else(|| {
                CoreError::Unauthorized("the session has ended; sign in again".into())
            })?;
        principal_of(Some(found))
    }

    /// Ends a session.
    pub async fn console_sign_out(&self, token: &str) -> CoreResult<()> {
        self.store
            .delete_console_session(&hash_key(token), now())
            .await
    }
}
