//! The service layer's error type. The HTTP edge maps each variant to a
//! status and a code exactly once; messages are safe to show to callers and
//! never carry a secret.

use thiserror::Error;

use crate::connector::ConnectorError;

/// Result alias for services and stores.
pub type CoreResult<T> = Result<T, CoreError>;

/// Everything a use-case can refuse or fail with.
#[derive(Debug, Error)]
pub enum CoreError {
    /// The object does not exist, or belongs to another organization.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input failed validation; `field` names the offending field.
    #[error("{field}: {message}")]
    Invalid {
        /// Field path as the caller sent it (e.g. `credentials.port`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The request conflicts with the current state (duplicate name, non-empty collection).
    #[error("{0}")]
    Conflict(String),
    /// A queued or running job of this kind holds the connection.
    #[error("a {kind} job of this connection is queued or running ({})", crate::ids::job_label(*job, *kind))]
    JobActive {
        /// The active job.
        job: crate::ids::JobId,
        /// Its kind.
        kind: crate::model::job::JobKind,
    },
    /// No usable credentials were presented.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A source could not be reached or refused us, as the connector said:
    /// its [`code`](ConnectorError::code) is the API's error code, its
    /// message the source's or the network's reason (never a credential),
    /// and [`is_transient`](ConnectorError::is_transient) decides retries.
    #[error("{0}")]
    Source(#[from] ConnectorError),
    /// Discovering a new connection's schema failed (as for `Source`); the
    /// connection was not kept.
    #[error("{0}")]
    Discovery(ConnectorError),
    /// A sync the caller waited for ended failed or cancelled.
    #[error("{0}")]
    SyncFailed(String),
    /// A search asked (with `after`) for changes this node's index has not
    /// applied within the wait; retry shortly.
    #[error(
        "the search index has applied changes through {applied}, not yet {wanted}; retry shortly"
    )]
    IndexBehind {
        /// The `seq` asked for.
        wanted: u64,
        /// The `seq` the index reflects.
        applied: u64,
    },
    /// This process serves no search (a worker), or its index cannot
    /// answer; another node may.
    #[error("{0}")]
    SearchUnavailable(String),
    /// The store failed; the message is for logs, callers get a generic one.
    #[error("store error: {0}")]
    Store(String),
    /// Encrypting or decrypting credentials failed (wrong or missing master key).
    #[error("crypto error: {0}")]
    Crypto(String),
}

impl CoreError {
    /// Shorthand for a validation error on `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
