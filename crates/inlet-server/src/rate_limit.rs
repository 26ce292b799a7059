//! Per-API-key rate limiting: a token bucket per key (governor's GCRA),
//! refilled at `limit` per minute with a burst of `limit`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Instant;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use inlet_core::ids::ApiKeyId;

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

/// Failed authentications an address may make per minute before it is
/// turned away without a store lookup.
const FAILED_AUTH_PER_MINUTE: u32 = 60;

/// Token buckets keyed by API key, and a guard against key guessing.
pub struct KeyRateLimiter {
    limiter: Limiter,
    per_minute: NonZeroU32,
    failures: RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl KeyRateLimiter {
    /// `per_minute` requests a minute per key, in bursts of up to as many.
    pub fn new(per_minute: NonZeroU32) -> Self {
        let limiter = RateLimiter::keyed(Quota::per_minute(per_minute))
            .with_middleware::<StateInformationMiddleware>();
        let failures = RateLimiter::keyed(Quota::per_minute(
            NonZeroU32::new(FAILED_AUTH_PER_MINUTE).unwrap_or(NonZeroU32::MIN),
        ));
        Self {
            limiter,
            per_minute,
            failures,
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds an address must wait after too many failed authentications,
    /// checked before the key is looked up.
    pub fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let blocked = self.blocked.lock().ok()?;
        let until = *blocked.get(&ip)?;
        let left = until.checked_duration_since(Instant::now())?;
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }

    /// Records a failed authentication from `ip`; past the allowance the
    /// address is blocked until its bucket has a token again.
    pub fn failed(&self, ip: IpAddr) {
        if let Err(not_until) = self.failures.check_key(&ip) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            if let Ok(mut blocked) = self.blocked.lock() {
                blocked.insert(ip, Instant::now() + wait);
            }
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
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Decision::Limited {
                    retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                }
            }
        }
    }

    /// Drops buckets that are full again, bounding memory to active keys.
    pub fn shrink(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        self.failures.retain_recent();
        if let Ok(mut blocked) = self.blocked.lock() {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
        }
    }
}
