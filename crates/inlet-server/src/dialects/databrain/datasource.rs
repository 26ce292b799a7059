//! `/api/v2/datasource`: connections as 002 knows them — by name, with
//! `datasourceType` and a flat `credentials` object. Translation only; the
//! services test, discover, enforce unique names and wait for syncs.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use inlet_core::CoreError;
use inlet_core::auth::Principal;
use inlet_core::ids::ConnectionId;
use inlet_core::list::{ConnectionFilter, ConnectionSort, PageRequest, SortOrder};
use inlet_core::model::connection::Connection;
use inlet_core::service::{ConnectionEdit, ConnectionInput};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorEnvelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Caller, int_param};
use crate::state::AppState;

/// Datasources a page holds when `isPagination` is "true".
const PAGE_SIZE: u32 = 10;
/// How long `POST …/sync` waits for the sync to end.
const SYNC_WAIT: Duration = Duration::from_secs(15 * 60);

/// 002's `datasourceType` names and the catalog's short names they are.
const TYPES: &[(&str, &str)] = &[
    ("postgres", "postgresql"),
    ("postgresql", "postgresql"),
    ("mysql", "mysql"),
    ("mariadb", "mysql"),
];

/// The catalog type of a `datasourceType`, or 400 naming the supported ones.
fn catalog_type(datasource_type: &str) -> Result<&'static str, CoreError> {
    TYPES
        .iter()
        .find(|(ours, _)| *ours == datasource_type)
        .map(|(_, catalog)| *catalog)
        .ok_or_else(|| {
            CoreError::invalid(
                "datasourceType",
                "is not supported; supported types: postgres, mysql (mariadb)",
            )
        })
}

/// A validation error in 002's names (`credentials.schema`, not `config.schema`).
fn in_002_terms(e: CoreError) -> CoreError {
    match e {
        CoreError::Invalid { field, message } => {
            let field = match field.as_str() {
                "sourceShortName" => "datasourceType".to_owned(),
                "name" => "credentials.name".to_owned(),
                f => f
                    .strip_prefix("config.")
                    .map_or(field.clone(), |rest| format!("credentials.{rest}")),
            };
            CoreError::Invalid { field, message }
        }
        other => other,
    }
}

/// `?isPagination=&pageNumber=`, strings as 002 sends them.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// "true": 10 datasources a page; "false" (the default): all of them.
    is_pagination: Option<String>,
    /// Page number, a numeric string from "1" (with `isPagination` "true").
    page_number: Option<String>,
}

/// A datasource: its name only (credentials are never returned).
#[derive(Serialize, ToSchema)]
#[schema(as = Databrain002NameOut)]
pub struct NameOut {
    name: String,
}

/// `{"data": [{"name": …}]}`
#[derive(Serialize, ToSchema)]
#[schema(as = Databrain002ListOut)]
pub struct ListOut {
    data: Vec<NameOut>,
}

/// A datasource to create or update.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = Databrain002DatasourceIn)]
pub struct DatasourceIn {
    /// `postgres` or `mysql` (`postgresql`, `mariadb` accepted too).
    datasource_type: String,
    /// `name` (required; how 002 addresses the datasource), `host`, `port`,
    /// `username`, `password`, `database`, `schema`, and any other field of
    /// the source type in the catalog.
    #[schema(value_type = Object)]
    credentials: Map<String, Value>,
}

/// A datasource body taken apart.
struct Parts {
    name: String,
    credentials: Map<String, Value>,
    config: Map<String, Value>,
}

impl DatasourceIn {
    /// The name, and the remaining fields split into credentials and config
    /// (`schema`, and any other config field of the type, goes to config).
    fn split(mut self, state: &AppState, source: &str) -> Result<Parts, ApiError> {
        let name = match self.credentials.remove("name") {
            Some(Value::String(n)) => n,
            Some(_) => {
                return Err(CoreError::invalid("credentials.name", "must be a string").into());
            }
            None => return Err(CoreError::invalid("credentials.name", "is required").into()),
        };
        let spec = state.services.source_type("datasourceType", source)?;
        let mut config = Map::new();
        for field in &spec.config_fields {
            if let Some(v) = self.credentials.remove(field.name) {
                config.insert(field.name.to_owned(), v);
            }
        }
        Ok(Parts {
            name,
            credentials: self.credentials,
            config,
        })
    }
}

/// `{"name": …}`
#[derive(Serialize, ToSchema)]
#[schema(as = Databrain002CreatedOut)]
pub struct CreatedOut {
    name: String,
}

/// `{"id": …, "message": "Datasource deleted successfully"}`
#[derive(Serialize, ToSchema)]
#[schema(as = Databrain002DeletedOut)]
pub struct DeletedOut {
    /// The deleted connection's id (`sc_N`).
    id: String,
    message: &'static str,
}

/// `?datasourceName=`
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteQuery {
    /// The datasource's name.
    datasource_name: Option<String>,
}

/// `{"input": {"datasourceId": …}}`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Databrain002SyncIn)]
pub struct SyncIn {
    input: SyncInput,
}

/// Which datasource to sync.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = Databrain002SyncInput)]
pub struct SyncInput {
    /// Its name, or its id (`sc_12` or `12`).
    datasource_id: String,
}

/// `{"message": "Sync completed"}`
#[derive(Serialize, ToSchema)]
#[schema(as = Databrain002SyncMessage)]
pub struct SyncMessage {
    message: &'static str,
}

/// `{"data": {"message": "Sync completed"}}`
#[derive(Serialize, ToSchema)]
#[schema(as = Databrain002SyncOut)]
pub struct SyncOut {
    data: SyncMessage,
}

/// List the organization's datasources, names only.
#[utoipa::path(get, path = "/api/v2/datasource", tag = "databrain-002", params(ListQuery),
    responses((status = 200, body = ListOut), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListOut>> {
    let paginate = match q.is_pagination.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(CoreError::invalid("isPagination", "must be \"true\" or \"false\"").into());
        }
    };
    let filter = ConnectionFilter {
        sort: ConnectionSort::Name,
        order: SortOrder::Asc,
        ..ConnectionFilter::default()
    };
    let page = PageRequest::parse(
        int_param("pageNumber", q.page_number.as_deref())?,
        Some(i64::from(PAGE_SIZE)),
        "pageNumber",
        "pageSize",
    )?;
    let connections: Vec<Connection> = if paginate {
        state
            .services
            .list_connections(&who, filter, page)
            .await?
            .items
    } else {
        state.services.list_all_connections(&who, filter).await?
    };
    Ok(Json(ListOut {
        data: connections
            .into_iter()
            .map(|c| NameOut { name: c.name })
            .collect(),
    }))
}

/// Create a datasource: tested, then its schema discovered, before the
/// answer; a failing test creates nothing.
#[utoipa::path(post, path = "/api/v2/datasource", tag = "databrain-002", request_body = DatasourceIn,
    responses((status = 200, body = CreatedOut),
              (status = 400, description = "INVALID_REQUEST_BODY, DATASOURCE_NAME_ERROR, CREDENTIAL_TEST_FAILED", body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope),
              (status = 500, description = "SCHEMA_CACHE_FAILED", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<DatasourceIn>,
) -> ApiResult<Json<CreatedOut>> {
    let source = catalog_type(&body.datasource_type)?;
    let parts = body.split(&state, source)?;
    let input = ConnectionInput {
        collection_id: state.services.default_collection(&who).await?,
        source_type: source.to_owned(),
        name: parts.name,
        description: None,
        credentials: parts.credentials,
        config: parts.config,
        tags: Vec::new(),
    };
    let conn = state
        .services
        .create_verified_connection(&who, input)
        .await
        .map_err(in_002_terms)?;
    Ok(Json(CreatedOut { name: conn.name }))
}

/// Update a datasource named by `credentials.name`: the fields sent are
/// laid over the others and tested before anything is stored (a failing
/// test changes nothing), then its schema is discovered again.
#[utoipa::path(put, path = "/api/v2/datasource", tag = "databrain-002", request_body = DatasourceIn,
    responses((status = 200, body = CreatedOut),
              (status = 400, description = "INVALID_REQUEST_BODY, CREDENTIAL_TEST_FAILED", body = ErrorEnvelope),
              (status = 404, description = "DATASOURCE_NOT_FOUND", body = ErrorEnvelope),
              (status = 500, description = "SCHEMA_CACHE_FAILED", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<DatasourceIn>,
) -> ApiResult<Json<CreatedOut>> {
    let source = catalog_type(&body.datasource_type)?;
    let parts = body.split(&state, source)?;
    let conn = state.services.connection_named(&who, &parts.name).await?;
    if conn.source_type != source {
        return Err(CoreError::invalid(
            "datasourceType",
            format!("cannot change; the datasource is {}", conn.source_type),
        )
        .into());
    }
    let edit = ConnectionEdit {
        credentials: parts.credentials,
        config: parts.config,
        ..ConnectionEdit::default()
    };
    state
        .services
        .edit_connection(&who, conn.id, edit, true)
        .await
        .map_err(in_002_terms)?;
    let conn = state.services.rediscover_connection(&who, conn.id).await?;
    Ok(Json(CreatedOut { name: conn.name }))
}

/// Delete a datasource by name, with its indexed data.
#[utoipa::path(delete, path = "/api/v2/datasource", tag = "databrain-002", params(DeleteQuery),
    responses((status = 200, body = DeletedOut), (status = 400, body = ErrorEnvelope),
              (status = 404, description = "DATASOURCE_NOT_FOUND", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Json<DeletedOut>> {
    let name = q
        .datasource_name
        .ok_or_else(|| CoreError::invalid("datasourceName", "is required"))?;
    let conn = state.services.connection_named(&who, &name).await?;
    state
        .services
        .delete_connection(&who, conn.id, false, false)
        .await?;
    Ok(Json(DeletedOut {
        id: conn.id.to_string(),
        message: "Datasource deleted successfully",
    }))
}

/// The datasource a sync names: by name first, then by id.
async fn sync_target(state: &AppState, who: &Principal, raw: &str) -> ApiResult<ConnectionId> {
    match state.services.connection_named(who, raw).await {
        Ok(conn) => Ok(conn.id),
        Err(CoreError::NotFound(what)) => match ConnectionId::parse(raw) {
            Some(id) => Ok(state.services.get_connection(who, id).await?.id),
            None => Err(CoreError::NotFound(what).into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// Sync a datasource and answer once the sync has completed (an error if
/// it failed; a sync already running is joined).
#[utoipa::path(post, path = "/api/v2/datasource/sync", tag = "databrain-002", request_body = SyncIn,
    responses((status = 200, body = SyncOut), (status = 400, body = ErrorEnvelope),
              (status = 404, description = "DATASOURCE_NOT_FOUND", body = ErrorEnvelope),
              (status = 500, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn sync(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<SyncIn>,
) -> ApiResult<Json<SyncOut>> {
    let id = sync_target(&state, &who, &body.input.datasource_id).await?;
    state.services.sync_and_wait(&who, id, SYNC_WAIT).await?;
    Ok(Json(SyncOut {
        data: SyncMessage {
            message: "Sync completed",
        },
    }))
}
