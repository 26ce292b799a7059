//! [`DocumentStore`] over [`Db`](crate::db::Db): documents and sync state
//! (the batch commit is in `batch.rs`). Every transaction that changes
//! documents ends by logging one change ([`log_change`]): the search index
//! each node keeps follows that log, so the store itself indexes nothing.

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{CollectionId, ConnectionId, DocumentId, JobId, OrgId};
use inlet_core::list::{Page, PageRequest};
use inlet_core::model::document::Document;
use inlet_core::store::{
    BatchOutcome, ChangeOp, Cleared, DocumentStore, ScopedConnection, StreamState, SyncBatch,
};
use serde_json::Value;

use crate::changes::log_change;
use crate::db::{DbError, Row, Sql, Tx};
use crate::rows::ts;
use crate::sql_store::{SqlStore, bump, one, push_alive};

const DOCUMENT_COLUMNS: &str =
    "id, org_id, connection_id, stream, key, title, data, text, content_hash, synced_at";

fn document(r: &Row) -> Result<Document, DbError> {
    Ok(Document {
        id: DocumentId(r.i64("id")?),
        org_id: OrgId(r.i64("org_id")?),
        connection_id: ConnectionId(r.i64("connection_id")?),
        stream: r.text("stream")?,
        key: r.text("key")?,
        title: r.text("title")?,
        data: r.text("data")?,
        text: r.text("text")?,
        content_hash: r.text("content_hash")?,
        synced_at: ts(r.i64("synced_at")?)?,
    })
}

fn json_col(r: &Row, col: &str) -> Result<Option<Value>, DbError> {
    r.opt_text(col)?
        .map(|t| serde_json::from_str(&t).map_err(|e| DbError::Decode(format!("{col}: {e}"))))
        .transpose()
}

fn state(r: &Row) -> Result<StreamState, DbError> {
    Ok(StreamState {
        stream: r.text("stream")?,
        cursor: json_col(r, "cursor")?,
        position: json_col(r, "position")?,
        pass: r.opt_i64("pass")?.map(JobId),
        completed_by: r.opt_i64("completed_by")?.map(JobId),
    })
}

/// Deletes the documents and seen-marks of the connections `which` selects
/// (a subquery of connection ids, already scoped to `org`), inside `tx`;
/// returns how many documents went.
pub(crate) async fn delete_indexed(tx: &mut Tx<'_>, org: OrgId, which: &Sql) -> CoreResult<u64> {
    let mut marks = Sql::new("DELETE FROM document_seen WHERE connection_id IN (");
    marks.append(which).push(")");
    tx.execute(&marks).await?;
    let mut docs = Sql::new("DELETE FROM documents WHERE org_id = ");
    docs.bind(org.0)
        .push(" AND connection_id IN (")
        .append(which)
        .push(")");
    Ok(tx.execute(&docs).await?)
}

#[async_trait]
impl DocumentStore for SqlStore {
    async fn stream_states(
        &self,
        org: OrgId,
        connection: ConnectionId,
    ) -> CoreResult<Vec<StreamState>> {
        let q = Sql::new(
            "SELECT * FROM sync_streams WHERE org_id = ? AND connection_id = ? ORDER BY stream",
        )
        .arg(org.0)
        .arg(connection.0);
        Ok(self
            .db
            .fetch_all(&q)
            .await?
            .iter()
            .map(state)
            .collect::<Result<_, _>>()?)
    }

    async fn commit_batch(&self, b: &SyncBatch) -> CoreResult<BatchOutcome> {
        self.write_batch(b).await
    }

    async fn list_documents(
        &self,
        org: OrgId,
        connection: ConnectionId,
        stream: Option<&str>,
        page: PageRequest,
    ) -> CoreResult<Page<Document>> {
        let condition = |select: &str| {
            let mut q = Sql::new(select);
            q.push(" FROM documents WHERE org_id = ")
                .bind(org.0)
                .push(" AND connection_id = ")
                .bind(connection.0);
            if let Some(s) = stream {
                q.push(" AND stream = ").bind(s);
            }
            q
        };
        let mut q = condition(&format!("SELECT {DOCUMENT_COLUMNS}"));
        q.push(" ORDER BY stream, key");
        self.paged(q, condition("SELECT count(*) AS n"), page, document)
            .await
    }

    async fn get_document(&self, org: OrgId, id: DocumentId) -> CoreResult<Document> {
        let q = Sql::new(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE org_id = ? AND id = ?"
        ))
        .arg(org.0)
        .arg(id.0);
        one(self.db.fetch_all(&q).await?, "document", document)
    }

    async fn documents_by_ids(&self, org: OrgId, ids: &[DocumentId]) -> CoreResult<Vec<Document>> {
        let select = Sql::new(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE org_id = ? AND id"
        ))
        .arg(org.0);
        let ids: Vec<i64> = ids.iter().map(|d| d.0).collect();
        let rows = self.rows_by_ids(&select, &ids).await?;
        Ok(rows.iter().map(document).collect::<Result<_, _>>()?)
    }

    async fn search_scope(
        &self,
        org: OrgId,
        collections: &[CollectionId],
    ) -> CoreResult<Vec<ScopedConnection>> {
        let mut q = Sql::new("SELECT c.collection_id, c.id, CASE WHEN ");
        push_alive(&mut q);
        q.push(" THEN 1 ELSE 0 END AS searchable FROM connections c WHERE c.org_id = ")
            .bind(org.0);
        if !collections.is_empty() {
            q.push(" AND c.collection_id IN ")
                .bind_list(collections.iter().map(|c| c.0));
        }
        q.push(" ORDER BY c.id");
        let rows = self.db.fetch_all(&q).await?;
        rows.iter()
            .map(|r| {
                Ok(ScopedConnection {
                    collection_id: CollectionId(r.i64("collection_id")?),
                    connection_id: ConnectionId(r.i64("id")?),
                    searchable: r.i64("searchable")? != 0,
                })
            })
            .collect::<Result<_, DbError>>()
            .map_err(Into::into)
    }

    async fn clear_documents(&self, org: OrgId, connection: ConnectionId) -> CoreResult<Cleared> {
        let mut tx = self.db.begin().await?;
        let cleared = tx
            .query(
                &Sql::new(
                    "UPDATE connections SET document_count = 0 WHERE org_id = ? AND id = ? \
                     RETURNING document_count",
                )
                .arg(org.0)
                .arg(connection.0),
            )
            .await?;
        if cleared.is_empty() {
            return Err(CoreError::NotFound("source connection"));
        }
        let which = Sql::new("SELECT id FROM connections WHERE org_id = ? AND id = ?")
            .arg(org.0)
            .arg(connection.0);
        let documents = delete_indexed(&mut tx, org, &which).await?;
        tx.execute(
            &Sql::new("DELETE FROM sync_streams WHERE org_id = ? AND connection_id = ?")
                .arg(org.0)
                .arg(connection.0),
        )
        .await?;
        tx.query(&bump(org)).await?;
        self.audit_in(&mut tx, None).await?;
        // One change whatever the count, even none: the caller answers its
        // seq, and a clear of an empty connection is harmless to replay.
        let clear = ChangeOp::Clear {
            connections: vec![connection],
        };
        let index_seq = log_change(&mut tx, org, &clear).await?;
        tx.commit().await?;
        self.changed.notify_one();
        Ok(Cleared {
            documents,
            index_seq,
        })
    }
}
