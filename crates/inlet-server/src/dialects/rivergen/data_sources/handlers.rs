//! The handlers of 001's `/api/v1/data-sources`: parse with the wire
//! types of the parent module, call the services, render.

use super::*;

/// List data sources: filtered, searched, sorted and paginated, in the
/// caller's organization (and the key's collections).
#[utoipa::path(get, path = "/api/v1/data-sources", tag = "rivergen-001", params(ListQuery),
    responses((status = 200, body = ListEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListEnvelope>> {
    let page = PageRequest::parse(
        int_param("page", q.page.as_deref())?,
        int_param("page_size", q.page_size.as_deref())?,
        "page",
        "page_size",
    )?;
    let result = state
        .services
        .list_connections(&who, filter(&q)?, page)
        .await?;
    Ok(Json(ListEnvelope {
        success: true,
        data: ListData {
            pagination: Pagination::of(&result),
            items: result.items.into_iter().map(Into::into).collect(),
        },
        message: "Data sources retrieved successfully",
    }))
}

/// Get one data source.
#[utoipa::path(get, path = "/api/v1/data-sources/{id}", tag = "rivergen-001",
    params(("id" = i64, Path, description = "Data source id")),
    responses((status = 200, body = DataSourceEnvelope), (status = 404, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<DataSourceEnvelope>> {
    let conn = state
        .services
        .get_connection(&who, data_source_id(&raw)?)
        .await?;
    Ok(Json(DataSourceEnvelope {
        success: true,
        data: conn.into(),
        message: "Data source retrieved successfully",
    }))
}

/// Create a data source (status `inactive` in 001's terms until tested).
#[utoipa::path(post, path = "/api/v1/data-sources", tag = "rivergen-001", request_body = DataSourceIn,
    responses((status = 201, body = DataSourceEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<DataSourceIn>,
) -> ApiResult<(StatusCode, Json<DataSourceEnvelope>)> {
    let (credentials, config) = body.fields();
    let required = |v: Option<String>, field: &str| {
        v.ok_or_else(|| ApiError::Core(CoreError::invalid(field, "is required")))
    };
    let workspace = body
        .workspace_id
        .as_ref()
        .ok_or_else(|| CoreError::invalid("workspace_id", "is required"))?;
    let input = ConnectionInput {
        collection_id: body_id(workspace, CollectionId::parse, "workspace_id")?,
        source_type: required(body.source_type, "type")?,
        name: required(body.name, "name")?,
        description: body.description,
        credentials,
        config,
        tags: body.tags.unwrap_or_default(),
    };
    let conn = state
        .services
        .create_connection(&who, input, false)
        .await
        .map_err(in_001_terms)?;
    Ok((
        StatusCode::CREATED,
        Json(DataSourceEnvelope {
            success: true,
            data: conn.into(),
            message: "Data source created successfully",
        }),
    ))
}

async fn edit(
    state: &AppState,
    who: &inlet_core::auth::Principal,
    raw: &str,
    body: DataSourceIn,
) -> ApiResult<Json<DataSourceEnvelope>> {
    let id = data_source_id(raw)?;
    let current = state.services.get_connection(who, id).await?;
    if body
        .source_type
        .as_deref()
        .is_some_and(|t| t != current.source_type)
    {
        return Err(
            CoreError::invalid("type", "cannot be changed; create a new data source").into(),
        );
    }
    if let Some(w) = &body.workspace_id
        && body_id(w, CollectionId::parse, "workspace_id")? != current.collection_id
    {
        return Err(CoreError::invalid("workspace_id", "cannot be changed").into());
    }
    let (credentials, config) = body.fields();
    let edit = ConnectionEdit {
        name: body.name,
        description: body.description,
        tags: body.tags,
        credentials,
        config,
    };
    let conn = state
        .services
        .edit_connection(who, id, edit, false)
        .await
        .map_err(in_001_terms)?;
    Ok(Json(DataSourceEnvelope {
        success: true,
        data: conn.into(),
        message: "Data source updated successfully",
    }))
}

/// Update a data source: the fields sent are set, the others kept (the
/// same for `PUT` and `PATCH`); `type` and `workspace_id` cannot change.
#[utoipa::path(put, path = "/api/v1/data-sources/{id}", tag = "rivergen-001", request_body = DataSourceIn,
    params(("id" = i64, Path, description = "Data source id")),
    responses((status = 200, body = DataSourceEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn put(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<DataSourceIn>,
) -> ApiResult<Json<DataSourceEnvelope>> {
    edit(&state, &who, &raw, body).await
}

/// Update some fields of a data source.
#[utoipa::path(patch, path = "/api/v1/data-sources/{id}", tag = "rivergen-001", request_body = DataSourceIn,
    params(("id" = i64, Path, description = "Data source id")),
    responses((status = 200, body = DataSourceEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<DataSourceIn>,
) -> ApiResult<Json<DataSourceEnvelope>> {
    edit(&state, &who, &raw, body).await
}

/// `{"success": true, "data": null, "message": "Data source deleted successfully"}`
#[derive(Serialize, ToSchema)]
#[schema(as = Rivergen001DeletedEnvelope)]
pub struct DeletedEnvelope {
    success: bool,
    #[schema(value_type = Option<Object>)]
    data: Option<()>,
    message: &'static str,
}

/// Delete a data source with its indexed data (409 while a sync runs).
#[utoipa::path(delete, path = "/api/v1/data-sources/{id}", tag = "rivergen-001",
    params(("id" = i64, Path, description = "Data source id")),
    responses((status = 200, body = DeletedEnvelope), (status = 404, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<DeletedEnvelope>> {
    let id = data_source_id(&raw)?;
    state
        .services
        .delete_connection(&who, id, false, false)
        .await?;
    Ok(Json(DeletedEnvelope {
        success: true,
        data: None,
        message: "Data source deleted successfully",
    }))
}

/// Test a data source: `active` when it connects; otherwise 400
/// `CONNECTION_FAILED` with the source's reason, and the data source `failed`.
#[utoipa::path(post, path = "/api/v1/data-sources/{id}/test", tag = "rivergen-001",
    params(("id" = i64, Path, description = "Data source id")),
    responses((status = 200, body = DataSourceEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn test(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<DataSourceEnvelope>> {
    let conn = state
        .services
        .test_connection(&who, data_source_id(&raw)?)
        .await?;
    Ok(Json(DataSourceEnvelope {
        success: true,
        data: conn.into(),
        message: "Connection test successful",
    }))
}

fn data_source_id(raw: &str) -> Result<ConnectionId, ApiError> {
    ConnectionId::parse(raw).ok_or(ApiError::Core(CoreError::NotFound("data source")))
}
