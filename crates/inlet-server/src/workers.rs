//! Background work that calls the same services as the handlers.

use std::time::Duration;

use inlet_core::service::Services;

/// Every `min(interval, 1 min)`, rediscovers the schemas of connections with
/// `schemaAutoRefresh` that are older than `interval`. The store's lease
/// keeps it to one refresh per connection at a time, across nodes too.
pub fn spawn_schema_refresher(services: Services, interval: Duration) {
    let tick = interval
        .min(Duration::from_secs(60))
        .max(Duration::from_millis(100));
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(tick);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            match services.refresh_stale_schemas(interval).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(refreshed = n, "scheduled schema refresh"),
                Err(e) => tracing::warn!(error = %e, "scheduled schema refresh failed"),
            }
        }
    });
}
