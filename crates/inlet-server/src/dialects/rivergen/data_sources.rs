//! `/api/v1/data-sources`: connections as 001 shows them. Translation only:
//! 001's parameters become a [`ConnectionFilter`], its flat bodies become
//! credential and config fields ([`FIELDS`]), a connection becomes a
//! [`DataSourceOut`]; the services decide everything else.

pub(super) mod handlers;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use inlet_core::CoreError;
use inlet_core::ids::{CollectionId, ConnectionId};
use inlet_core::list::{ConnectionFilter, ConnectionSort, Page, PageRequest, SortOrder};
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::wire::WireEnum;
use inlet_core::service::{ConnectionEdit, ConnectionInput};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorEnvelope;
use crate::dialects::core::dto::body_id;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Caller, int_param};
use crate::state::AppState;

/// Where a connection field of 001 lives in the domain.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Home {
    Credentials,
    Config,
}

impl Home {
    fn prefix(self) -> &'static str {
        match self {
            Home::Credentials => "credentials",
            Home::Config => "config",
        }
    }
}

/// 001's flat connection fields and the catalog fields they are (which a
/// source type may or may not have: the catalog validates).
const FIELDS: &[(&str, Home, &str)] = &[
    ("host", Home::Credentials, "host"),
    ("port", Home::Credentials, "port"),
    ("database_name", Home::Credentials, "database"),
    ("username", Home::Credentials, "username"),
    ("password", Home::Credentials, "password"),
    ("file_path", Home::Credentials, "path"),
    ("use_ssh_tunnel", Home::Credentials, "useSshTunnel"),
    ("ssh_host", Home::Credentials, "sshHost"),
    ("ssh_port", Home::Credentials, "sshPort"),
    ("schema_name", Home::Config, "schema"),
    ("schema_auto_refresh", Home::Config, "schemaAutoRefresh"),
];

/// A validation error in 001's names (`database_name`, not
/// `credentials.database`).
fn in_001_terms(e: CoreError) -> CoreError {
    match e {
        CoreError::Invalid { field, message } => {
            let renamed = match field.as_str() {
                "sourceShortName" => Some("type"),
                "collectionId" => Some("workspace_id"),
                f => FIELDS
                    .iter()
                    .find(|(_, home, name)| {
                        f.strip_prefix(home.prefix())
                            .and_then(|rest| rest.strip_prefix('.'))
                            == Some(name)
                    })
                    .map(|(ours, ..)| *ours),
            };
            CoreError::Invalid {
                field: renamed.map_or(field, str::to_owned),
                message,
            }
        }
        other => other,
    }
}

/// A data source to create, or changes to one (`PUT`, `PATCH`), in 001's
/// snake_case. Connection fields are passed to the catalog's validation
/// as sent, so a wrong type is reported under its 001 name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Rivergen001DataSourceIn)]
pub struct DataSourceIn {
    name: Option<String>,
    /// Catalog short name (`postgresql`, `mysql`, `sqlite`, `csv`, `folder`, `git`); fixed once created.
    #[serde(rename = "type")]
    source_type: Option<String>,
    description: Option<String>,
    /// The workspace (collection) id; fixed once created.
    #[schema(value_type = Option<i64>)]
    workspace_id: Option<Value>,
    #[schema(value_type = Option<String>)]
    host: Option<Value>,
    #[schema(value_type = Option<i64>)]
    port: Option<Value>,
    #[schema(value_type = Option<String>)]
    database_name: Option<Value>,
    #[schema(value_type = Option<String>)]
    schema_name: Option<Value>,
    #[schema(value_type = Option<String>)]
    file_path: Option<Value>,
    #[schema(value_type = Option<bool>)]
    use_ssh_tunnel: Option<Value>,
    #[schema(value_type = Option<String>)]
    ssh_host: Option<Value>,
    #[schema(value_type = Option<i64>)]
    ssh_port: Option<Value>,
    #[schema(value_type = Option<String>)]
    username: Option<Value>,
    /// Write-only: stored encrypted, never shown.
    #[schema(value_type = Option<String>)]
    password: Option<Value>,
    tags: Option<Vec<String>>,
    #[schema(value_type = Option<bool>)]
    schema_auto_refresh: Option<Value>,
}

impl DataSourceIn {
    /// The value sent for one of [`FIELDS`], by its 001 name.
    fn sent(&self, ours: &str) -> Option<&Value> {
        match ours {
            "host" => self.host.as_ref(),
            "port" => self.port.as_ref(),
            "database_name" => self.database_name.as_ref(),
            "username" => self.username.as_ref(),
            "password" => self.password.as_ref(),
            "file_path" => self.file_path.as_ref(),
            "use_ssh_tunnel" => self.use_ssh_tunnel.as_ref(),
            "ssh_host" => self.ssh_host.as_ref(),
            "ssh_port" => self.ssh_port.as_ref(),
            "schema_name" => self.schema_name.as_ref(),
            "schema_auto_refresh" => self.schema_auto_refresh.as_ref(),
            _ => None,
        }
    }

    /// The connection fields sent, split into credentials and config.
    fn fields(&self) -> (Map<String, Value>, Map<String, Value>) {
        let (mut credentials, mut config) = (Map::new(), Map::new());
        for (ours, home, name) in FIELDS {
            if let Some(v) = self.sent(ours) {
                let target = match home {
                    Home::Credentials => &mut credentials,
                    Home::Config => &mut config,
                };
                target.insert((*name).to_owned(), v.clone());
            }
        }
        (credentials, config)
    }
}

/// The stored value of one of [`FIELDS`], by its 001 name.
fn stored<'a>(c: &'a Connection, ours: &str) -> Option<&'a Value> {
    let (_, home, name) = FIELDS.iter().find(|(f, ..)| *f == ours)?;
    match home {
        Home::Credentials => c.settings.get(*name),
        Home::Config => c.config.get(*name),
    }
}

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
#[schema(as = Rivergen001DataSourceOut)]
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

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

fn int(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

fn flag(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool).unwrap_or(false)
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
        let f = |ours| stored(&c, ours);
        Self {
            id: c.id.0,
            organization_id: c.org_id.0,
            workspace_id: c.collection_id.0,
            host: text(f("host")),
            port: int(f("port")),
            database_name: text(f("database_name")),
            schema_name: text(f("schema_name")),
            file_path: text(f("file_path")),
            use_ssh_tunnel: flag(f("use_ssh_tunnel")),
            ssh_host: text(f("ssh_host")),
            ssh_port: int(f("ssh_port")),
            status: status_out(c.status),
            schema_auto_refresh: flag(f("schema_auto_refresh")),
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
#[schema(as = Rivergen001Pagination)]
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
#[schema(as = Rivergen001ListData)]
pub struct ListData {
    items: Vec<DataSourceOut>,
    pagination: Pagination,
}

/// `{"success": true, "data": {...}, "message": "Data sources retrieved successfully"}`
#[derive(Serialize, ToSchema)]
#[schema(as = Rivergen001ListEnvelope)]
pub struct ListEnvelope {
    success: bool,
    data: ListData,
    message: &'static str,
}

/// `{"success": true, "data": {...}, "message": …}`
#[derive(Serialize, ToSchema)]
#[schema(as = Rivergen001DataSourceEnvelope)]
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
        contains: q.search.clone(),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_field_of_the_table_is_read_from_the_body() {
        let body: Value = FIELDS
            .iter()
            .map(|(f, ..)| ((*f).to_owned(), json!(f)))
            .collect();
        let parsed: DataSourceIn = serde_json::from_value(body).unwrap();
        let (credentials, config) = parsed.fields();
        assert_eq!(credentials.len() + config.len(), FIELDS.len());
        assert_eq!(credentials["database"], "database_name");
        assert_eq!(config["schema"], "schema_name");
    }

    #[test]
    fn validation_errors_use_001s_names() {
        let renamed = |f: &str| match in_001_terms(CoreError::invalid(f, "bad")) {
            CoreError::Invalid { field, .. } => field,
            other => panic!("{other}"),
        };
        assert_eq!(renamed("credentials.database"), "database_name");
        assert_eq!(renamed("credentials.path"), "file_path");
        assert_eq!(renamed("config.schema"), "schema_name");
        assert_eq!(renamed("sourceShortName"), "type");
        assert_eq!(renamed("credentials.sslmode"), "credentials.sslmode");
    }

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
