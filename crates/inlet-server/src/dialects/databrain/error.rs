//! 002's error envelope, `{"error": {"code", "message"}}`, with the codes
//! and statuses its reference names: `INVALID_REQUEST_BODY` 400,
//! `DATASOURCE_NAME_ERROR` 400, `CREDENTIAL_TEST_FAILED` 400,
//! `AUTHENTICATION_ERROR` 401, `DATASOURCE_NOT_FOUND` 404,
//! `SCHEMA_CACHE_FAILED` 500, `INTERNAL_SERVER_ERROR` 500.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Problem, ProblemKind};

/// The error object.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Databrain002ErrorBody)]
pub struct ErrorBody {
    /// `INVALID_REQUEST_BODY`, `DATASOURCE_NAME_ERROR`, `CREDENTIAL_TEST_FAILED`, …
    pub code: &'static str,
    /// What went wrong; names the field for bad input.
    pub message: String,
}

/// `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Databrain002ErrorEnvelope)]
pub struct ErrorEnvelope {
    /// What went wrong.
    pub error: ErrorBody,
}

/// 002's code and status of each kind of problem (its own statuses where
/// they differ: a taken name is 400, a failed discovery 500).
pub fn code(p: &Problem) -> (StatusCode, &'static str) {
    use ProblemKind as K;
    match p.kind {
        K::Unauthorized => (p.status, "AUTHENTICATION_ERROR"),
        K::Forbidden => (p.status, "FORBIDDEN"),
        K::NotFound => (p.status, "DATASOURCE_NOT_FOUND"),
        K::RouteNotFound => (p.status, "NOT_FOUND"),
        K::MethodNotAllowed => (p.status, "METHOD_NOT_ALLOWED"),
        K::InvalidRequest | K::PayloadTooLarge | K::UnsupportedMediaType => {
            (p.status, "INVALID_REQUEST_BODY")
        }
        K::RateLimited => (p.status, "RATE_LIMITED"),
        K::Conflict => (StatusCode::BAD_REQUEST, "DATASOURCE_NAME_ERROR"),
        K::SyncInProgress => (p.status, "SYNC_IN_PROGRESS"),
        K::Unavailable(_) => (p.status, "SERVICE_UNAVAILABLE"),
        K::Source(_) => (StatusCode::BAD_REQUEST, "CREDENTIAL_TEST_FAILED"),
        K::Discovery(_) => (StatusCode::INTERNAL_SERVER_ERROR, "SCHEMA_CACHE_FAILED"),
        K::SyncFailed | K::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR"),
    }
}

/// The status and envelope of `p`.
pub fn render(p: &Problem) -> (StatusCode, Value) {
    let (status, code) = code(p);
    let envelope = ErrorEnvelope {
        error: ErrorBody {
            code,
            message: p.message.clone(),
        },
    };
    (
        status,
        serde_json::to_value(envelope).unwrap_or(Value::Null),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use inlet_core::CoreError;

    fn rendered(e: CoreError) -> (StatusCode, Value) {
        render(&ApiError::Core(e).problem())
    }

    #[test]
    fn codes_and_statuses_are_002s() {
        let (status, body) = rendered(CoreError::Discovery(
            inlet_core::connector::ConnectorError::Timeout("no answer".into()),
        ));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "SCHEMA_CACHE_FAILED");
        assert_eq!(body["error"]["message"], "no answer");
        let (status, body) = rendered(CoreError::Conflict("taken".into()));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "DATASOURCE_NAME_ERROR");
        let (status, body) = rendered(CoreError::NotFound("datasource"));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "DATASOURCE_NOT_FOUND");
        let (status, body) = rendered(CoreError::Store("disk".into()));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "INTERNAL_SERVER_ERROR");
        assert!(!body.to_string().contains("disk"));
    }
}
