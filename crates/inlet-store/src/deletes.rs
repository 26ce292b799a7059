//! Deleting a connection, or a collection with its connections: their
//! documents, seen-marks and jobs go in the same transaction, and the
//! change log gets one `Clear` change listing the connections, whatever the
//! number of documents.

use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{CollectionId, ConnectionId, OrgId};
use inlet_core::store::ChangeOp;

use crate::changes::log_change;
use crate::db::{DbError, Sql, Tx};
use crate::documents::delete_indexed;
use crate::job_rows::active_condition;
use crate::sql_store::{SqlStore, bump};

impl SqlStore {
    /// [`ConnectionStore::delete_connection`](inlet_core::store::ConnectionStore::delete_connection).
    pub(crate) async fn remove_connection(&self, org: OrgId, id: ConnectionId) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        let which = Sql::new("SELECT id FROM connections WHERE org_id = ? AND id = ?")
            .arg(org.0)
            .arg(id.0);
        lock_jobs_of(&mut tx, org, &which).await?;
        delete_indexed(&mut tx, org, &which).await?;
        let deleted = tx
            .query(
                &Sql::new("DELETE FROM connections WHERE org_id = ? AND id = ? RETURNING id")
                    .arg(org.0)
                    .arg(id.0),
            )
            .await?;
        if deleted.is_empty() {
            return Err(CoreError::NotFound("source connection"));
        }
        tx.query(&bump(org)).await?;
        self.audit_in(&mut tx, None).await?;
        let clear = ChangeOp::Clear {
            connections: vec![id],
        };
        log_change(&mut tx, org, &clear).await?;
        tx.commit().await?;
        self.changed.notify_one();
        Ok(())
    }

    /// [`CollectionStore::delete_collection`](inlet_core::store::CollectionStore::delete_collection).
    pub(crate) async fn remove_collection(
        &self,
        org: OrgId,
        id: CollectionId,
        cascade: bool,
    ) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        let mut connections = Vec::new();
        if cascade {
            let which =
                Sql::new("SELECT id FROM connections WHERE org_id = ? AND collection_id = ?")
                    .arg(org.0)
                    .arg(id.0);
            // Read before the delete, so the change names every connection
            // whose documents go.
            for r in tx.query(&which).await? {
                connections.push(ConnectionId(r.i64("id")?));
            }
            lock_jobs_of(&mut tx, org, &which).await?;
            delete_indexed(&mut tx, org, &which).await?;
            let gone = tx
                .query(
                    &Sql::new(
                        "DELETE FROM connections WHERE org_id = ? AND collection_id = ? RETURNING id",
                    )
                    .arg(org.0)
                    .arg(id.0),
                )
                .await?;
            // On PostgreSQL a connection created since the read above is
            // deleted too (each statement sees what committed before it):
            // name it as well.
            for r in gone {
                connections.push(ConnectionId(r.i64("id")?));
            }
            connections.sort_unstable();
            connections.dedup();
        }
        let deleted = tx
            .query(
                &Sql::new("DELETE FROM collections WHERE org_id = ? AND id = ? RETURNING id")
                    .arg(org.0)
                    .arg(id.0),
            )
            .await;
        match deleted {
            Ok(rows) if rows.is_empty() => Err(CoreError::NotFound("collection")),
            Ok(_) => {
                tx.query(&bump(org)).await?;
                self.audit_in(&mut tx, None).await?;
                let logged = !connections.is_empty();
                if logged {
                    log_change(&mut tx, org, &ChangeOp::Clear { connections }).await?;
                }
                tx.commit().await?;
                if logged {
                    self.changed.notify_one();
                }
                Ok(())
            }
            Err(DbError::ForeignKey(_)) => Err(CoreError::Conflict(
                "the collection still has connections; delete them first or pass cascade=true"
                    .into(),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// Locks the jobs of the connections `which` selects before a delete
/// touches their documents: a batch commit locks its job row first, so
/// taking the same lock first keeps the two in one order (no deadlock on
/// PostgreSQL); the delete then waits for a batch in flight, and that job's
/// next batch finds its lease gone.
async fn lock_jobs_of(tx: &mut Tx<'_>, org: OrgId, which: &Sql) -> CoreResult<()> {
    let mut q = Sql::new("UPDATE jobs SET cancel_requested = 1 WHERE org_id = ");
    q.bind(org.0)
        .push(" AND connection_id IN (")
        .append(which)
        .push(") AND");
    active_condition(&mut q, "status");
    q.push(" RETURNING id");
    tx.query(&q).await?;
    Ok(())
}
