//! The batch commit of a sync: one transaction holding the lease check,
//! the batch's documents (inserted, updated when their hash changed, or
//! only marked seen), the deletes, the stream's resume point and counts,
//! and the one change-log entry the search index follows.

mod statements;

use std::collections::HashSet;

use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::DocumentId;
use inlet_core::model::document::DocumentWrite;
use inlet_core::model::job::JobStatus;
use inlet_core::model::wire::WireEnum;
use inlet_core::store::{BatchOutcome, ChangeOp, SyncBatch};

use crate::changes::log_change;
use crate::db::{Sql, Tx};
use crate::rows::{ms, to_json};
use crate::sql_store::{SqlStore, bump};
use statements::key_set;

/// Rows per multi-row statement: one statement for a default batch,
/// 9,000 parameters, under both engines' limits.
pub(crate) const CHUNK: usize = 1000;
fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
/// What a batch did to documents: the ids the change log records.
#[derive(Default)]
struct Written {
    inserted: Vec<DocumentId>,
    updated: Vec<DocumentId>,
    deleted: Vec<DocumentId>,
}

impl Written {
    fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.updated.is_empty() && self.deleted.is_empty()
    }
}

/// The batch's writes, the last record of each key only (within a batch the
/// last one wins; earlier ones count as unchanged).
fn last_write_per_key(b: &SyncBatch) -> Vec<&DocumentWrite> {
    let mut keys = HashSet::with_capacity(b.writes.len());
    let mut last: Vec<&DocumentWrite> = b
        .writes
        .iter()
        .rev()
        .filter(|w| keys.insert(w.key.as_str()))
        .collect();
    last.reverse();
    last
}

impl SqlStore {
    /// Commits a sync batch in one transaction, step by step: the lease
    /// check, the documents (written, marked seen, deleted), the stream's
    /// progress, the counts, and one change-log entry when any document
    /// changed.
    pub(crate) async fn write_batch(&self, b: &SyncBatch) -> CoreResult<BatchOutcome> {
        let mut tx = self.db.begin().await?;
        let cancel_requested = Self::hold_lease(&mut tx, b).await?;
        let last = last_write_per_key(b);
        let mut out = BatchOutcome {
            unchanged: (b.writes.len() - last.len()) as u64,
            cancel_requested,
            ..Default::default()
        };
        let mut written = Self::write_documents(&mut tx, b, last, &mut out.unchanged).await?;
        written.deleted = Self::delete_documents(&mut tx, b).await?;
        out.inserted = written.inserted.len() as u64;
        out.updated = written.updated.len() as u64;
        out.deleted = written.deleted.len() as u64;
        Self::save_stream_state(&mut tx, b).await?;
        Self::add_stream_counts(&mut tx, b, &out).await?;
        Self::adjust_document_count(&mut tx, b, &out).await?;
        // Last: from here to COMMIT the log's counter is locked. An
        // unchanged batch logs nothing and takes no lock.
        out.index_seq = Self::log_batch(&mut tx, b, written).await?;
        tx.commit().await?;
        if out.index_seq.is_some() {
            self.changed.notify_one();
        }
        self.analyze_if_grown(out.inserted).await;
        Ok(out)
    }

    /// Checks that the batch's job still holds its lease (`NotFound`
    /// otherwise) and returns whether a cancel was asked for. On PostgreSQL
    /// this also locks the job row, so a cancel or a takeover waits for the
    /// batch or finds it committed.
    async fn hold_lease(tx: &mut Tx<'_>, b: &SyncBatch) -> CoreResult<bool> {
        let held = tx
            .query(
                &Sql::new(
                    "UPDATE jobs SET updated_at = ? WHERE id = ? AND worker = ? AND status = ? \
                     RETURNING cancel_requested",
                )
                .arg(ms(b.synced_at))
                .arg(b.lease.job.0)
                .arg(b.lease.worker.as_str())
                .arg(JobStatus::Running.as_str()),
            )
            .await?;
        let Some(held) = held.first() else {
            return Err(CoreError::NotFound("job"));
        };
        Ok(held.i64("cancel_requested")? != 0)
    }

    /// Inserts new documents, updates those whose hash changed, and marks
    /// the unchanged ones seen by the batch's full pass (counting them in
    /// `unchanged`).
    async fn write_documents(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        last: Vec<&DocumentWrite>,
        unchanged: &mut u64,
    ) -> CoreResult<Written> {
        let keys: Vec<&str> = last.iter().map(|w| w.key.as_str()).collect();
        let existing = Self::existing(tx, b, &keys).await?;
        let mut inserts = Vec::new();
        let mut seen = Vec::new();
        let mut written = Written::default();
        for w in last {
            match existing.get(&w.key) {
                None => inserts.push(w),
                Some((id, hash)) if *hash == w.content_hash => {
                    *unchanged += 1;
                    seen.push(*id);
                }
                Some((id, _)) => {
                    written.updated.push(DocumentId(*id));
                    Self::update_document(tx, b, *id, w).await?;
                }
            }
        }
        written.inserted = Self::insert_documents(tx, b, &inserts).await?;
        if let Some(pass) = b.pass {
            Self::mark_seen(tx, b, pass, &seen).await?;
        }
        Ok(written)
    }

    /// Deletes the documents the batch names, and at the end of a full pass
    /// those it never saw; returns their ids.
    async fn delete_documents(tx: &mut Tx<'_>, b: &SyncBatch) -> CoreResult<Vec<DocumentId>> {
        let mut deleted = Vec::new();
        for chunk in b.deletes.chunks(CHUNK) {
            let mut q =
                Sql::new("DELETE FROM documents WHERE connection_id = ? AND stream = ? AND key")
                    .arg(b.connection_id.0)
                    .arg(b.stream.as_str());
            key_set(&mut q, tx.backend(), chunk.iter().map(String::as_str));
            q.push(" RETURNING id");
            for r in tx.query(&q).await? {
                deleted.push(DocumentId(r.i64("id")?));
            }
        }
        if b.end.is_some()
            && let Some(pass) = b.pass
        {
            deleted.extend(Self::delete_unseen(tx, b, pass).await?);
        }
        Ok(deleted)
    }

    /// The stream's state: its resume point during a pass, its cursor at
    /// its end.
    async fn save_stream_state(tx: &mut Tx<'_>, b: &SyncBatch) -> CoreResult<()> {
        let state = match &b.end {
            Some(cursor) => Sql::new(
                "INSERT INTO sync_streams (connection_id, org_id, stream, cursor, position, pass, completed_by) \
                 VALUES (?, ?, ?, ?, NULL, NULL, ?) ON CONFLICT (connection_id, stream) DO UPDATE SET \
                 cursor = excluded.cursor, position = NULL, pass = NULL, completed_by = excluded.completed_by",
            )
            .arg(b.connection_id.0)
            .arg(b.org_id.0)
            .arg(b.stream.as_str())
            .arg((!cursor.is_null()).then(|| to_json(cursor)))
            .arg(b.lease.job.0),
            None => Sql::new(
                "INSERT INTO sync_streams (connection_id, org_id, stream, position, pass) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (connection_id, stream) DO UPDATE SET \
                 position = excluded.position, pass = excluded.pass",
            )
            .arg(b.connection_id.0)
            .arg(b.org_id.0)
            .arg(b.stream.as_str())
            .arg(b.position.as_ref().map(to_json))
            .arg(b.pass.map(|p| p.0)),
        };
        tx.query(&state).await?;
        Ok(())
    }

    /// Adds the batch's counts to its stream's row of the job, exact
    /// because they commit with the documents (the job's counts are the sum
    /// of its streams').
    async fn add_stream_counts(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        out: &BatchOutcome,
    ) -> CoreResult<()> {
        let status = if b.end.is_some() {
            JobStatus::Completed
        } else {
            JobStatus::Running
        };
        let reasons = to_json(&b.skipped_reasons);
        tx.query(
            &Sql::new(
                "INSERT INTO job_streams (job_id, stream, ordinal, status, mode, n_read, n_inserted, \
                 n_updated, n_deleted, n_unchanged, n_skipped, bytes, skipped_reasons, notes) \
                 VALUES (?, ?, (SELECT count(*) FROM job_streams s WHERE s.job_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (job_id, stream) DO UPDATE SET status = excluded.status, mode = excluded.mode, \
                 n_read = job_streams.n_read + excluded.n_read, \
                 n_inserted = job_streams.n_inserted + excluded.n_inserted, \
                 n_updated = job_streams.n_updated + excluded.n_updated, \
                 n_deleted = job_streams.n_deleted + excluded.n_deleted, \
                 n_unchanged = job_streams.n_unchanged + excluded.n_unchanged, \
                 n_skipped = job_streams.n_skipped + excluded.n_skipped, \
                 bytes = job_streams.bytes + excluded.bytes, \
                 skipped_reasons = CASE WHEN job_streams.skipped_reasons = '[]' \
                   THEN excluded.skipped_reasons ELSE job_streams.skipped_reasons END, \
                 notes = CASE WHEN job_streams.notes = '[]' THEN excluded.notes ELSE job_streams.notes END",
            )
            .arg(b.lease.job.0)
            .arg(b.stream.as_str())
            .arg(b.lease.job.0)
            .arg(status.as_str())
            .arg(b.mode.as_str())
            .arg(n(b.read))
            .arg(n(out.inserted))
            .arg(n(out.updated))
            .arg(n(out.deleted))
            .arg(n(out.unchanged))
            .arg(n(b.skipped))
            .arg(n(b.bytes))
            .arg(reasons)
            .arg(to_json(&b.notes)),
        )
        .await?;
        Ok(())
    }

    /// Keeps the connection's document count in step, and invalidates the
    /// organization's cached list pages that show it.
    async fn adjust_document_count(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        out: &BatchOutcome,
    ) -> CoreResult<()> {
        if out.inserted > 0 || out.deleted > 0 {
            tx.query(
                &Sql::new(
                    "UPDATE connections SET document_count = document_count + ? - ? \
                     WHERE id = ? RETURNING id",
                )
                .arg(n(out.inserted))
                .arg(n(out.deleted))
                .arg(b.connection_id.0),
            )
            .await?;
            tx.query(&bump(b.org_id)).await?;
        }
        Ok(())
    }

    /// Logs the batch's change for the search index and records its `seq`
    /// on the job; `None` when no document changed (nothing is logged).
    async fn log_batch(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        written: Written,
    ) -> CoreResult<Option<u64>> {
        if written.is_empty() {
            return Ok(None);
        }
        let op = ChangeOp::Batch {
            connection: b.connection_id,
            inserted: written.inserted,
            updated: written.updated,
            deleted: written.deleted,
        };
        let seq = log_change(tx, b.org_id, &op).await?;
        // The job row is locked since the lease check: no wait here.
        tx.execute(
            &Sql::new("UPDATE jobs SET index_seq = ? WHERE id = ?")
                .arg(i64::try_from(seq).unwrap_or(i64::MAX))
                .arg(b.lease.job.0),
        )
        .await?;
        Ok(Some(seq))
    }
}
