//! 001's error envelope: `{"success": false, "message": …, "error":
//! {"code": "UNAUTHORIZED", "message": …, "field"?}}` — the document's
//! success envelope with `success` false, and its upper-case codes.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Problem, ProblemKind};

/// The error object.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Rivergen001ErrorBody)]
pub struct ErrorBody {
    /// `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `VALIDATION_ERROR`, `RATE_LIMITED`, …
    pub code: &'static str,
    /// What went wrong; names the parameter or field for bad input.
    pub message: String,
    /// The offending parameter or field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `{"success": false, "message": …, "error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Rivergen001ErrorEnvelope)]
pub struct ErrorEnvelope {
    /// Always false.
    pub success: bool,
    /// The same text as `error.message`.
    pub message: String,
    /// What went wrong.
    pub error: ErrorBody,
}

/// 001's code of each kind of problem (the document names 401
/// `UNAUTHORIZED` and 403 `FORBIDDEN`; the rest follow their style).
pub fn code(kind: ProblemKind) -> &'static str {
    use ProblemKind as K;
    match kind {
        K::Unauthorized => "UNAUTHORIZED",
        K::Forbidden => "FORBIDDEN",
        K::NotFound | K::RouteNotFound => "NOT_FOUND",
        K::MethodNotAllowed => "METHOD_NOT_ALLOWED",
        K::InvalidRequest => "VALIDATION_ERROR",
        K::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        K::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
        K::RateLimited => "RATE_LIMITED",
        K::Conflict => "CONFLICT",
        K::SyncInProgress => "SYNC_IN_PROGRESS",
        K::Source(_) | K::Discovery(_) => "CONNECTION_FAILED",
        K::SyncFailed => "SYNC_FAILED",
        K::Unavailable(_) => "SERVICE_UNAVAILABLE",
        K::Internal => "INTERNAL_ERROR",
    }
}

/// The envelope of `p` as JSON.
pub fn body(p: &Problem) -> Value {
    let envelope = ErrorEnvelope {
        success: false,
        message: p.message.clone(),
        error: ErrorBody {
            code: code(p.kind),
            message: p.message.clone(),
            field: p.field.clone(),
        },
    };
    serde_json::to_value(envelope).unwrap_or(Value::Null)
}
