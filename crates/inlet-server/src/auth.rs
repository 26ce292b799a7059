//! The authentication middleware of every `/api` route: resolves the bearer
//! key to a [`Principal`](inlet_core::auth::Principal), takes a rate-limit
//! token, and adds the `RateLimit-*` headers to the answer. Refused keys
//! are counted per client address; past a few a minute, further refusals
//! from that address answer 429.

use std::net::{IpAddr, SocketAddr};

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
        Err(e @ (CoreError::Unauthorized(_) | CoreError::Forbidden(_))) => {
            return match count_refusal(&state, req.extensions()) {
                Ok(()) => ApiError::Core(e),
                Err(retry_after) => ApiError::TooManyFailures(retry_after),
            }
            .into_response();
        }
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

/// Counts a refused key (an unknown, revoked or expired bearer key, or a
/// failed console sign-in) against the client's address: `Err` holds the
/// seconds to wait once the address has had its share of refusals. Only
/// refusals are counted, so a valid key is never slowed by this.
pub(crate) fn count_refusal(state: &AppState, extensions: &Extensions) -> Result<(), u64> {
    let peer = peer_ip(extensions);
    state.auth_failures.check(peer).inspect_err(|_| {
        tracing::debug!(client = ?peer, "refused keys from this address are being slowed down");
    })
}

/// The TCP peer's address (Inlet trusts no forwarding header for it).
pub(crate) fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
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
