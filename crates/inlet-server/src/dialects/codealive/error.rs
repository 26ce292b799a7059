//! 000's error envelope: `{"error": {"code": "UNAUTHORIZED", "message": …}}`
//! with upper-case codes (the document names `UNAUTHORIZED` and
//! `RATE_LIMITED`; the rest follow their style).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Problem, ProblemKind};

/// The error object.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Codealive000ErrorBody)]
pub struct ErrorBody {
    /// `UNAUTHORIZED`, `RATE_LIMITED`, `INVALID_REQUEST`, `NOT_FOUND`, …
    pub code: &'static str,
    /// What went wrong; names the parameter for bad input.
    pub message: String,
}

/// `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Codealive000ErrorEnvelope)]
pub struct ErrorEnvelope {
    /// What went wrong.
    pub error: ErrorBody,
}

/// 000's code of each kind of problem.
pub fn code(kind: ProblemKind) -> &'static str {
    use ProblemKind as K;
    match kind {
        K::Unauthorized => "UNAUTHORIZED",
        K::Forbidden => "FORBIDDEN",
        K::NotFound | K::RouteNotFound => "NOT_FOUND",
        K::MethodNotAllowed => "METHOD_NOT_ALLOWED",
        K::InvalidRequest => "INVALID_REQUEST",
        K::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        K::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
        K::RateLimited => "RATE_LIMITED",
        K::Conflict | K::SyncInProgress => "CONFLICT",
        K::Source(_) | K::Discovery(_) => "SOURCE_ERROR",
        K::SyncFailed => "SYNC_FAILED",
        K::Unavailable(_) => "SERVICE_UNAVAILABLE",
        K::Internal => "INTERNAL_ERROR",
    }
}

/// The envelope of `p` as JSON.
pub fn body(p: &Problem) -> Value {
    let envelope = ErrorEnvelope {
        error: ErrorBody {
            code: code(p.kind),
            message: p.message.clone(),
        },
    };
    serde_json::to_value(envelope).unwrap_or(Value::Null)
}
