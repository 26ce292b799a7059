//! [`ScheduleStore`] over [`Db`](crate::db::Db): due schedules, and firing
//! one run: the conditional update that claims it (affected rows decide who
//! fires, on both engines, never a read-then-write) and its sync's insert,
//! in one transaction.

use async_trait::async_trait;
use inlet_core::error::CoreResult;
use inlet_core::ids::{ConnectionId, OrgId};
use inlet_core::model::Timestamp;
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::job::NewJob;
use inlet_core::model::wire::WireEnum;
use inlet_core::store::{Firing, ScheduleStore};

use crate::db::Sql;
use crate::job_rows::job as rows_job;
use crate::job_rows::job_insert;
use crate::rows::{self, ms};
use crate::sql_store::{SqlStore, bump};

#[async_trait]
impl ScheduleStore for SqlStore {
    async fn due_schedules(&self, now: Timestamp, limit: u32) -> CoreResult<Vec<Connection>> {
        let q = Sql::new(
            "SELECT * FROM connections WHERE next_sync_at IS NOT NULL AND next_sync_at <= ? \
             AND status = ? ORDER BY next_sync_at, id LIMIT ?",
        )
        .arg(ms(now))
        .arg(ConnectionStatus::Active.as_str())
        .arg(limit);
        self.db
            .fetch_all(&q)
            .await?
            .iter()
            .map(|r| rows::connection(r).map_err(Into::into))
            .collect()
    }

    async fn fire_schedule(
        &self,
        org: OrgId,
        id: ConnectionId,
        from: Timestamp,
        to: Option<Timestamp>,
        job: NewJob,
        now: Timestamp,
    ) -> CoreResult<Firing> {
        let advance = Sql::new(
            "UPDATE connections SET next_sync_at = ? \
             WHERE org_id = ? AND id = ? AND next_sync_at = ? AND status = ? RETURNING id",
        )
        .arg(to.map(ms))
        .arg(org.0)
        .arg(id.0)
        .arg(ms(from))
        .arg(ConnectionStatus::Active.as_str());
        let mut tx = self.db.begin().await?;
        if tx.query(&advance).await?.is_empty() {
            return Ok(Firing::NotClaimed);
        }
        // nextSyncAt is shown in cached connection lists.
        tx.query(&bump(org)).await?;
        let inserted = tx.query(&job_insert(&job, now, true)).await?;
        let firing = match inserted.first() {
            Some(row) => {
                let created = rows_job(row)?;
                self.job_inserted(&mut tx, &created, now).await?;
                Firing::Queued(created)
            }
            None => Firing::Skipped,
        };
        tx.commit().await?;
        Ok(firing)
    }
}
