//! What a sync indexed: a connection's documents, one document, and
//! clearing a connection's indexed data (003's `DELETE …/data`).

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use inlet_core::ids::{ConnectionId, DocumentId};
use inlet_core::model::document::Document;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::dto::{Pagination, page_request, path_id};
use super::error::ErrorEnvelope;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;

/// One indexed record.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentOut {
    /// `doc_<n>`.
    id: String,
    source_connection_id: String,
    /// `schema.table`, a CSV file, or `files`.
    stream: String,
    /// Unique per connection and stream: the primary key (one column as
    /// text, several as a JSON array), the file path, or a row's key columns.
    key: String,
    title: String,
    /// The record exactly as the source rendered it.
    #[schema(value_type = Object)]
    data: Box<RawValue>,
    /// What the full-text index sees.
    text: String,
    /// Hex SHA-256 of `data`.
    content_hash: String,
    synced_at: DateTime<Utc>,
}

impl From<Document> for DocumentOut {
    fn from(d: Document) -> Self {
        // Stored data is always JSON text (the source engine rendered it);
        // should a row ever hold something else, answer null, not an error.
        let data = RawValue::from_string(d.data).unwrap_or_else(|_| RawValue::NULL.to_owned());
        Self {
            id: d.id.to_string(),
            source_connection_id: d.connection_id.to_string(),
            stream: d.stream,
            key: d.key,
            title: d.title,
            data,
            text: d.text,
            content_hash: d.content_hash,
            synced_at: d.synced_at,
        }
    }
}

/// `{"success": true, "documents": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
pub struct DocumentList {
    success: bool,
    documents: Vec<DocumentOut>,
    pagination: Pagination,
}

/// `{"success": true, "document": {...}}`
#[derive(Serialize, ToSchema)]
pub struct DocumentEnvelope {
    success: bool,
    document: DocumentOut,
}

/// `{"success": true, "deletedDocuments": n}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cleared {
    success: bool,
    /// Documents removed from the index.
    deleted_documents: u64,
    /// The change-log position of the clear: a search with this `after`
    /// no longer finds them.
    index_seq: u64,
}

/// Filter and paging of a document list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentQuery {
    /// Only this stream.
    stream: Option<String>,
    /// Page number (default 1).
    page: Option<String>,
    /// Items per page, 1–100 (default 20).
    page_size: Option<String>,
}

fn connection_id(raw: &str) -> ApiResult<ConnectionId> {
    path_id(raw, ConnectionId::parse, "source connection")
}

/// A connection's indexed documents, by stream and key.
#[utoipa::path(get, path = "/api/v1/source-connections/{id}/documents", tag = "documents",
    params(("id" = String, Path, description = "Source connection id"), DocumentQuery),
    responses((status = 200, body = DocumentList), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<DocumentQuery>,
) -> ApiResult<Json<DocumentList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let result = state
        .services
        .list_documents(&who, connection_id(&raw)?, q.stream.as_deref(), page)
        .await?;
    Ok(Json(DocumentList {
        success: true,
        pagination: Pagination::of(&result),
        documents: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// One indexed document.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "Document id (doc_1)")),
    responses((status = 200, body = DocumentEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<DocumentEnvelope>> {
    let id = path_id(&raw, DocumentId::parse, "document")?;
    let doc = state.services.get_document(&who, id).await?;
    Ok(Json(DocumentEnvelope {
        success: true,
        document: doc.into(),
    }))
}

/// Clear all indexed data of a source without removing the connection (003).
/// Its cursors go too: the next sync reads everything again.
#[utoipa::path(delete, path = "/api/v1/source-connections/{id}/data", tag = "documents",
    params(("id" = String, Path, description = "Source connection id")),
    responses((status = 200, body = Cleared), (status = 404, body = ErrorEnvelope),
              (status = 409, description = "sync_in_progress", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn clear(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<Cleared>> {
    let cleared = state
        .services
        .clear_data(&who, connection_id(&raw)?)
        .await?;
    Ok(Json(Cleared {
        success: true,
        deleted_documents: cleared.documents,
        index_seq: cleared.index_seq,
    }))
}
