//! What every handler can reach.

use std::sync::Arc;

use inlet_core::service::Services;

use crate::rate_limit::KeyRateLimiter;

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// The use-cases.
    pub services: Services,
    /// Per-key token buckets.
    pub limiter: Arc<KeyRateLimiter>,
}
