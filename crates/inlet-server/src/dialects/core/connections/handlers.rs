//! The handlers of `/api/v1/source-connections`: parse with the request
//! types of the parent module, call the services, render.

use super::*;

/// List source connections.
#[utoipa::path(get, path = "/api/v1/source-connections", tag = "source-connections", params(ListQuery),
    responses((status = 200, body = ConnectionList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ConnectionList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let result = state
        .services
        .list_connections(&who, filter(&q)?, page)
        .await?;
    Ok(Json(ConnectionList {
        success: true,
        pagination: Pagination::of(&result),
        source_connections: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Create a source connection (status `pending`; with `?test=true`, tested first).
#[utoipa::path(post, path = "/api/v1/source-connections", tag = "source-connections",
    request_body = ConnectionIn, params(CreateQuery),
    responses((status = 201, body = ConnectionEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<CreateQuery>,
    ApiJson(body): ApiJson<ConnectionIn>,
) -> ApiResult<(StatusCode, Json<ConnectionEnvelope>)> {
    let input = ConnectionInput {
        collection_id: body_id(&body.collection_id, CollectionId::parse, "collectionId")?,
        source_type: body.source_short_name,
        name: body.name,
        description: body.description,
        credentials: body.credentials,
        config: body.config,
        tags: body.tags,
    };
    let c = state
        .services
        .create_connection(&who, input, q.test.unwrap_or(false))
        .await?;
    Ok((StatusCode::CREATED, envelope(c)))
}

/// Get a source connection.
#[utoipa::path(get, path = "/api/v1/source-connections/{id}", tag = "source-connections",
    params(("id" = String, Path, description = "Source connection id (sc_1)")),
    responses((status = 200, body = ConnectionEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<ConnectionEnvelope>> {
    Ok(envelope(
        state.services.get_connection(&who, id(&raw)?).await?,
    ))
}

/// Change name, description, tags or status.
#[utoipa::path(patch, path = "/api/v1/source-connections/{id}", tag = "source-connections",
    params(("id" = String, Path, description = "Source connection id")), request_body = ConnectionPatchIn,
    responses((status = 200, body = ConnectionEnvelope), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ConnectionPatchIn>,
) -> ApiResult<Json<ConnectionEnvelope>> {
    let c = state
        .services
        .update_connection(
            &who,
            id(&raw)?,
            body.name.as_deref(),
            body.description.as_deref(),
            body.tags.as_deref(),
            body.status.as_deref(),
        )
        .await?;
    Ok(envelope(c))
}

/// Options of a credentials replacement.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CredentialsQuery {
    /// Test the connection with the new credentials first; nothing changes
    /// when the test fails, and a passing test leaves it `active`.
    test: Option<bool>,
    /// Cancel a queued or running sync first (waiting up to 10 s for it to
    /// stop) instead of answering 409 `sync_in_progress`.
    cancel: Option<bool>,
}

/// Replace credentials.
#[utoipa::path(put, path = "/api/v1/source-connections/{id}/credentials", tag = "source-connections",
    params(("id" = String, Path, description = "Source connection id"), CredentialsQuery),
    request_body = CredentialsIn,
    responses((status = 200, body = ConnectionEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 409, description = "sync_in_progress (without `cancel=true`)", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn put_credentials(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<CredentialsQuery>,
    ApiJson(body): ApiJson<CredentialsIn>,
) -> ApiResult<Json<ConnectionEnvelope>> {
    let credentials = unwrapped(body.body, "credentials");
    let c = state
        .services
        .update_credentials(
            &who,
            id(&raw)?,
            credentials,
            CredentialsOptions {
                test_first: q.test.unwrap_or(false),
                cancel_sync: q.cancel.unwrap_or(false),
            },
        )
        .await?;
    Ok(envelope(c))
}

/// Replace configuration. Accepted while a sync runs: that sync keeps the
/// configuration it started with, and `configAppliesFrom` says `nextSync`.
#[utoipa::path(put, path = "/api/v1/source-connections/{id}/config", tag = "source-connections",
    params(("id" = String, Path, description = "Source connection id")), request_body = ConfigIn,
    responses((status = 200, body = ConfigChanged), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn put_config(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ConfigIn>,
) -> ApiResult<Json<ConfigChanged>> {
    let (c, applies) = state
        .services
        .update_config(&who, id(&raw)?, unwrapped(body.body, "config"))
        .await?;
    Ok(Json(ConfigChanged {
        success: true,
        source_connection: c.into(),
        config_applies_from: applies.into(),
    }))
}

/// Options of a delete.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteQuery {
    /// Cancel a queued or running sync first instead of answering 409 `sync_in_progress`.
    force: Option<bool>,
    /// Indexed data cannot outlive its connection: `true` is refused (switch
    /// the connection to `inactive` to stop syncing and keep its data).
    keep_data: Option<bool>,
}

/// Delete a source connection with its indexed data, jobs and sync state.
#[utoipa::path(delete, path = "/api/v1/source-connections/{id}", tag = "source-connections",
    params(("id" = String, Path, description = "Source connection id"), DeleteQuery),
    responses((status = 200, body = Done), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope),
              (status = 409, description = "sync_in_progress", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Json<Done>> {
    state
        .services
        .delete_connection(
            &who,
            id(&raw)?,
            q.force.unwrap_or(false),
            q.keep_data.unwrap_or(false),
        )
        .await?;
    Ok(Json(Done::ok()))
}

/// Test that credentials are valid and the source is reachable.
#[utoipa::path(post, path = "/api/v1/source-connections/{id}/test", tag = "source-connections",
    params(("id" = String, Path, description = "Source connection id")),
    responses((status = 200, body = TestResult),
              (status = 400, description = "invalid_credentials, connection_refused, dns_failure, host_unreachable, tls_failure, database_not_found, timeout, file_not_found, network_not_allowed, path_not_allowed, transport_not_allowed", body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn test(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<TestResult>> {
    state.services.test_connection(&who, id(&raw)?).await?;
    Ok(Json(TestResult {
        success: true,
        status: "connected",
        message: "Connection successful",
    }))
}

/// The last discovered schema.
#[utoipa::path(get, path = "/api/v1/source-connections/{id}/schema", tag = "source-connections",
    params(("id" = String, Path, description = "Source connection id")),
    responses((status = 200, body = SchemaEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_schema(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<SchemaEnvelope>> {
    let s = state.services.get_schema(&who, id(&raw)?).await?;
    Ok(Json(SchemaEnvelope {
        success: true,
        schema: s.schema,
        discovered_at: s.discovered_at,
    }))
}

/// Discover the schema again now.
#[utoipa::path(post, path = "/api/v1/source-connections/{id}/schema/refresh", tag = "source-connections",
    params(("id" = String, Path, description = "Source connection id")),
    responses((status = 200, body = SchemaEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn refresh_schema(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<SchemaEnvelope>> {
    let s = state.services.refresh_schema(&who, id(&raw)?).await?;
    Ok(Json(SchemaEnvelope {
        success: true,
        schema: s.schema,
        discovered_at: s.discovered_at,
    }))
}
