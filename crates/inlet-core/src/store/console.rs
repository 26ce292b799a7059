//! Web console sessions: a random token in the browser's cookie, only its
//! hash here, tied to the hash of the API key that signed in.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::model::Timestamp;

/// Console sessions.
#[async_trait]
pub trait ConsoleStore: Send + Sync {
    /// Stores a session (through an audited view: the sign-in event) and
    /// deletes the expired ones.
    async fn create_console_session(
        &self,
        token_hash: &str,
        key_hash: &str,
        expires_at: Timestamp,
    ) -> CoreResult<()>;

    /// The key hash of a session that has not expired at `now`.
    async fn console_session_key(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> CoreResult<Option<String>>;

    /// Ends a session (and deletes the expired ones).
    async fn delete_console_session(&self, token_hash: &str, now: Timestamp) -> CoreResult<()>;
}
