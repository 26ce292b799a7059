//! Extractors that answer bad input in the API's envelope instead of the
//! framework's plain-text rejections, and never echo a submitted value.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use inlet_core::auth::Principal;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(r: &JsonRejection) -> ApiError {
    match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        _ => {
            let text = r.body_text();
            let detail = text
                .split_once("target type: ")
                .map(|(_, rest)| rest)
                .or_else(|| text.split_once("JSON: ").map(|(_, rest)| rest))
                .unwrap_or(&text);
            let prefix = if matches!(r, JsonRejection::JsonSyntaxError(_)) {
                "malformed JSON: "
            } else {
                ""
            };
            ApiError::BadRequest(format!("{prefix}{}", redact_serde(detail)))
        }
    }
}

/// serde quotes offending values ("invalid type: string \"hunter2\", expected
/// a map"); a value may be a secret, so only the expectation is kept.
pub fn redact_serde(msg: &str) -> String {
    for marker in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(start) = msg.find(marker)
            && let Some(exp) = msg[start..].find(", expected")
        {
            let kind = marker.trim_end_matches(": ").trim_end();
            return format!("{}{kind}{}", &msg[..start], &msg[start + exp..]);
        }
    }
    msg.to_owned()
}

/// The authenticated caller, placed in the request by the auth middleware.
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| {
                ApiError::Core(inlet_core::CoreError::Unauthorized(
                    "invalid or missing API key".into(),
                ))
            })
    }
}

/// Parses an optional integer query parameter, naming it in the error.
pub fn int_param(field: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|s| {
        s.trim().parse::<i64>().map_err(|_| {
            ApiError::Core(inlet_core::CoreError::invalid(field, "must be an integer"))
        })
    })
    .transpose()
}

/// Query parameters; unknown parameters are refused by name (a typo'd filter
/// silently ignored would return the wrong rows).
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => {
                let text = r.body_text();
                let detail = text
                    .split_once("query string: ")
                    .map_or(text.as_str(), |(_, rest)| rest);
                Err(ApiError::BadRequest(format!(
                    "query: {}",
                    redact_serde(detail)
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_values_are_redacted() {
        let m = redact_serde(
            "credentials: invalid type: string \"hunter2\", expected a map at line 1 column 30",
        );
        assert!(!m.contains("hunter2"));
        assert!(m.starts_with("credentials: invalid type, expected a map"));
        assert_eq!(redact_serde("missing field `name`"), "missing field `name`");
    }
}
