//! Limits per client address: how many failed authentications an address
//! may make before it is slowed down, and how many of its failed sign-ins
//! the audit trail records. A token bucket per address (governor's GCRA).
//!
//! Addresses are chosen by whoever connects, so memory is bounded: an IPv6
//! client counts by its /64 (one host usually holds a whole /64), and once
//! `capacity` addresses are tracked, buckets that are full again are
//! dropped; if that frees nothing, further new addresses share one
//! overflow bucket instead of adding entries. These limits only ever
//! touch failures, so sharing a bucket never slows a valid caller.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

type Limiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// How many client addresses a limiter tracks at most, past which new
/// addresses share one bucket (attackers choose addresses; memory must not).
pub const TRACKED_ADDRESSES: usize = 65_536;

/// The bucket requests without a known address share.
const UNKNOWN: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
/// The bucket new addresses share once `capacity` are tracked.
const OVERFLOW: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
/// Pruning walks every entry; under a flood of new addresses it runs at
/// most this often.
const PRUNE_EVERY: Duration = Duration::from_secs(1);

/// Token buckets keyed by client address, with bounded memory.
pub struct AddressLimiter {
    limiter: Limiter,
    capacity: usize,
    last_prune: Mutex<Instant>,
}

impl AddressLimiter {
    /// `per_minute` events a minute per address, in bursts of up to as
    /// many; at most about `capacity` addresses are tracked.
    pub fn per_minute(per_minute: NonZeroU32, capacity: usize) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            capacity: capacity.max(1),
            last_prune: Mutex::new(Instant::now()),
        }
    }

    /// Takes one token for `addr` (`None`: an unknown address). `Err`
    /// holds the whole seconds (at least 1) until the address may try again.
    pub fn check(&self, addr: Option<IpAddr>) -> Result<(), u64> {
        let key = self.key(addr.map_or(UNKNOWN, bucket));
        self.limiter.check_key(&key).map_err(|not_until| {
            whole_seconds(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    /// Drops buckets that are full again (what a periodic sweep calls).
    pub fn shrink(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// The key `addr` counts under: its own while there is room.
    fn key(&self, addr: IpAddr) -> IpAddr {
        if self.limiter.len() < self.capacity {
            return addr;
        }
        if let Ok(mut last) = self.last_prune.try_lock()
            && last.elapsed() >= PRUNE_EVERY
        {
            *last = Instant::now();
            self.limiter.retain_recent();
        }
        if self.limiter.len() < self.capacity {
            addr
        } else {
            OVERFLOW
        }
    }
}

/// A wait as the whole seconds a `Retry-After` says (rounded up, so a
/// client that waits as told is let through).
pub fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The bucket of an address: IPv4 (also when mapped into IPv6) as is, IPv6
/// by its /64.
fn bucket(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn each_address_has_its_own_budget() {
        let l = AddressLimiter::per_minute(NonZeroU32::new(2).unwrap(), 100);
        assert!(l.check(ip("10.0.0.1")).is_ok());
        assert!(l.check(ip("10.0.0.1")).is_ok());
        let wait = l.check(ip("10.0.0.1")).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(l.check(ip("10.0.0.2")).is_ok());
        // The same IPv4 address mapped into IPv6 is the same client.
        assert!(l.check(ip("::ffff:10.0.0.1")).is_err());
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64() {
        let l = AddressLimiter::per_minute(NonZeroU32::new(1).unwrap(), 100);
        assert!(l.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(l.check(ip("2001:db8:1:2:ffff::9")).is_err());
        assert!(l.check(ip("2001:db8:1:3::1")).is_ok());
    }

    #[test]
    fn memory_stays_bounded_whatever_the_addresses() {
        let l = AddressLimiter::per_minute(NonZeroU32::new(1).unwrap(), 8);
        for i in 0..1000u32 {
            let _ = l.check(Some(IpAddr::V4(Ipv4Addr::from(i))));
        }
        // The cap, plus the overflow bucket.
        assert!(l.limiter.len() <= 9, "{}", l.limiter.len());
        // New addresses past the cap share the (spent) overflow bucket.
        assert!(l.check(ip("192.0.2.1")).is_err());
    }
}
