//! The edge's error type and its one mapping to HTTP: 003's envelope
//! `{"success": false, "error": {"code", "message"}}` with lowercase codes.
//! Internal errors are logged and answered with a generic message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use inlet_core::CoreError;
use serde::Serialize;
use utoipa::ToSchema;

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
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::Core(e)
    }
}

/// The error object inside the envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code (`not_found`, `invalid_request`, …).
    pub code: &'static str,
    /// Human-readable explanation; names the offending field for bad input.
    pub message: String,
    /// The offending field, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `{"success": false, "error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// Always false.
    pub success: bool,
    /// What went wrong.
    pub error: ErrorBody,
}

impl ApiError {
    /// Status, code, message and field of this error.
    pub fn parts(&self) -> (StatusCode, &'static str, String, Option<String>) {
        use StatusCode as S;
        match self {
            ApiError::Core(e) => match e {
                CoreError::NotFound(what) => {
                    (S::NOT_FOUND, "not_found", format!("{what} not found"), None)
                }
                CoreError::Invalid { field, message } => (
                    S::BAD_REQUEST,
                    "invalid_request",
                    format!("{field}: {message}"),
                    Some(field.clone()),
                ),
                CoreError::Conflict(m) => (S::CONFLICT, "conflict", m.clone(), None),
                CoreError::JobActive { kind, .. } => (
                    S::CONFLICT,
                    match kind {
                        inlet_core::model::job::JobKind::Sync => "sync_in_progress",
                        inlet_core::model::job::JobKind::SchemaRefresh => "conflict",
                    },
                    e.to_string(),
                    None,
                ),
                CoreError::Source { code, message } => {
                    (S::BAD_REQUEST, *code, message.clone(), None)
                }
                CoreError::Unauthorized(m) => (S::UNAUTHORIZED, "unauthorized", m.clone(), None),
                CoreError::Forbidden(m) => (S::FORBIDDEN, "forbidden", m.clone(), None),
                CoreError::Store(_) | CoreError::Crypto(_) => (
                    S::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "internal error; see the server log".into(),
                    None,
                ),
            },
            ApiError::BadRequest(m) => (S::BAD_REQUEST, "invalid_request", m.clone(), None),
            ApiError::PayloadTooLarge => (
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body is larger than 1 MiB".into(),
                None,
            ),
            ApiError::UnsupportedMediaType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json".into(),
                None,
            ),
            ApiError::RouteNotFound => (S::NOT_FOUND, "not_found", "no such route".into(), None),
            ApiError::MethodNotAllowed => (
                S::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this route".into(),
                None,
            ),
            ApiError::RateLimited(secs) => (
                S::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests; retry in {secs} s"),
                None,
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = self.parts();
        if let ApiError::Core(CoreError::Store(e) | CoreError::Crypto(e)) = &self {
            tracing::error!(error = %e, "request failed");
        }
        let body = ErrorEnvelope {
            success: false,
            error: ErrorBody {
                code,
                message,
                field,
            },
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if let ApiError::RateLimited(secs) = self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// Handler result alias.
pub type ApiResult<T> = Result<T, ApiError>;
