//! Persistence of sync schedules: finding connections whose next scheduled
//! sync is due, and firing one due run: moving `next_sync_at` forward with a
//! conditional update (the one write that decides, across workers and
//! nodes, who queues the run) and queueing its sync in the same transaction.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{ConnectionId, OrgId};
use crate::model::Timestamp;
use crate::model::connection::Connection;
use crate::model::job::{Job, NewJob};

/// What claiming a due scheduled run came to.
#[derive(Debug)]
pub enum Firing {
    /// This caller claimed the run and queued its sync.
    Queued(Job),
    /// This caller claimed the run, but a sync was already queued or
    /// running: this run is skipped (the next slot is set).
    Skipped,
    /// Another caller claimed it, or the connection changed meanwhile
    /// (config, status, organization).
    NotClaimed,
}

/// Scheduled syncs.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// `active` connections whose `next_sync_at` is at or before `now`,
    /// earliest first, at most `limit`, across organizations (an operator
    /// task, not a tenant one).
    async fn due_schedules(&self, now: Timestamp, limit: u32) -> CoreResult<Vec<Connection>>;

    /// Claims the due run `from` of a connection and queues its sync, in
    /// one transaction: moves `next_sync_at` from `from` to `to` if it
    /// still is `from` and the connection still `active` (`UPDATE … WHERE
    /// next_sync_at = from`; exactly one caller moves it), then inserts
    /// `job` unless a sync is already active. A process that dies in
    /// between leaves the run due, so no slot is lost.
    async fn fire_schedule(
        &self,
        org: OrgId,
        id: ConnectionId,
        from: Timestamp,
        to: Option<Timestamp>,
        job: NewJob,
        now: Timestamp,
    ) -> CoreResult<Firing>;
}
