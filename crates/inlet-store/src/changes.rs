//! The change log ([`ChangeLog`]) over [`Db`](crate::db::Db): every
//! transaction that changes documents ends with [`log_change`], which takes
//! the next `seq` from the one `index_state` row and records one
//! `index_changes` row. Taking the counter is the transaction's last lock:
//! the row stays locked until COMMIT, and PostgreSQL makes a transaction
//! visible before it releases its locks, so seqs become visible in commit
//! order without gaps (a rollback gives its seq back). On SQLite the single
//! writer orders everything anyway. Each node's search index follows the
//! log; `index_nodes` records how far each got, so pruning keeps what a
//! live node still needs.

use std::time::Duration;

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{CollectionId, ConnectionId, DocumentId, OrgId};
use inlet_core::model::now;
use inlet_core::store::{Change, ChangeLog, ChangeOp, IndexedDocument, LogHead};

use crate::batch::CHUNK;
use crate::db::{Backend, DbError, Row, Sql, Tx, Val};
use crate::rows::{ms, ts};
use crate::sql_store::SqlStore;

/// The columns of an [`IndexedDocument`]: a document and its connection's
/// collection.
const INDEXED: &str = "SELECT d.id, d.org_id, c.collection_id, d.connection_id, d.stream, \
     d.title, d.text FROM documents d JOIN connections c ON c.id = d.connection_id";

/// Ids as little-endian 8-byte integers, one after the other: one value
/// whatever the count, readable the same way on both engines.
fn pack(ids: impl Iterator<Item = i64>) -> Vec<u8> {
    ids.flat_map(i64::to_le_bytes).collect()
}

/// The ids [`pack`] wrote.
fn unpack(bytes: Option<Vec<u8>>) -> Result<Vec<i64>, DbError> {
    let bytes = bytes.unwrap_or_default();
    if !bytes.len().is_multiple_of(8) {
        return Err(DbError::Decode(format!(
            "an id list of {} bytes is not whole 8-byte ids",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0; 8];
            b.copy_from_slice(c);
            i64::from_le_bytes(b)
        })
        .collect())
}

/// A seq as stored (seqs start at 1, so a negative one is a damaged row).
fn seq(v: i64) -> Result<u64, DbError> {
    u64::try_from(v).map_err(|_| DbError::Decode(format!("negative seq {v}")))
}

/// A seq as bound (seqs never reach `i64::MAX`; clamping keeps a bogus
/// cursor from wrapping around to "everything").
fn bind_seq(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Records `op` as the next change of the log, inside `tx`, and returns its
/// seq. It must be the last statement before COMMIT of every transaction
/// that changes documents (a statement after it on a row another writer
/// holds would keep the counter locked for that wait too); the caller
/// notifies [`SqlStore::change_signal`](ChangeLog::change_signal) once
/// the transaction committed.
pub(crate) async fn log_change(tx: &mut Tx<'_>, org: OrgId, op: &ChangeOp) -> CoreResult<u64> {
    let taken = tx
        .query(&Sql::new(
            "UPDATE index_state SET seq = seq + 1 WHERE one = 1 RETURNING seq",
        ))
        .await?;
    let at = taken.first().ok_or_else(no_state)?.i64("seq")?;
    let (kind, connection, inserted, updated, deleted) = match op {
        ChangeOp::Batch {
            connection,
            inserted,
            updated,
            deleted,
        } => (
            "batch",
            Some(connection.0),
            Some(pack(inserted.iter().map(|d| d.0))),
            Some(pack(updated.iter().map(|d| d.0))),
            pack(deleted.iter().map(|d| d.0)),
        ),
        // A clear lists its connections where a batch lists deleted ids:
        // every document of them goes.
        ChangeOp::Clear { connections } => (
            "clear",
            None,
            None,
            None,
            pack(connections.iter().map(|c| c.0)),
        ),
    };
    tx.execute(
        &Sql::new(
            "INSERT INTO index_changes (seq, org_id, kind, connection_id, inserted, updated, \
             deleted, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .arg(at)
        .arg(org.0)
        .arg(kind)
        .arg(connection)
        .arg(inserted)
        .arg(updated)
        .arg(deleted)
        .arg(ms(now())),
    )
    .await?;
    Ok(seq(at)?)
}

fn change(r: &Row) -> Result<Change, DbError> {
    let deleted = unpack(r.opt_blob("deleted")?)?;
    let op = match r.text("kind")?.as_str() {
        "batch" => ChangeOp::Batch {
            connection: ConnectionId(
                r.opt_i64("connection_id")?
                    .ok_or_else(|| DbError::Decode("a batch change without connection".into()))?,
            ),
            inserted: unpack(r.opt_blob("inserted")?)?
                .into_iter()
                .map(DocumentId)
                .collect(),
            updated: unpack(r.opt_blob("updated")?)?
                .into_iter()
                .map(DocumentId)
                .collect(),
            deleted: deleted.into_iter().map(DocumentId).collect(),
        },
        "clear" => ChangeOp::Clear {
            connections: deleted.into_iter().map(ConnectionId).collect(),
        },
        other => return Err(DbError::Decode(format!("unknown change kind {other}"))),
    };
    Ok(Change {
        seq: seq(r.i64("seq")?)?,
        org_id: OrgId(r.i64("org_id")?),
        op,
        committed_at: ts(r.i64("committed_at")?)?,
    })
}

fn indexed(r: &Row) -> Result<IndexedDocument, DbError> {
    Ok(IndexedDocument {
        id: DocumentId(r.i64("id")?),
        org_id: OrgId(r.i64("org_id")?),
        collection_id: CollectionId(r.i64("collection_id")?),
        connection_id: ConnectionId(r.i64("connection_id")?),
        stream: r.text("stream")?,
        title: r.text("title")?,
        text: r.text("text")?,
    })
}

fn head(r: &Row) -> Result<LogHead, DbError> {
    Ok(LogHead {
        seq: seq(r.i64("seq")?)?,
        pruned_through: seq(r.i64("pruned_through")?)?,
        store_id: r.text("store_id")?,
    })
}

/// Appends ` = ANY(?)` with one array parameter on PostgreSQL, ` IN (?, …)`
/// on SQLite.
pub(crate) fn id_set(q: &mut Sql, backend: Backend, ids: &[i64]) {
    if backend == Backend::Postgres {
        q.push(" = ANY(").bind(Val::IntList(ids.to_vec())).push(")");
    } else {
        q.push(" IN ").bind_list(ids.iter().copied());
    }
}

impl SqlStore {
    /// Runs `select` (ending in an id column to compare) for `ids`, one
    /// statement on PostgreSQL, in chunks on SQLite.
    pub(crate) async fn rows_by_ids(&self, select: &Sql, ids: &[i64]) -> CoreResult<Vec<Row>> {
        let backend = self.db.backend();
        let chunk = match backend {
            Backend::Postgres => ids.len().max(1),
            Backend::Sqlite => CHUNK,
        };
        let mut out = Vec::with_capacity(ids.len());
        for part in ids.chunks(chunk) {
            let mut q = select.clone();
            id_set(&mut q, backend, part);
            out.extend(self.db.fetch_all(&q).await?);
        }
        Ok(out)
    }
}

/// The error of a store whose `index_state` row is missing (migration 13
/// inserts it; nothing deletes it).
fn no_state() -> CoreError {
    CoreError::Store("index_state has no row".into())
}

#[async_trait]
impl ChangeLog for SqlStore {
    async fn log_head(&self) -> CoreResult<LogHead> {
        let q = Sql::new("SELECT seq, pruned_through, store_id FROM index_state WHERE one = 1");
        let row = self.db.fetch_optional(&q).await?.ok_or_else(no_state)?;
        Ok(head(&row)?)
    }

    async fn changes_after(&self, after: u64, limit: u32) -> CoreResult<Vec<Change>> {
        let q = Sql::new("SELECT * FROM index_changes WHERE seq > ? ORDER BY seq LIMIT ?")
            .arg(bind_seq(after))
            .arg(limit);
        let rows = self.db.fetch_all(&q).await?;
        Ok(rows.iter().map(change).collect::<Result<_, _>>()?)
    }

    async fn indexed_documents(&self, ids: &[DocumentId]) -> CoreResult<Vec<IndexedDocument>> {
        let ids: Vec<i64> = ids.iter().map(|d| d.0).collect();
        let rows = self
            .rows_by_ids(&Sql::new(&format!("{INDEXED} WHERE d.id")), &ids)
            .await?;
        Ok(rows.iter().map(indexed).collect::<Result<_, _>>()?)
    }

    async fn scan_indexed_documents(
        &self,
        after: DocumentId,
        limit: u32,
    ) -> CoreResult<Vec<IndexedDocument>> {
        let q = Sql::new(&format!("{INDEXED} WHERE d.id > ? ORDER BY d.id LIMIT ?"))
            .arg(after.0)
            .arg(limit);
        let rows = self.db.fetch_all(&q).await?;
        Ok(rows.iter().map(indexed).collect::<Result<_, _>>()?)
    }

    async fn count_all_documents(&self) -> CoreResult<u64> {
        self.count(&Sql::new("SELECT count(*) AS n FROM documents"))
            .await
    }

    async fn begin_rebuild(&self, node: &str) -> CoreResult<LogHead> {
        // Reading the head and registering at it in one statement: a prune
        // running meanwhile either sees the row (and keeps everything after
        // the head) or ran on a minimum no higher than the head anyway.
        let q = Sql::new(
            "INSERT INTO index_nodes (node, applied_seq, heartbeat_at) \
             SELECT ?, seq, ? FROM index_state WHERE one = 1 \
             ON CONFLICT (node) DO UPDATE SET applied_seq = excluded.applied_seq, \
             heartbeat_at = excluded.heartbeat_at RETURNING applied_seq",
        )
        .arg(node)
        .arg(ms(now()));
        let mut tx = self.db.begin().await?;
        let registered = tx.query(&q).await?;
        let at = registered
            .first()
            .ok_or_else(no_state)?
            .i64("applied_seq")?;
        let state = tx
            .query(&Sql::new(
                "SELECT pruned_through, store_id FROM index_state WHERE one = 1",
            ))
            .await?;
        tx.commit().await?;
        let state = state.first().ok_or_else(no_state)?;
        Ok(LogHead {
            seq: seq(at)?,
            pruned_through: seq(state.i64("pruned_through")?)?,
            store_id: state.text("store_id")?,
        })
    }

    async fn node_heartbeat(&self, node: &str, applied: u64) -> CoreResult<()> {
        let q = Sql::new(
            "INSERT INTO index_nodes (node, applied_seq, heartbeat_at) VALUES (?, ?, ?) \
             ON CONFLICT (node) DO UPDATE SET applied_seq = excluded.applied_seq, \
             heartbeat_at = excluded.heartbeat_at",
        )
        .arg(node)
        .arg(bind_seq(applied))
        .arg(ms(now()));
        self.db.write(&q).await?;
        Ok(())
    }

    async fn prune_changes(&self, retention: Duration) -> CoreResult<u64> {
        let retention = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        let cutoff = ms(now()).saturating_sub(retention);
        let mut tx = self.db.begin().await?;
        let live = tx
            .query(
                &Sql::new("SELECT min(applied_seq) AS x FROM index_nodes WHERE heartbeat_at >= ?")
                    .arg(cutoff),
            )
            .await?;
        let through = live.first().map(|r| r.opt_i64("x")).transpose()?.flatten();
        tx.execute(&Sql::new("DELETE FROM index_nodes WHERE heartbeat_at < ?").arg(cutoff))
            .await?;
        if let Some(x) = through {
            tx.execute(&Sql::new("DELETE FROM index_changes WHERE seq <= ?").arg(x))
                .await?;
            // Last, and only when it moves: this row is also the writers'
            // counter, so it is locked for as short a time as possible.
            tx.execute(
                &Sql::new(
                    "UPDATE index_state SET pruned_through = ? WHERE one = 1 AND pruned_through < ?",
                )
                .arg(x)
                .arg(x),
            )
            .await?;
        }
        let state = tx
            .query(&Sql::new(
                "SELECT pruned_through FROM index_state WHERE one = 1",
            ))
            .await?;
        tx.commit().await?;
        let state = state.first().ok_or_else(no_state)?;
        Ok(seq(state.i64("pruned_through")?)?)
    }

    fn change_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.changed.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_round_trip() {
        let ids = [1, -2, i64::MAX, 0];
        assert_eq!(unpack(Some(pack(ids.into_iter()))).unwrap(), ids);
        assert!(unpack(None).unwrap().is_empty());
        assert!(unpack(Some(vec![1, 2, 3])).is_err());
    }
}
