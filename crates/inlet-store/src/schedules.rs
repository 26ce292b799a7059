//! [`ScheduleStore`] over [`Db`](crate::db::Db): due schedules and the
//! conditional update that claims one run (affected rows decide who fires,
//! on both engines, never a read-then-write).

use async_trait::async_trait;
use inlet_core::error::CoreResult;
use inlet_core::ids::{ConnectionId, OrgId};
use inlet_core::model::Timestamp;
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::wire::WireEnum;
use inlet_core::store::ScheduleStore;

use crate::db::Sql;
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

    async fn advance_schedule(
        &self,
        org: OrgId,
        id: ConnectionId,
        from: Timestamp,
        to: Option<Timestamp>,
    ) -> CoreResult<bool> {
        let q = Sql::new(
            "UPDATE connections SET next_sync_at = ? \
             WHERE org_id = ? AND id = ? AND next_sync_at = ? AND status = ? RETURNING id",
        )
        .arg(to.map(ms))
        .arg(org.0)
        .arg(id.0)
        .arg(ms(from))
        .arg(ConnectionStatus::Active.as_str());
        let mut tx = self.db.begin().await?;
        let moved = !tx.query(&q).await?.is_empty();
        if moved {
            // nextSyncAt is shown in cached connection lists.
            tx.query(&bump(org)).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }
}
