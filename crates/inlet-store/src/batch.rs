//! The batch commit of a sync: one transaction holding the lease check,
//! the batch's documents (inserted, updated when their hash changed, or
//! only marked seen), the deletes, the stream's resume point and counts,
//! and the one change-log entry the search index follows.

use std::collections::{HashMap, HashSet};

use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{DocumentId, JobId};
use inlet_core::model::document::DocumentWrite;
use inlet_core::model::job::JobStatus;
use inlet_core::model::wire::WireEnum;
use inlet_core::store::{BatchOutcome, ChangeOp, SyncBatch};

use crate::changes::log_change;
use crate::db::{Backend, Sql, Tx, Val};
use crate::rows::{ms, to_json};
use crate::sql_store::{SqlStore, bump};

/// Rows per multi-row statement: one statement for a default batch,
/// 9,000 parameters, under both engines' limits.
pub(crate) const CHUNK: usize = 1000;

/// ` = ANY(?)` with one array parameter on PostgreSQL, ` IN (?, ?, …)` on SQLite.
fn key_set<'a>(q: &mut Sql, backend: Backend, items: impl Iterator<Item = &'a str>) {
    if backend == Backend::Postgres {
        q.push(" = ANY(")
            .bind(Val::TextList(items.map(str::to_owned).collect()))
            .push(")");
        return;
    }
    q.push(" IN ").bind_list(items);
}

fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl SqlStore {
    /// Existing documents of the batch's keys: key → (id, hash).
    async fn existing(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        keys: &[&str],
    ) -> CoreResult<HashMap<String, (i64, String)>> {
        let mut found = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            let mut q = Sql::new(
                "SELECT id, key, content_hash FROM documents WHERE connection_id = ? AND stream = ? AND key",
            )
            .arg(b.connection_id.0)
            .arg(b.stream.as_str());
            key_set(&mut q, tx.backend(), chunk.iter().copied());
            for r in tx.query(&q).await? {
                found.insert(r.text("key")?, (r.i64("id")?, r.text("content_hash")?));
            }
        }
        Ok(found)
    }

    /// Inserts new documents; returns their ids.
    async fn insert_documents(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        docs: &[&DocumentWrite],
    ) -> CoreResult<Vec<DocumentId>> {
        let mut ids = Vec::with_capacity(docs.len());
        if docs.is_empty() {
            return Ok(ids);
        }
        if tx.backend() == Backend::Postgres {
            // One statement of array parameters, whatever the batch size:
            // small to parse, its plan cached.
            let column = |f: fn(&DocumentWrite) -> &str| {
                Val::TextList(docs.iter().map(|d| f(d).to_owned()).collect())
            };
            let q = Sql::new(
                "INSERT INTO documents (org_id, connection_id, stream, key, title, data, text, \
                 content_hash, seen_pass, synced_at) \
                 SELECT ?, ?, ?, u.key, u.title, u.data, u.text, u.hash, ?, ? \
                 FROM UNNEST(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) \
                 AS u(key, title, data, text, hash) RETURNING id",
            )
            .arg(b.org_id.0)
            .arg(b.connection_id.0)
            .arg(b.stream.as_str())
            .arg(b.pass.map(|p| p.0))
            .arg(ms(b.synced_at))
            .arg(column(|d| &d.key))
            .arg(column(|d| &d.title))
            .arg(column(|d| &d.data))
            .arg(column(|d| &d.text))
            .arg(column(|d| &d.content_hash));
            for r in tx.query(&q).await? {
                ids.push(DocumentId(r.i64("id")?));
            }
            return Ok(ids);
        }
        for chunk in docs.chunks(CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO documents (org_id, connection_id, stream, key, title, data, text, \
                 content_hash, seen_pass, synced_at",
            );
            q.push(") VALUES ");
            for (i, d) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .bind(b.org_id.0)
                    .push(", ")
                    .bind(b.connection_id.0)
                    .push(", ")
                    .bind(b.stream.as_str())
                    .push(", ")
                    .bind(d.key.as_str())
                    .push(", ")
                    .bind(d.title.as_str())
                    .push(", ")
                    .bind(d.data.as_str())
                    .push(", ")
                    .bind(d.text.as_str())
                    .push(", ")
                    .bind(d.content_hash.as_str())
                    .push(", ")
                    .bind(b.pass.map(|p| p.0))
                    .push(", ")
                    .bind(ms(b.synced_at))
                    .push(")");
            }
            q.push(" RETURNING id");
            for r in tx.query(&q).await? {
                ids.push(DocumentId(r.i64("id")?));
            }
        }
        Ok(ids)
    }

    async fn update_document(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        id: i64,
        d: &DocumentWrite,
    ) -> CoreResult<()> {
        let mut q = Sql::new("UPDATE documents SET title = ");
        q.bind(d.title.as_str())
            .push(", data = ")
            .bind(d.data.as_str())
            .push(", text = ")
            .bind(d.text.as_str())
            .push(", content_hash = ")
            .bind(d.content_hash.as_str())
            .push(", seen_pass = ")
            .bind(b.pass.map(|p| p.0))
            .push(", synced_at = ")
            .bind(ms(b.synced_at));
        q.push(" WHERE id = ").bind(id);
        tx.query(&q).await?;
        Ok(())
    }

    /// Marks unchanged documents as seen by the batch's full pass.
    async fn mark_seen(tx: &mut Tx<'_>, b: &SyncBatch, pass: JobId, ids: &[i64]) -> CoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        if tx.backend() == Backend::Postgres {
            let q = Sql::new(
                "INSERT INTO document_seen (pass, document_id, connection_id, stream) \
                 SELECT ?, unnest(?::bigint[]), ?, ? ON CONFLICT DO NOTHING",
            )
            .arg(pass.0)
            .arg(Val::IntList(ids.to_vec()))
            .arg(b.connection_id.0)
            .arg(b.stream.as_str());
            tx.query(&q).await?;
            return Ok(());
        }
        for chunk in ids.chunks(CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO document_seen (pass, document_id, connection_id, stream) VALUES ",
            );
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .bind(pass.0)
                    .push(", ")
                    .bind(*id)
                    .push(", ")
                    .bind(b.connection_id.0)
                    .push(", ")
                    .bind(b.stream.as_str())
                    .push(")");
            }
            q.push(" ON CONFLICT DO NOTHING");
            tx.query(&q).await?;
        }
        Ok(())
    }

    /// Deletes the stream's documents a full pass neither wrote nor marked
    /// seen, then forgets the pass's marks; returns the ids that went.
    async fn delete_unseen(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        pass: JobId,
    ) -> CoreResult<Vec<DocumentId>> {
        let unseen = "FROM documents WHERE connection_id = ? AND stream = ? \
             AND (seen_pass IS NULL OR seen_pass <> ?) AND NOT EXISTS (SELECT 1 FROM document_seen s \
             WHERE s.pass = ? AND s.document_id = documents.id)";
        let gone = tx
            .query(
                &Sql::new(&format!("DELETE {unseen} RETURNING id"))
                    .arg(b.connection_id.0)
                    .arg(b.stream.as_str())
                    .arg(pass.0)
                    .arg(pass.0),
            )
            .await?;
        tx.execute(
            &Sql::new(
                "DELETE FROM document_seen WHERE connection_id = ? AND stream = ? AND pass = ?",
            )
            .arg(b.connection_id.0)
            .arg(b.stream.as_str())
            .arg(pass.0),
        )
        .await?;
        gone.iter().map(|r| Ok(DocumentId(r.i64("id")?))).collect()
    }
}

impl SqlStore {
    /// Keeps PostgreSQL's statistics of `documents` in step with a sync that
    /// fills it. Without them the planner takes a stream of many thousand
    /// documents for a handful and answers each batch's key look-up with a
    /// scan of the whole stream (measured at 100k documents: 134 ms a batch
    /// before `ANALYZE`, 3.4 ms after); autovacuum analyses only after its
    /// naptime, too late for a sync that is running. Analyses when the
    /// documents this process inserted since the last analysis reach half
    /// of what it had inserted before (at least 5,000): a few times per
    /// sync, each well under a second.
    async fn analyze_if_grown(&self, inserted: u64) {
        use std::sync::atomic::Ordering;
        if self.db.backend() != Backend::Postgres || inserted == 0 {
            return;
        }
        let since = self
            .inserted_since_analyze
            .fetch_add(inserted, Ordering::Relaxed)
            + inserted;
        let before = self.analyzed_documents.load(Ordering::Relaxed);
        if since < (before / 2).max(5_000) {
            return;
        }
        self.inserted_since_analyze.store(0, Ordering::Relaxed);
        self.analyzed_documents.fetch_add(since, Ordering::Relaxed);
        if let Err(e) = self.db.execute_batch("ANALYZE documents").await {
            tracing::warn!(error = %e, "analysing documents failed");
        }
    }
}

impl SqlStore {
    /// Commits a sync batch in one transaction: the lease check, the
    /// documents, seen marks and deletes, the stream's progress and counts,
    /// and one change-log entry when any document changed.
    pub(crate) async fn write_batch(&self, b: &SyncBatch) -> CoreResult<BatchOutcome> {
        let mut tx = self.db.begin().await?;
        // The lease first: on PostgreSQL this also locks the job row, so a
        // cancel or a takeover waits for the batch or finds it committed.
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
        let cancel_requested = held.i64("cancel_requested")? != 0;

        // Within a batch the last record of a key wins; earlier ones count
        // as unchanged.
        let mut keys = HashSet::with_capacity(b.writes.len());
        let mut last: Vec<&DocumentWrite> = b
            .writes
            .iter()
            .rev()
            .filter(|w| keys.insert(w.key.as_str()))
            .collect();
        last.reverse();
        let mut out = BatchOutcome {
            unchanged: (b.writes.len() - last.len()) as u64,
            cancel_requested,
            ..Default::default()
        };
        let keys: Vec<&str> = last.iter().map(|w| w.key.as_str()).collect();
        let existing = Self::existing(&mut tx, b, &keys).await?;
        let mut inserts = Vec::new();
        let mut seen = Vec::new();
        let mut updated = Vec::new();
        for w in last {
            match existing.get(&w.key) {
                None => inserts.push(w),
                Some((id, hash)) if *hash == w.content_hash => {
                    out.unchanged += 1;
                    seen.push(*id);
                }
                Some((id, _)) => {
                    updated.push(DocumentId(*id));
                    Self::update_document(&mut tx, b, *id, w).await?;
                }
            }
        }
        let inserted = Self::insert_documents(&mut tx, b, &inserts).await?;
        if let Some(pass) = b.pass {
            Self::mark_seen(&mut tx, b, pass, &seen).await?;
        }
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
            deleted.extend(Self::delete_unseen(&mut tx, b, pass).await?);
        }
        out.inserted = inserted.len() as u64;
        out.updated = updated.len() as u64;
        out.deleted = deleted.len() as u64;

        // The stream's state: resume point during a pass, cursor at its end.
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

        // Counts, exact because they commit with the documents (the job's
        // are the sum of its streams').
        let status = if b.end.is_some() {
            "completed"
        } else {
            "running"
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
            .arg(status)
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
        // Last: from here to COMMIT the log's counter is locked. An
        // unchanged batch logs nothing and takes no lock.
        if !(inserted.is_empty() && updated.is_empty() && deleted.is_empty()) {
            let op = ChangeOp::Batch {
                connection: b.connection_id,
                inserted,
                updated,
                deleted,
            };
            let seq = log_change(&mut tx, b.org_id, &op).await?;
            // The job row is locked since the lease check: no wait here.
            tx.execute(
                &Sql::new("UPDATE jobs SET index_seq = ? WHERE id = ?")
                    .arg(i64::try_from(seq).unwrap_or(i64::MAX))
                    .arg(b.lease.job.0),
            )
            .await?;
            out.index_seq = Some(seq);
        }
        tx.commit().await?;
        if out.index_seq.is_some() {
            self.changed.notify_one();
        }
        self.analyze_if_grown(out.inserted).await;
        Ok(out)
    }
}
