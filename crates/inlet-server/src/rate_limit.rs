//! Per-API-key rate limiting: a token bucket per key (governor's GCRA),
//! refilled at `limit` per minute with a burst of `limit`.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use inlet_core::ids::ApiKeyId;
use inlet_core::throttle::whole_seconds;

type Limiter = RateLimiter<
    ApiKeyId,
    DefaultKeyedStateStore<ApiKeyId>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// The outcome of taking a token.
pub enum Decision {
    /// Allowed; `remaining` tokens are left.
    Allowed {
        /// Tokens left in the bucket.
        remaining: u32,
    },
    /// Refused; a token is available again after `retry_after` seconds.
    Limited {
        /// Whole seconds to wait (at least 1).
        retry_after: u64,
    },
}

/// Token buckets keyed by API key.
pub struct KeyRateLimiter {
    limiter: Limiter,
    per_minute: NonZeroU32,
}

impl KeyRateLimiter {
    /// `per_minute` requests a minute per key, in bursts of up to as many.
    pub fn new(per_minute: NonZeroU32) -> Self {
        let limiter = RateLimiter::keyed(Quota::per_minute(per_minute))
            .with_middleware::<StateInformationMiddleware>();
        Self {
            limiter,
            per_minute,
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> u32 {
        self.per_minute.get()
    }

    /// Takes one token for `key`.
    pub fn check(&self, key: ApiKeyId) -> Decision {
        match self.limiter.check_key(&key) {
            Ok(snapshot) => Decision::Allowed {
                remaining: snapshot.remaining_burst_capacity(),
            },
            Err(not_until) => Decision::Limited {
                retry_after: whole_seconds(not_until.wait_time_from(DefaultClock::default().now())),
            },
        }
    }

    /// Drops buckets that are full again, bounding memory to active keys.
    pub fn shrink(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}
