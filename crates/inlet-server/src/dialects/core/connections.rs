//! `/api/v1/source-connections`: configured sources. Secret credential
//! fields are write-only: answers list which are set, never their values.

pub(super) mod handlers;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use inlet_core::CoreError;
use inlet_core::ids::{CollectionId, ConnectionId};
use inlet_core::list::{ConnectionFilter, ConnectionSort, SortOrder};
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::wire::WireEnum;
use inlet_core::service::{ConfigApplies, ConnectionInput, CredentialsOptions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::dto::{Done, Pagination, body_id, page_request, path_id};
use super::error::ErrorEnvelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::state::AppState;

/// A new source connection (003's create request).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectionIn {
    /// Collection id (`col_1` or 1).
    #[schema(value_type = String)]
    collection_id: Value,
    /// Catalog short name (`postgresql`, `mysql`, `sqlite`, `csv`, `git`, `folder`).
    source_short_name: String,
    name: String,
    description: Option<String>,
    /// The source type's auth fields; secret ones are encrypted and never returned.
    #[serde(default)]
    #[schema(value_type = Object)]
    credentials: Map<String, Value>,
    /// The source type's config fields.
    #[serde(default)]
    #[schema(value_type = Object)]
    config: Map<String, Value>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Changes to a connection.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectionPatchIn {
    name: Option<String>,
    description: Option<String>,
    tags: Option<Vec<String>>,
    /// `inactive` or `maintenance` switch tests and syncs off; `pending` switches them back on.
    status: Option<String>,
}

/// New credentials, as `{"credentials": {...}}` or as the bare object of
/// fields (003 shows no body). Secret fields left out keep their stored value.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
pub struct CredentialsIn {
    #[schema(value_type = Object)]
    body: Map<String, Value>,
}

/// New configuration, as `{"config": {...}}` or as the bare object of fields.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
pub struct ConfigIn {
    #[schema(value_type = Object)]
    body: Map<String, Value>,
}

/// The fields of a `PUT` body: the object under `wrapper` when that is the
/// body's only key and holds an object, otherwise the body itself.
fn unwrapped(mut body: Map<String, Value>, wrapper: &str) -> Map<String, Value> {
    if body.len() == 1
        && let Some(Value::Object(_)) = body.get(wrapper)
        && let Some(Value::Object(inner)) = body.remove(wrapper)
    {
        return inner;
    }
    body
}

/// A source connection.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionOut {
    /// `sc_<n>`.
    id: String,
    organization_id: String,
    collection_id: String,
    source_short_name: String,
    name: String,
    description: String,
    /// `pending`, `testing`, `active`, `failed`, `inactive` or `maintenance`.
    status: &'static str,
    /// Non-secret credential fields.
    #[schema(value_type = Object)]
    credentials: Map<String, Value>,
    /// Names of the secret credential fields that hold a value.
    secret_fields_set: Vec<String>,
    #[schema(value_type = Object)]
    config: Map<String, Value>,
    tags: Vec<String>,
    last_tested_at: Option<DateTime<Utc>>,
    last_successful_connection_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    schema_discovered_at: Option<DateTime<Utc>>,
    /// End of the last sync that completed.
    last_synced_at: Option<DateTime<Utc>>,
    /// Status of the newest sync: `queued`, `running`, `completed`, `failed`, `cancelled`; null before the first.
    last_sync_status: Option<&'static str>,
    /// Documents indexed from this connection.
    document_count: u64,
    /// Active, and its last finished sync completed: its documents are searched.
    alive: bool,
    /// When config `schedule` (or `continuous`) next queues a sync; null without one.
    next_sync_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Connection> for ConnectionOut {
    fn from(c: Connection) -> Self {
        let alive = c.alive();
        Self {
            id: c.id.to_string(),
            organization_id: c.org_id.to_string(),
            collection_id: c.collection_id.to_string(),
            source_short_name: c.source_type,
            name: c.name,
            description: c.description,
            status: c.status.as_str(),
            credentials: c.settings,
            secret_fields_set: c.secret_fields,
            config: c.config,
            tags: c.tags,
            last_tested_at: c.last_tested_at,
            last_successful_connection_at: c.last_successful_connection_at,
            last_error: c.last_error,
            schema_discovered_at: c.schema_discovered_at,
            last_synced_at: c.last_synced_at,
            last_sync_status: c.last_sync_status.map(WireEnum::as_str),
            document_count: c.document_count,
            alive,
            next_sync_at: c.next_sync_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// `{"success": true, "sourceConnection": {...}}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionEnvelope {
    success: bool,
    source_connection: ConnectionOut,
}

/// `{"success": true, "sourceConnection": {...}, "configAppliesFrom": "now"}`:
/// the answer to a configuration change.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigChanged {
    success: bool,
    source_connection: ConnectionOut,
    /// `now`, or `nextSync` while a sync runs: it keeps the configuration
    /// it started with.
    config_applies_from: ConfigAppliesOut,
}

/// When a configuration change takes effect.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ConfigAppliesOut {
    /// No sync was running.
    Now,
    /// From the next sync; the running one keeps its configuration.
    NextSync,
}

impl From<ConfigApplies> for ConfigAppliesOut {
    fn from(a: ConfigApplies) -> Self {
        match a {
            ConfigApplies::Now => Self::Now,
            ConfigApplies::NextSync => Self::NextSync,
        }
    }
}

/// `{"success": true, "sourceConnections": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionList {
    success: bool,
    source_connections: Vec<ConnectionOut>,
    pagination: Pagination,
}

/// Options of a create.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CreateQuery {
    /// Test the connection first; nothing is created when the test fails.
    test: Option<bool>,
}

/// 003's answer to a passing test.
#[derive(Serialize, ToSchema)]
pub struct TestResult {
    /// Always true.
    success: bool,
    /// `connected`.
    status: &'static str,
    /// `Connection successful`.
    message: &'static str,
}

/// `{"success": true, "schema": {...}, "discoveredAt": ...}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaEnvelope {
    success: bool,
    /// Schemas → tables and views → columns (databases), files with inferred
    /// columns (CSV), or a summary by extension (folder, git).
    #[schema(value_type = Object)]
    schema: inlet_core::model::schema::DiscoveredSchema,
    discovered_at: DateTime<Utc>,
}

/// Filters, search, sort and paging (001's set, in camelCase).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// Only this collection.
    collection_id: Option<String>,
    /// Only this source type.
    #[serde(rename = "type")]
    source_type: Option<String>,
    /// Only this status.
    status: Option<String>,
    /// Only connections with this tag.
    tag: Option<String>,
    /// `true`: only alive connections (active, last sync completed); `false`: only the others.
    alive: Option<String>,
    /// Case-insensitive substring of name or description.
    search: Option<String>,
    /// id, name, type, status, createdAt (default) or updatedAt (snake_case accepted too).
    sort_by: Option<String>,
    /// asc or desc (default desc).
    sort_order: Option<String>,
    /// Page number (default 1).
    page: Option<String>,
    /// Items per page, 1–100 (default 20).
    page_size: Option<String>,
}

fn envelope(c: Connection) -> Json<ConnectionEnvelope> {
    Json(ConnectionEnvelope {
        success: true,
        source_connection: c.into(),
    })
}

fn id(raw: &str) -> Result<ConnectionId, ApiError> {
    path_id(raw, ConnectionId::parse, "source connection")
}

/// The list's filters and page from query parameters as an HTML form
/// sends them (empty ones dropped): the console's connection list takes
/// exactly the API's parameters, checked the same way.
pub(crate) fn list_request(
    params: &std::collections::BTreeMap<String, String>,
) -> Result<(ConnectionFilter, inlet_core::list::PageRequest), ApiError> {
    let given: Map<String, Value> = params
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let q: ListQuery = serde_json::from_value(Value::Object(given))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok((
        filter(&q)?,
        page_request(q.page.as_deref(), q.page_size.as_deref())?,
    ))
}

fn filter(q: &ListQuery) -> Result<ConnectionFilter, ApiError> {
    let collection_id = q
        .collection_id
        .as_deref()
        .map(|c| {
            CollectionId::parse(c).ok_or_else(|| {
                ApiError::Core(CoreError::invalid(
                    "collectionId",
                    "must be an id such as col_1",
                ))
            })
        })
        .transpose()?;
    let statuses = q
        .status
        .as_deref()
        .map(|s| ConnectionStatus::parse_field(s, "status"))
        .transpose()?
        .into_iter()
        .collect();
    Ok(ConnectionFilter {
        collection_id,
        within_collections: Vec::new(),
        source_type: q.source_type.clone(),
        name: None,
        statuses,
        tag: q.tag.clone(),
        alive: q
            .alive
            .as_deref()
            .map(|a| match a {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ApiError::Core(CoreError::invalid(
                    "alive",
                    "must be true or false",
                ))),
            })
            .transpose()?,
        contains: q.search.clone(),
        sort: q
            .sort_by
            .as_deref()
            .map(|s| ConnectionSort::parse_field(s, "sortBy"))
            .transpose()?
            .unwrap_or_default(),
        order: q
            .sort_order
            .as_deref()
            .map(|s| SortOrder::parse_field(s, "sortOrder"))
            .transpose()?
            .unwrap_or_default(),
    })
}
