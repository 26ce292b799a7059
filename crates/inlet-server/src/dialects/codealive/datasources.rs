//! `GET /api/datasources/all` and `/alive`: git connections as
//! repositories, collections as workspaces. Translation only; which
//! connections and collections are alive is the services' answer.

use axum::Json;
use axum::extract::State;
use inlet_core::CoreError;
use inlet_core::list::{ConnectionFilter, ConnectionSort, SortOrder};
use inlet_core::model::connection::Connection;
use inlet_core::service::CollectionConnections;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorEnvelope;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;

/// The catalog's short name of the sources 000 calls repositories.
const REPOSITORY_SOURCE: &str = "git";

/// `?type=`: `Repository` or `Workspace`; both without it.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TypeQuery {
    /// `Repository` or `Workspace`.
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// A repository or a workspace. Fields that do not apply to the type are
/// left out, as in the document's example.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Codealive000DataSourceOut)]
pub struct DataSourceOut {
    /// `sc_N` for a repository, `col_N` for a workspace.
    id: String,
    name: String,
    /// `Repository` or `Workspace`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// Repository URL (repositories only).
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// Branch (repositories only; the remote's default when none was set).
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
    /// The workspace's repositories (workspaces only).
    #[serde(skip_serializing_if = "Option::is_none")]
    repository_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn repository(c: &Connection) -> DataSourceOut {
    let text = |k: &str| {
        c.settings
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    DataSourceOut {
        id: c.id.to_string(),
        name: c.name.clone(),
        kind: "Repository",
        url: text("url"),
        branch: text("branch"),
        repository_ids: None,
        description: non_empty(c.description.clone()),
    }
}

fn workspace(w: &CollectionConnections) -> DataSourceOut {
    DataSourceOut {
        id: w.collection.id.to_string(),
        name: w.collection.name.clone(),
        kind: "Workspace",
        url: None,
        branch: None,
        repository_ids: Some(w.connections.iter().map(|c| c.id.to_string()).collect()),
        description: non_empty(w.collection.description.clone()),
    }
}

/// Which of the two kinds a `type` asks for.
fn kinds(q: &TypeQuery) -> Result<(bool, bool), CoreError> {
    match q.kind.as_deref() {
        None => Ok((true, true)),
        Some("Repository") => Ok((true, false)),
        Some("Workspace") => Ok((false, true)),
        Some(_) => Err(CoreError::invalid(
            "type",
            "must be one of Repository, Workspace",
        )),
    }
}

async fn data_sources(
    state: &AppState,
    who: &inlet_core::auth::Principal,
    q: &TypeQuery,
    alive: bool,
) -> ApiResult<Json<Vec<DataSourceOut>>> {
    let (repositories, workspaces) = kinds(q)?;
    let filter = ConnectionFilter {
        source_type: Some(REPOSITORY_SOURCE.to_owned()),
        alive: alive.then_some(true),
        sort: ConnectionSort::Id,
        order: SortOrder::Asc,
        ..ConnectionFilter::default()
    };
    let grouped = state
        .services
        .collections_with_connections(who, filter)
        .await?;
    let mut out = Vec::new();
    if repositories {
        out.extend(
            grouped
                .iter()
                .flat_map(|w| w.connections.iter().map(repository)),
        );
    }
    if workspaces {
        out.extend(grouped.iter().map(workspace));
    }
    Ok(Json(out))
}

/// All repositories and workspaces, whatever their state.
#[utoipa::path(get, path = "/api/datasources/all", tag = "codealive-000", params(TypeQuery),
    responses((status = 200, body = Vec<DataSourceOut>), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn all(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<TypeQuery>,
) -> ApiResult<Json<Vec<DataSourceOut>>> {
    data_sources(&state, &who, &q, false).await
}

/// Alive repositories (active, last sync completed) and the workspaces
/// holding at least one; `repositoryIds` lists the alive ones.
#[utoipa::path(get, path = "/api/datasources/alive", tag = "codealive-000", params(TypeQuery),
    responses((status = 200, body = Vec<DataSourceOut>), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn alive(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<TypeQuery>,
) -> ApiResult<Json<Vec<DataSourceOut>>> {
    data_sources(&state, &who, &q, true).await
}
