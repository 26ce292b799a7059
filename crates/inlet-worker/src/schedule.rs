//! Scheduled work: queues schema refreshes of `schemaAutoRefresh`
//! connections whose schema is older than the interval. Queueing is one
//! `INSERT … SELECT` guarded by the store's unique index, so every node may
//! run this without a refresh being queued twice.

use std::time::Duration;

use inlet_core::service::Services;

/// Every `min(interval, 1 min)`, queues refreshes of schemas older than `interval`.
pub fn spawn_schema_scheduler(services: Services, interval: Duration) {
    let tick = interval
        .min(Duration::from_secs(60))
        .max(Duration::from_millis(100));
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(tick);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            match services.queue_stale_schema_refreshes(interval).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(queued = n, "scheduled schema refreshes queued"),
                Err(e) => tracing::warn!(error = %e, "queueing scheduled schema refreshes failed"),
            }
        }
    });
}
