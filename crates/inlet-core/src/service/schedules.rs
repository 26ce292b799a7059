//! Scheduled and continuous syncs: the next run time computed from a
//! connection's config when it is created or its config replaced, and the
//! firing of due runs.
//!
//! Firing is exactly once per due slot, however many workers and nodes run
//! the scheduler: each moves the connection's `next_sync_at` from the value
//! it read to the next slot after now with one conditional update, and only
//! the one whose update touched the row queues the sync (trigger
//! `schedule`), in the same transaction. A sync already queued or running
//! means that slot is skipped. A node that dies before its commit leaves
//! the slot due, so another node fires it.

use super::Services;
use crate::error::CoreResult;
use crate::model::catalog::SourceType;
use crate::model::connection::Connection;
use crate::model::job::JobTrigger;
use crate::model::{Timestamp, now};
use crate::schedule::{self, ScheduleSettings, SyncPlan};
use crate::store::Firing;

/// Due connections read per scheduler pass.
const DUE_BATCH: u32 = 100;

impl Services {
    /// Validates the schedule fields of an otherwise validated config and
    /// returns the first run after now (`None`: no schedule).
    pub(crate) fn next_sync_at(
        &self,
        spec: &SourceType,
        config: &serde_json::Map<String, serde_json::Value>,
    ) -> CoreResult<Option<Timestamp>> {
        let plan = schedule::plan(config, spec.supports_continuous, &self.schedules)?;
        Ok(plan.and_then(|p| p.next_after(now())))
    }

    /// Queues a sync for every active connection whose next scheduled run
    /// is due and moves its next run to the first slot after now (runs
    /// missed while no node was up collapse into this one). Returns how many
    /// syncs this call queued.
    pub async fn fire_due_schedules(&self) -> CoreResult<u64> {
        let at = now();
        let due = self.store.due_schedules(at, DUE_BATCH).await?;
        let mut queued = 0;
        for conn in due {
            match self.fire(&conn, at).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(connection = %conn.id, error = %e, "firing a scheduled sync failed");
                }
            }
        }
        if queued > 0 {
            self.wake_workers();
        }
        Ok(queued)
    }

    /// Claims one due run of `conn` and queues its sync, in one store
    /// transaction; `false` when another node claimed it or a sync is
    /// already active.
    async fn fire(&self, conn: &Connection, at: Timestamp) -> CoreResult<bool> {
        let Some(due) = conn.next_sync_at else {
            return Ok(false);
        };
        let next = self.plan_of(conn).and_then(|p| p.next_after(at));
        let job = self.new_sync(conn, JobTrigger::Schedule, false).await?;
        match self
            .store
            .fire_schedule(conn.org_id, conn.id, due, next, job, at)
            .await?
        {
            Firing::Queued(job) => {
                tracing::info!(connection = %conn.id, job = %job.id, force_full = job.force_full, "scheduled sync queued");
                Ok(true)
            }
            Firing::Skipped => {
                tracing::debug!(connection = %conn.id, "scheduled sync skipped: a sync is already queued or running");
                Ok(false)
            }
            Firing::NotClaimed => Ok(false),
        }
    }

    /// The plan a stored config describes now. The minimum interval is not
    /// re-applied (an operator raising it does not silently stop existing
    /// schedules); a config that no longer reads (say, its source type
    /// lost continuous support) stops the schedule, with a warning.
    fn plan_of(&self, conn: &Connection) -> Option<SyncPlan> {
        let lenient = ScheduleSettings {
            min_interval: std::time::Duration::ZERO,
            ..self.schedules
        };
        let spec = self.catalog.get(&conn.source_type).map(|c| c.spec());
        let supports_continuous = spec.is_some_and(|s| s.supports_continuous);
        match schedule::plan(&conn.config, supports_continuous, &lenient) {
            Ok(plan) => plan,
            Err(e) => {
                tracing::warn!(connection = %conn.id, error = %e, "stored schedule is no longer valid; it is stopped");
                None
            }
        }
    }
}
