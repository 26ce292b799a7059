//! The authentication middleware of every `/api` route: resolves the bearer
//! key to a [`Principal`](inlet_core::auth::Principal), takes a rate-limit
//! token, and adds the `RateLimit-*` headers to the answer.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use inlet_core::CoreError;
use inlet_core::model::audit::Origin;

use crate::error::ApiError;
use crate::rate_limit::Decision;
use crate::state::AppState;

/// Authenticates, rate-limits, then runs the handler.
pub async fn require_key(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(key) = bearer(req.headers()) else {
        return ApiError::Core(CoreError::Unauthorized(
            "missing API key; send Authorization: Bearer <key>".into(),
        ))
        .into_response();
    };
    let mut principal = match state.services.authenticate(key).await {
        Ok(p) => p,
        Err(e) => return ApiError::Core(e).into_response(),
    };
    principal.origin = origin(&req);
    let limit = state.limiter.limit();
    let (mut resp, remaining, reset) = match state.limiter.check(principal.key_id) {
        Decision::Allowed { remaining } => {
            tracing::Span::current().record("key", tracing::field::display(principal.key_id));
            req.extensions_mut().insert(principal);
            let resp = next.run(req).await;
            // Seconds until the bucket is full again.
            let reset = u64::from(limit - remaining.min(limit)) * 60 / u64::from(limit);
            (resp, remaining, reset)
        }
        Decision::Limited { retry_after } => (
            ApiError::RateLimited(retry_after).into_response(),
            0,
            retry_after,
        ),
    };
    let h = resp.headers_mut();
    for (name, value) in [
        ("ratelimit-limit", u64::from(limit)),
        ("ratelimit-remaining", u64::from(remaining)),
        ("ratelimit-reset", reset),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
            h.insert(name, v);
        }
    }
    resp
}

/// Where a request came from, for the audit trail: its request id (set by
/// the outer layer when the client sent none) and the peer's address.
pub fn origin(req: &Request) -> Origin {
    origin_of(req.headers(), req.extensions())
}

/// [`origin`] from a request's parts.
pub fn origin_of(headers: &HeaderMap, extensions: &Extensions) -> Origin {
    Origin {
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        client_addr: extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
    }
}

/// The token of `Authorization: Bearer <token>`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
