//! The statements a batch commit runs on documents: the look-up of the
//! batch's keys, multi-row inserts (array parameters on PostgreSQL,
//! multi-row `VALUES` on SQLite), updates, seen marks of a full pass and
//! the delete of what it never saw; and keeping PostgreSQL's statistics in
//! step with a growing table.

use std::collections::HashMap;

use inlet_core::error::CoreResult;
use inlet_core::ids::{DocumentId, JobId};
use inlet_core::model::document::DocumentWrite;
use inlet_core::store::SyncBatch;

use super::CHUNK;
use crate::db::{Backend, Sql, Tx, Val};
use crate::rows::ms;
use crate::sql_store::SqlStore;

/// ` = ANY(?)` with one array parameter on PostgreSQL, ` IN (?, ?, …)` on SQLite.
pub(super) fn key_set<'a>(q: &mut Sql, backend: Backend, items: impl Iterator<Item = &'a str>) {
    if backend == Backend::Postgres {
        q.push(" = ANY(")
            .bind(Val::TextList(items.map(str::to_owned).collect()))
            .push(")");
        return;
    }
    q.push(" IN ").bind_list(items);
}
impl SqlStore {
    /// Existing documents of the batch's keys: key → (id, hash).
    pub(super) async fn existing(
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
    pub(super) async fn insert_documents(
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

    pub(super) async fn update_document(
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
    pub(super) async fn mark_seen(
        tx: &mut Tx<'_>,
        b: &SyncBatch,
        pass: JobId,
        ids: &[i64],
    ) -> CoreResult<()> {
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
    pub(super) async fn delete_unseen(
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
    pub(super) async fn analyze_if_grown(&self, inserted: u64) {
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
