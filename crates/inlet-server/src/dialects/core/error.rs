//! The core API's error envelope (003's): `{"success": false, "error":
//! {"code", "message", "field"?}}` with lowercase codes. It is also the
//! envelope of errors outside every dialect's paths.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Problem, ProblemKind};

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

/// The core API's code of each kind of problem.
pub fn code(kind: ProblemKind) -> &'static str {
    use ProblemKind as K;
    match kind {
        K::Unauthorized => "unauthorized",
        K::Forbidden => "forbidden",
        K::NotFound | K::RouteNotFound => "not_found",
        K::MethodNotAllowed => "method_not_allowed",
        K::InvalidRequest => "invalid_request",
        K::PayloadTooLarge => "payload_too_large",
        K::UnsupportedMediaType => "unsupported_media_type",
        K::RateLimited => "rate_limited",
        K::Conflict => "conflict",
        K::SyncInProgress => "sync_in_progress",
        K::Source(code) | K::Discovery(code) => code,
        K::SyncFailed => "sync_failed",
        K::Unavailable(code) => code,
        K::Internal => "internal_error",
    }
}

fn envelope(p: &Problem) -> ErrorEnvelope {
    ErrorEnvelope {
        success: false,
        error: ErrorBody {
            code: code(p.kind),
            message: p.message.clone(),
            field: p.field.clone(),
        },
    }
}

/// The envelope of `p` as JSON.
pub fn body(p: &Problem) -> Value {
    serde_json::to_value(envelope(p)).unwrap_or(Value::Null)
}

/// `p` answered in the core envelope.
pub fn render(p: &Problem) -> Response {
    (p.status, Json(envelope(p))).into_response()
}
