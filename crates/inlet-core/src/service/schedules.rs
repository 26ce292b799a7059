//! Scheduled and continuous syncs: the next run time computed from a
//! connection's config when it is created or its config replaced, and the
//! firing of due runs.
//!
//! Firing is exactly once per due slot, however many workers and nodes run
//! the scheduler: each moves the connection's `next_sync_at` from the value
//! it read to the next slot after now with one conditional update, and only
//! the one whose update touched the row queues the sync (trigger
//! `schedule`). A sync already queued or running (the store's unique index
//! answers [`CoreError::JobActive`]) means that slot is skipped. A node that
//! dies between its claim and its queueing loses that one slot; the next
//! slot is already set.

use super::Services;
use crate::error::{CoreError, CoreResult};
use crate::model::catalog::SourceType;
use crate::model::connection::Connection;
use crate::model::job::JobTrigger;
use crate::model::{Timestamp, now};
use crate::schedule::{self, ScheduleSettings, SyncPlan};

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
            self.jobs_changed.notify_waiters();
        }
        Ok(queued)
    }

    /// Claims one due run of `conn` and queues its sync; `false` when
    /// another node claimed it or a sync is already active.
    async fn fire(&self, conn: &Connection, at: Timestamp) -> CoreResult<bool> {
        let Some(due) = conn.next_sync_at else {
            return Ok(false);
        };
        let next = self.plan_of(conn).and_then(|p| p.next_after(at));
        if !self
            .store
            .advance_schedule(conn.org_id, conn.id, due, next)
            .await?
        {
            return Ok(false);
        }
        match self
            .enqueue_sync(conn, JobTrigger::Schedule, false, None)
            .await
        {
            Ok(_) => Ok(true),
            Err(CoreError::JobActive { job, .. }) => {
                tracing::debug!(connection = %conn.id, active = %job, "scheduled sync skipped: a sync is already queued or running");
                Ok(false)
            }
            Err(e) => Err(e),
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
