//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use inlet_core::service::Services;
use inlet_core::throttle::AddressLimiter;

use crate::rate_limit::KeyRateLimiter;

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// The use-cases.
    pub services: Services,
    /// Per-key token buckets.
    pub limiter: Arc<KeyRateLimiter>,
    /// Refused keys (API and console sign-in) per client address.
    pub auth_failures: Arc<AddressLimiter>,
    /// How long-lived event streams are kept honest.
    pub streams: StreamLimits,
}

/// Limits of a job's event stream.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// How often an open stream checks its key (or console session) again;
    /// the first refusal closes it.
    pub recheck: Duration,
    /// How long one stream may stay open; the client then reconnects with
    /// `Last-Event-ID`.
    pub max_duration: Duration,
}
