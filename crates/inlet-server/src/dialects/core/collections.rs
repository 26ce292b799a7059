//! `/api/v1/collections`: named groups of connections.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use inlet_core::ids::CollectionId;
use inlet_core::model::collection::Collection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{Done, Pagination, page_request, path_id};
use super::error::ErrorEnvelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::state::AppState;

/// A new collection.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollectionIn {
    /// Unique in the organization.
    name: String,
    description: Option<String>,
}

/// Changes to a collection.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollectionPatchIn {
    name: Option<String>,
    description: Option<String>,
}

/// A collection.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionOut {
    /// `col_<n>`.
    id: String,
    organization_id: String,
    name: String,
    description: String,
    connection_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Collection> for CollectionOut {
    fn from(c: Collection) -> Self {
        Self {
            id: c.id.to_string(),
            organization_id: c.org_id.to_string(),
            name: c.name,
            description: c.description,
            connection_count: c.connection_count,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// `{"success": true, "collection": {...}}`
#[derive(Serialize, ToSchema)]
pub struct CollectionEnvelope {
    success: bool,
    collection: CollectionOut,
}

/// `{"success": true, "collections": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
pub struct CollectionList {
    success: bool,
    collections: Vec<CollectionOut>,
    pagination: Pagination,
}

/// Paging of the list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// Page number (default 1).
    page: Option<String>,
    /// Items per page, 1–100 (default 20).
    page_size: Option<String>,
}

/// Deletion options.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Also delete the collection's connections (default false: a non-empty collection is a 409).
    cascade: Option<bool>,
}

fn envelope(c: Collection) -> Json<CollectionEnvelope> {
    Json(CollectionEnvelope {
        success: true,
        collection: c.into(),
    })
}

fn id(raw: &str) -> Result<CollectionId, ApiError> {
    path_id(raw, CollectionId::parse, "collection")
}

/// List collections.
#[utoipa::path(get, path = "/api/v1/collections", tag = "collections", params(ListQuery),
    responses((status = 200, body = CollectionList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<CollectionList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let result = state.services.list_collections(&who, page).await?;
    Ok(Json(CollectionList {
        success: true,
        pagination: Pagination::of(&result),
        collections: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Create a collection.
#[utoipa::path(post, path = "/api/v1/collections", tag = "collections", request_body = CollectionIn,
    responses((status = 201, body = CollectionEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<CollectionIn>,
) -> ApiResult<(StatusCode, Json<CollectionEnvelope>)> {
    let c = state
        .services
        .create_collection(&who, &body.name, body.description.as_deref())
        .await?;
    Ok((StatusCode::CREATED, envelope(c)))
}

/// Get a collection.
#[utoipa::path(get, path = "/api/v1/collections/{id}", tag = "collections",
    params(("id" = String, Path, description = "Collection id (col_1)")),
    responses((status = 200, body = CollectionEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<CollectionEnvelope>> {
    Ok(envelope(
        state.services.get_collection(&who, id(&raw)?).await?,
    ))
}

/// Rename or re-describe a collection.
#[utoipa::path(patch, path = "/api/v1/collections/{id}", tag = "collections",
    params(("id" = String, Path, description = "Collection id")), request_body = CollectionPatchIn,
    responses((status = 200, body = CollectionEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<CollectionPatchIn>,
) -> ApiResult<Json<CollectionEnvelope>> {
    let c = state
        .services
        .update_collection(
            &who,
            id(&raw)?,
            body.name.as_deref(),
            body.description.as_deref(),
        )
        .await?;
    Ok(envelope(c))
}

/// Delete a collection (`?cascade=true` to delete its connections too).
#[utoipa::path(delete, path = "/api/v1/collections/{id}", tag = "collections",
    params(("id" = String, Path, description = "Collection id"), DeleteQuery),
    responses((status = 200, body = Done), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Json<Done>> {
    state
        .services
        .delete_collection(&who, id(&raw)?, q.cascade.unwrap_or(false))
        .await?;
    Ok(Json(Done::ok()))
}
