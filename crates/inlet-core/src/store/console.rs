//! Web console sessions: a random token in the browser's cookie, only its
//! hash here, tied to the hash of the API key that signed in.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::model::Timestamp;
use crate::store::FoundKey;

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

    /// The API key behind a session that has not expired at `now`, read as
    /// [`KeyStore::find_api_key`](crate::store::KeyStore::find_api_key) reads it
    /// (with the member's role and the list generation), in one query.
    async fn console_session_api_key(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> CoreResult<Option<FoundKey>>;

    /// Ends a session (and deletes the expired ones).
    async fn delete_console_session(&self, token_hash: &str, now: Timestamp) -> CoreResult<()>;
}
