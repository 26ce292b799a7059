//! The PostgreSQL pool's figures in `/metrics` (`inlet_store_pool_*`),
//! through the process's `metrics` recorder, which the server renders.
//!
//! The gauges are sampled once a second by a task that ends with the pool,
//! so they are right between requests too and a recorder installed after the
//! store opened still gets them. A node has one store, so they carry no
//! label. The embedded SQLite store reports none of them: its connections
//! (one writer, eight readers) are in the process, not a server's.

use std::sync::Weak;
use std::time::Duration;

use sqlx::PgPool;

/// Gauge: the most connections the pool opens (`database_pool_size`).
const MAX_CONNECTIONS: &str = "inlet_store_pool_max_connections";
/// Gauge: connections open, idle or in use.
const OPEN_CONNECTIONS: &str = "inlet_store_pool_open_connections";
/// Gauge: open connections waiting in the pool.
const IDLE_CONNECTIONS: &str = "inlet_store_pool_idle_connections";
/// Gauge: open connections running a statement or holding a transaction.
const IN_USE_CONNECTIONS: &str = "inlet_store_pool_in_use_connections";
/// Histogram: how long each acquire that found no idle connection waited
/// for one to be returned or opened; its `_count` is the number of waits.
const ACQUIRE_WAIT_SECONDS: &str = "inlet_store_pool_acquire_wait_seconds";

/// How often the gauges are sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// Starts sampling `pool` (of at most `max` connections) into the gauges,
/// until the pool is dropped or closed.
pub(super) fn report(pool: Weak<PgPool>, max: u32) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(pool) = pool.upgrade() else { break };
            if pool.is_closed() {
                break;
            }
            sample(&pool, max);
        }
    });
}

/// Sets the gauges from `pool`'s counts now.
fn sample(pool: &PgPool, max: u32) {
    let open = pool.size();
    // The idle queue's length is read apart from the size, so it can be
    // ahead of it for a moment.
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX).min(open);
    describe();
    metrics::gauge!(MAX_CONNECTIONS).set(f64::from(max));
    metrics::gauge!(OPEN_CONNECTIONS).set(f64::from(open));
    metrics::gauge!(IDLE_CONNECTIONS).set(f64::from(idle));
    metrics::gauge!(IN_USE_CONNECTIONS).set(f64::from(open - idle));
    // Registered before the first wait, so it reads 0 rather than missing.
    let _ = metrics::histogram!(ACQUIRE_WAIT_SECONDS);
}

/// Records an acquire that found no idle connection and took `waited`.
pub(super) fn waited(waited: Duration) {
    metrics::histogram!(ACQUIRE_WAIT_SECONDS).record(waited.as_secs_f64());
}

/// The metrics' help texts (kept by the recorder the first time).
fn describe() {
    metrics::describe_gauge!(
        MAX_CONNECTIONS,
        "Most PostgreSQL connections the store's pool opens (database_pool_size)"
    );
    metrics::describe_gauge!(
        OPEN_CONNECTIONS,
        "PostgreSQL connections the store's pool has open"
    );
    metrics::describe_gauge!(
        IDLE_CONNECTIONS,
        "Open PostgreSQL connections idle in the store's pool"
    );
    metrics::describe_gauge!(
        IN_USE_CONNECTIONS,
        "Open PostgreSQL connections in use (a statement or a transaction)"
    );
    metrics::describe_histogram!(
        ACQUIRE_WAIT_SECONDS,
        metrics::Unit::Seconds,
        "Time an acquire that found no idle PostgreSQL connection waited for one"
    );
}
