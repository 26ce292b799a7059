//! The edge's errors, classified once whatever API they came through:
//! an [`ApiError`] becomes a [`Problem`] — status, [`ProblemKind`], message,
//! field — and each dialect renders problems in its own envelope with its
//! own codes (`crate::dialects`). Internal errors are logged here and
//! answered with a generic message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use inlet_core::CoreError;
use inlet_core::model::job::JobKind;

use crate::dialects::core::error as core_envelope;

/// An error answered to a client.
#[derive(Debug)]
pub enum ApiError {
    /// A service refused or failed.
    Core(CoreError),
    /// The request could not be parsed (body, query, path).
    BadRequest(String),
    /// Body over the limit.
    PayloadTooLarge,
    /// Body without `Content-Type: application/json`.
    UnsupportedMediaType,
    /// No such route.
    RouteNotFound,
    /// Route exists, method does not.
    MethodNotAllowed,
    /// The key's bucket is empty; retry after this many seconds.
    RateLimited(u64),
    /// The client's address presented too many refused keys; retry after
    /// this many seconds.
    TooManyFailures(u64),
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::Core(e)
    }
}

/// What kind of failure a [`Problem`] is; every dialect names each kind
/// with a code of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// No usable key.
    Unauthorized,
    /// A known caller that may not do this.
    Forbidden,
    /// No such object (or another organization's).
    NotFound,
    /// No such route.
    RouteNotFound,
    /// The route exists, the method does not.
    MethodNotAllowed,
    /// Bad input: a field, a parameter, malformed JSON.
    InvalidRequest,
    /// The body is over the limit.
    PayloadTooLarge,
    /// The body is not JSON.
    UnsupportedMediaType,
    /// The key's rate limit is spent.
    RateLimited,
    /// The request conflicts with the current state (e.g. a taken name).
    Conflict,
    /// A sync holds the connection.
    SyncInProgress,
    /// A source could not be reached or refused; the connector's code
    /// (`invalid_credentials`, `connection_refused`, `timeout`, …).
    Source(&'static str),
    /// Discovering a new connection's schema failed; the connector's code.
    Discovery(&'static str),
    /// A sync the caller waited for failed.
    SyncFailed,
    /// This node cannot answer now (its index is behind or being built);
    /// retry, here or on another node. The core API's code.
    Unavailable(&'static str),
    /// Inlet failed; the details are in the server log only.
    Internal,
}

/// An error classified independently of any dialect.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// What kind of failure.
    pub kind: ProblemKind,
    /// Safe to show; names the offending field for bad input.
    pub message: String,
    /// The offending field, for validation errors.
    pub field: Option<String>,
    /// Seconds before a retry may succeed (rate limits).
    pub retry_after: Option<u64>,
}

impl Problem {
    fn new(status: StatusCode, kind: ProblemKind, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }
}

impl ApiError {
    /// The one classification of every error the server answers.
    pub fn problem(&self) -> Problem {
        use ProblemKind as K;
        use StatusCode as S;
        match self {
            ApiError::Core(e) => core_problem(e),
            ApiError::BadRequest(m) => Problem::new(S::BAD_REQUEST, K::InvalidRequest, m.clone()),
            ApiError::PayloadTooLarge => Problem::new(
                S::PAYLOAD_TOO_LARGE,
                K::PayloadTooLarge,
                "request body is larger than 1 MiB",
            ),
            ApiError::UnsupportedMediaType => Problem::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                K::UnsupportedMediaType,
                "expected Content-Type: application/json",
            ),
            ApiError::RouteNotFound => {
                Problem::new(S::NOT_FOUND, K::RouteNotFound, "no such route")
            }
            ApiError::MethodNotAllowed => Problem::new(
                S::METHOD_NOT_ALLOWED,
                K::MethodNotAllowed,
                "method not allowed on this route",
            ),
            ApiError::RateLimited(secs) => Problem {
                retry_after: Some(*secs),
                ..Problem::new(
                    S::TOO_MANY_REQUESTS,
                    K::RateLimited,
                    format!("too many requests; retry in {secs} s"),
                )
            },
            ApiError::TooManyFailures(secs) => Problem {
                retry_after: Some(*secs),
                ..Problem::new(
                    S::TOO_MANY_REQUESTS,
                    K::RateLimited,
                    format!("too many refused API keys from this address; retry in {secs} s"),
                )
            },
        }
    }
}

/// The problem of a service's error: its status, kind and safe message
/// (store and crypto failures only say to see the server log).
fn core_problem(e: &CoreError) -> Problem {
    use ProblemKind as K;
    use StatusCode as S;
    match e {
        CoreError::NotFound(what) => {
            Problem::new(S::NOT_FOUND, K::NotFound, format!("{what} not found"))
        }
        CoreError::Invalid { field, message } => Problem {
            field: Some(field.clone()),
            ..Problem::new(
                S::BAD_REQUEST,
                K::InvalidRequest,
                format!("{field}: {message}"),
            )
        },
        CoreError::Conflict(m) => Problem::new(S::CONFLICT, K::Conflict, m.clone()),
        CoreError::JobActive { kind, .. } => Problem::new(
            S::CONFLICT,
            match kind {
                JobKind::Sync => K::SyncInProgress,
                JobKind::SchemaRefresh => K::Conflict,
            },
            e.to_string(),
        ),
        CoreError::Source(e) => Problem::new(S::BAD_REQUEST, K::Source(e.code()), e.to_string()),
        CoreError::Discovery(e) => {
            Problem::new(S::BAD_REQUEST, K::Discovery(e.code()), e.to_string())
        }
        CoreError::SyncFailed(m) => {
            Problem::new(S::INTERNAL_SERVER_ERROR, K::SyncFailed, m.clone())
        }
        CoreError::IndexBehind { .. } => Problem {
            retry_after: Some(1),
            ..Problem::new(
                S::SERVICE_UNAVAILABLE,
                K::Unavailable("index_behind"),
                e.to_string(),
            )
        },
        CoreError::SearchUnavailable(m) => Problem {
            retry_after: Some(1),
            ..Problem::new(
                S::SERVICE_UNAVAILABLE,
                K::Unavailable("search_unavailable"),
                m.clone(),
            )
        },
        CoreError::Unauthorized(m) => Problem::new(S::UNAUTHORIZED, K::Unauthorized, m.clone()),
        CoreError::Forbidden(m) => Problem::new(S::FORBIDDEN, K::Forbidden, m.clone()),
        CoreError::Store(_) | CoreError::Crypto(_) => Problem::new(
            S::INTERNAL_SERVER_ERROR,
            K::Internal,
            "internal error; see the server log",
        ),
    }
}

impl IntoResponse for ApiError {
    /// Answers in the core envelope and leaves the [`Problem`] in the
    /// response's extensions, where `dialects::render_errors` re-renders it
    /// for the dialect whose route was hit.
    fn into_response(self) -> Response {
        if let ApiError::Core(CoreError::Store(e) | CoreError::Crypto(e)) = &self {
            tracing::error!(error = %e, "request failed");
        }
        self.problem().into_response()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut resp = core_envelope::render(&self);
        if let Some(secs) = self.retry_after {
            set_retry_after(&mut resp, secs);
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Tells the client, with `Retry-After`, how many seconds to wait.
pub(crate) fn set_retry_after(resp: &mut Response, secs: u64) {
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// Handler result alias.
pub type ApiResult<T> = Result<T, ApiError>;
