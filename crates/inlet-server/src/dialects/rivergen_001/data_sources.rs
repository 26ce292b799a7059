//! `/api/v1/data-sources`: connections as 001 shows them. Translation only:
//! 001's parameters become a [`ConnectionFilter`], a connection becomes a
//! [`DataSourceOut`]; the services decide everything else.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use inlet_core::CoreError;
use inlet_core::ids::{CollectionId, ConnectionId};
use inlet_core::list::{ConnectionFilter, ConnectionSort, Page, PageRequest, SortOrder};
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::wire::WireEnum;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorEnvelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Caller, int_param};
use crate::state::AppState;

/// The list's parameters, exactly as 001 documents them.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this workspace (collection), by integer id.
    workspace_id: Option<String>,
    /// Only this source type (`postgresql`, `mysql`, `csv`, …).
    #[serde(rename = "type")]
    source_type: Option<String>,
    /// active, inactive (includes never-tested connections), testing, failed or maintenance.
    status_filter: Option<String>,
    /// Page number (default 1).
    page: Option<String>,
    /// Items per page, 1–100 (default 20).
    page_size: Option<String>,
    /// Case-insensitive substring of name or description.
    search: Option<String>,
    /// id, name, type, status, created_at (default) or updated_at.
    sort_by: Option<String>,
    /// asc or desc (default desc).
    sort_order: Option<String>,
}

/// A data source (one connection) in 001's shape. Fields that do not apply
/// to its type are null; credentials are never shown.
#[derive(Serialize, ToSchema)]
pub struct DataSourceOut {
    id: i64,
    organization_id: i64,
    workspace_id: i64,
    name: String,
    /// The catalog's short name (`postgresql`, `mysql`, `sqlite`, `csv`, `folder`, `git`).
    #[serde(rename = "type")]
    source_type: String,
    description: String,
    host: Option<String>,
    port: Option<i64>,
    database_name: Option<String>,
    schema_name: Option<String>,
    file_path: Option<String>,
    use_ssh_tunnel: bool,
    ssh_host: Option<String>,
    ssh_port: Option<i64>,
    /// active, inactive, testing, failed or maintenance.
    status: &'static str,
    last_tested_at: Option<DateTime<Utc>>,
    last_successful_connection_at: Option<DateTime<Utc>>,
    schema_discovered_at: Option<DateTime<Utc>>,
    schema_auto_refresh: bool,
    tags: Vec<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn text(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn int(m: &Map<String, Value>, key: &str) -> Option<i64> {
    m.get(key).and_then(Value::as_i64)
}

fn flag(m: &Map<String, Value>, key: &str) -> bool {
    m.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// 001 has no `pending`: a connection never tested is shown `inactive`.
fn status_out(s: ConnectionStatus) -> &'static str {
    match s {
        ConnectionStatus::Pending => ConnectionStatus::Inactive.as_str(),
        other => other.as_str(),
    }
}

/// The domain statuses a `status_filter` value selects.
fn statuses_in(raw: &str) -> Result<Vec<ConnectionStatus>, ApiError> {
    Ok(match ConnectionStatus::parse_field(raw, "status_filter")? {
        ConnectionStatus::Inactive => vec![ConnectionStatus::Inactive, ConnectionStatus::Pending],
        other => vec![other],
    })
}

impl From<Connection> for DataSourceOut {
    fn from(c: Connection) -> Self {
        let s = &c.settings;
        Self {
            id: c.id.0,
            organization_id: c.org_id.0,
            workspace_id: c.collection_id.0,
            host: text(s, "host"),
            port: int(s, "port"),
            database_name: text(s, "database"),
            schema_name: text(&c.config, "schema"),
            file_path: text(s, "path"),
            use_ssh_tunnel: flag(s, "useSshTunnel"),
            ssh_host: text(s, "sshHost"),
            ssh_port: int(s, "sshPort"),
            status: status_out(c.status),
            schema_auto_refresh: flag(&c.config, "schemaAutoRefresh"),
            name: c.name,
            source_type: c.source_type,
            description: c.description,
            last_tested_at: c.last_tested_at,
            last_successful_connection_at: c.last_successful_connection_at,
            schema_discovered_at: c.schema_discovered_at,
            tags: c.tags,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// 001's pagination block.
#[derive(Serialize, ToSchema)]
pub struct Pagination {
    page: u32,
    page_size: u32,
    total_items: u64,
    total_pages: u64,
    has_next: bool,
    has_previous: bool,
}

impl Pagination {
    fn of<T>(p: &Page<T>) -> Self {
        Self {
            page: p.request.page,
            page_size: p.request.page_size,
            total_items: p.total,
            total_pages: p.total_pages(),
            has_next: p.has_next(),
            has_previous: p.has_previous(),
        }
    }
}

/// `{"items": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
pub struct ListData {
    items: Vec<DataSourceOut>,
    pagination: Pagination,
}

/// `{"success": true, "data": {...}, "message": "Data sources retrieved successfully"}`
#[derive(Serialize, ToSchema)]
pub struct ListEnvelope {
    success: bool,
    data: ListData,
    message: &'static str,
}

/// `{"success": true, "data": {...}, "message": …}`
#[derive(Serialize, ToSchema)]
pub struct DataSourceEnvelope {
    success: bool,
    data: DataSourceOut,
    message: &'static str,
}

fn filter(q: &ListQuery) -> Result<ConnectionFilter, ApiError> {
    let collection_id = q
        .workspace_id
        .as_deref()
        .map(|w| {
            CollectionId::parse(w)
                .ok_or_else(|| CoreError::invalid("workspace_id", "must be an integer"))
        })
        .transpose()?;
    Ok(ConnectionFilter {
        collection_id,
        source_type: q.source_type.clone(),
        statuses: q
            .status_filter
            .as_deref()
            .map(statuses_in)
            .transpose()?
            .unwrap_or_default(),
        search: q.search.clone(),
        sort: q
            .sort_by
            .as_deref()
            .map(|s| ConnectionSort::parse_field(s, "sort_by"))
            .transpose()?
            .unwrap_or_default(),
        order: q
            .sort_order
            .as_deref()
            .map(|s| SortOrder::parse_field(s, "sort_order"))
            .transpose()?
            .unwrap_or_default(),
        ..ConnectionFilter::default()
    })
}

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
    let id = ConnectionId::parse(&raw).ok_or(CoreError::NotFound("data source"))?;
    let conn = state.services.get_connection(&who, id).await?;
    Ok(Json(DataSourceEnvelope {
        success: true,
        data: conn.into(),
        message: "Data source retrieved successfully",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_is_shown_and_filtered_as_inactive() {
        assert_eq!(status_out(ConnectionStatus::Pending), "inactive");
        assert_eq!(status_out(ConnectionStatus::Maintenance), "maintenance");
        assert_eq!(
            statuses_in("inactive").unwrap(),
            vec![ConnectionStatus::Inactive, ConnectionStatus::Pending]
        );
        assert_eq!(
            statuses_in("failed").unwrap(),
            vec![ConnectionStatus::Failed]
        );
        assert!(statuses_in("broken").is_err());
    }
}
