//! Scheduled work: queues schema refreshes of `schemaAutoRefresh`
//! connections whose schema is older than the interval, and scheduled and
//! continuous syncs whose time has come. Schema refreshes are queued by one
//! `INSERT … SELECT` guarded by the store's unique index; a due sync is
//! claimed by a conditional update of the connection's next run time. So
//! every node may run both without anything being queued twice.

use std::time::Duration;

use inlet_core::CoreResult;
use inlet_core::service::Services;

/// Every `min(interval, 1 min)`, queues refreshes of schemas older than `interval`.
pub fn spawn_schema_scheduler(services: Services, interval: Duration) {
    let tick = interval
        .min(Duration::from_secs(60))
        .max(Duration::from_millis(100));
    every(tick, "scheduled schema refreshes", move || {
        let services = services.clone();
        async move { services.queue_stale_schema_refreshes(interval).await }
    });
}

/// Every `tick`, queues the syncs whose schedule (or continuous interval) is
/// due. Each due run fires once across all nodes (see
/// `Services::fire_due_schedules`).
pub fn spawn_sync_scheduler(services: Services, tick: Duration) {
    every(
        tick.max(Duration::from_millis(10)),
        "scheduled syncs",
        move || {
            let services = services.clone();
            async move { services.fire_due_schedules().await }
        },
    );
}

/// At start and then hourly, deletes audit events older than `retention`.
pub fn spawn_audit_pruner(services: Services, retention: chrono::Duration) {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(Duration::from_secs(3600));
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            if let Err(e) = services.prune_audit_events(retention).await {
                tracing::warn!(error = %e, "pruning audit events failed");
            }
        }
    });
}

/// Runs `pass` every `tick` (a late tick waits rather than bunching up) and
/// logs how many jobs it queued, or why it failed.
fn every<F, Fut>(tick: Duration, what: &'static str, pass: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = CoreResult<u64>> + Send,
{
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(tick);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            match pass().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(queued = n, "{what} queued"),
                Err(e) => tracing::warn!(error = %e, "queueing {what} failed"),
            }
        }
    });
}

/// The scheduler tick for a continuous interval: a second, or a quarter of
/// the interval when that is shorter (so short intervals keep their pace).
pub fn sync_scheduler_tick(continuous_interval: Duration) -> Duration {
    (continuous_interval / 4)
        .min(Duration::from_secs(1))
        .max(Duration::from_millis(10))
}
