//! Search routes: one collection (`POST`/`GET …/collections/{id}/search`)
//! or every collection the key may read (`GET /api/v1/search`).

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use inlet_core::CoreError;
use inlet_core::ids::{CollectionId, ConnectionId};
use inlet_core::search::TotalRelation;
use inlet_core::service::{SearchInput, SearchResult, SearchResults};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::path_id;
use super::error::ErrorEnvelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Caller, int_param};
use crate::state::AppState;

/// A search of one collection.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchIn {
    /// Words (all must match), `"exact phrases"`, `prefix*`, `a OR b`, `-excluded`.
    query: String,
    /// Results per page, 1–200 (default 20).
    limit: Option<i64>,
    /// Results to skip, 0–10,000 (default 0).
    offset: Option<i64>,
    /// Only these connections (`sc_…`).
    source_connection_ids: Option<Vec<String>>,
    /// Only these streams (`schema.table`, a CSV file, `files`).
    streams: Option<Vec<String>>,
    /// Answer only once this node's index has applied this change (a sync
    /// job's `indexSeq`, or a clear's): read your writes. Waits up to 5 s,
    /// then 503 `index_behind` with `Retry-After`.
    after: Option<i64>,
}

/// A search in the URL.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The query, as in the body's `query`.
    q: Option<String>,
    /// Results per page, 1–200 (default 20).
    limit: Option<String>,
    /// Results to skip, 0–10,000 (default 0).
    offset: Option<String>,
    /// As the body's `after`.
    after: Option<String>,
}

/// One found document.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultOut {
    /// `doc_<n>`.
    document_id: String,
    source_connection_id: String,
    stream: String,
    key: String,
    title: String,
    /// HTML-escaped text around the matches, each in `<mark>…</mark>`.
    snippet: String,
    /// Relevance (higher is better; comparable within one answer only).
    score: f64,
    synced_at: DateTime<Utc>,
}

impl From<SearchResult> for ResultOut {
    fn from(r: SearchResult) -> Self {
        Self {
            document_id: r.hit.document_id.to_string(),
            source_connection_id: r.hit.connection_id.to_string(),
            stream: r.hit.stream,
            key: r.hit.key,
            title: r.hit.title,
            snippet: r.snippet,
            score: r.hit.score,
            synced_at: r.hit.synced_at,
        }
    }
}

/// Whether `total` is exact (`eq`) or a lower bound (`gte`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TotalRelationOut {
    /// `total` is the number of matches.
    Eq,
    /// At least `total` (10,000) match.
    Gte,
}

/// `{"success": true, "results": [...], "total": n, "totalRelation": "eq", "indexSeq": s}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchOut {
    success: bool,
    results: Vec<ResultOut>,
    /// Matches in all, counted exactly up to 10,000; past that 10,000 with
    /// `totalRelation` `gte` (as Elasticsearch's `track_total_hits`).
    total: u64,
    /// Whether `total` is exact.
    total_relation: TotalRelationOut,
    /// The change-log position this answer reflects: every change through
    /// it is searchable on this node.
    index_seq: u64,
}

impl From<SearchResults> for SearchOut {
    fn from(r: SearchResults) -> Self {
        Self {
            success: true,
            results: r.results.into_iter().map(Into::into).collect(),
            total: r.total,
            total_relation: match r.relation {
                TotalRelation::Equal => TotalRelationOut::Eq,
                TotalRelation::AtLeast => TotalRelationOut::Gte,
            },
            index_seq: r.index_seq,
        }
    }
}

fn url_input(collection: Option<CollectionId>, q: SearchQuery) -> ApiResult<SearchInput> {
    Ok(SearchInput {
        collection,
        query: q.q.unwrap_or_default(),
        query_field: "q",
        limit: int_param("limit", q.limit.as_deref())?,
        offset: int_param("offset", q.offset.as_deref())?,
        after: int_param("after", q.after.as_deref())?,
        ..Default::default()
    })
}

fn collection(raw: &str) -> ApiResult<CollectionId> {
    path_id(raw, CollectionId::parse, "collection")
}

/// Search one collection's synced documents (alive connections only).
#[utoipa::path(post, path = "/api/v1/collections/{id}/search", tag = "search",
    params(("id" = String, Path, description = "Collection id")),
    request_body = SearchIn,
    responses((status = 200, body = SearchOut),
              (status = 400, description = "validation_error naming the field", body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope),
              (status = 503, description = "index_behind (with Retry-After) or search_unavailable", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn search_post(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<SearchIn>,
) -> ApiResult<Json<SearchOut>> {
    let connections = body
        .source_connection_ids
        .unwrap_or_default()
        .iter()
        .map(|s| {
            ConnectionId::parse(s).ok_or_else(|| {
                ApiError::Core(CoreError::invalid(
                    "sourceConnectionIds",
                    "must be ids such as sc_1",
                ))
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let input = SearchInput {
        collection: Some(collection(&raw)?),
        query: body.query,
        query_field: "query",
        limit: body.limit,
        offset: body.offset,
        connections,
        streams: body.streams.unwrap_or_default(),
        after: body.after,
    };
    Ok(Json(state.services.search(&who, input).await?.into()))
}

/// Search one collection with the query in the URL.
#[utoipa::path(get, path = "/api/v1/collections/{id}/search", tag = "search",
    params(("id" = String, Path, description = "Collection id"), SearchQuery),
    responses((status = 200, body = SearchOut),
              (status = 400, description = "validation_error naming the field", body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope),
              (status = 503, description = "index_behind (with Retry-After) or search_unavailable", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn search_get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchOut>> {
    let input = url_input(Some(collection(&raw)?), q)?;
    Ok(Json(state.services.search(&who, input).await?.into()))
}

/// Search every collection the key may read.
#[utoipa::path(get, path = "/api/v1/search", tag = "search",
    params(SearchQuery),
    responses((status = 200, body = SearchOut),
              (status = 400, description = "validation_error naming the field", body = ErrorEnvelope),
              (status = 503, description = "index_behind (with Retry-After) or search_unavailable", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn search_all(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchOut>> {
    let input = url_input(None, q)?;
    Ok(Json(state.services.search(&who, input).await?.into()))
}
