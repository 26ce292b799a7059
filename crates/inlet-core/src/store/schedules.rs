//! Persistence of sync schedules: finding connections whose next scheduled
//! sync is due, and claiming one due run by moving `next_sync_at` forward
//! with a conditional update — the one write that decides, across workers
//! and nodes, who queues the run.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{ConnectionId, OrgId};
use crate::model::Timestamp;
use crate::model::connection::Connection;

/// Scheduled syncs.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// `active` connections whose `next_sync_at` is at or before `now`,
    /// earliest first, at most `limit`, across organizations (an operator
    /// task, not a tenant one).
    async fn due_schedules(&self, now: Timestamp, limit: u32) -> CoreResult<Vec<Connection>>;

    /// Moves a connection's `next_sync_at` from `from` to `to` if it still is
    /// `from` and the connection still `active` (`UPDATE … WHERE
    /// next_sync_at = from`): `true` for the one caller that moved it, which
    /// then queues the run; `false` for everyone else (another node fired
    /// it, the config changed or the connection was switched off meanwhile).
    async fn advance_schedule(
        &self,
        org: OrgId,
        id: ConnectionId,
        from: Timestamp,
        to: Option<Timestamp>,
    ) -> CoreResult<bool>;
}
