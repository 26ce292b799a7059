//! `GET /api/v1/sources` and `GET /api/v1/sources/{shortName}`: the catalog, as 003 documents it.

use axum::Json;
use axum::extract::{Path, State};
use inlet_core::CoreError;
use inlet_core::auth::Scope;
use inlet_core::model::catalog::{FieldSpec, SourceType};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ErrorEnvelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::AppState;

/// A source type in the list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceOut {
    id: &'static str,
    name: &'static str,
    short_name: &'static str,
    description: &'static str,
    auth_methods: &'static [&'static str],
    labels: &'static [&'static str],
    supports_continuous: bool,
}

/// A field of a source type.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldOut {
    name: &'static str,
    /// `string`, `number`, `integer`, `boolean`, `password` or `array`.
    #[serde(rename = "type")]
    kind: &'static str,
    required: bool,
    /// Secret values are encrypted at rest and never returned.
    secret: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    options: &'static [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    minimum: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maximum: Option<i64>,
}

/// A source type with its fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceDetailOut {
    #[serde(flatten)]
    summary: SourceOut,
    auth_fields: Vec<FieldOut>,
    config_fields: Vec<FieldOut>,
}

/// `{"success": true, "sources": [...]}`
#[derive(Serialize, ToSchema)]
pub struct SourceList {
    success: bool,
    sources: Vec<SourceOut>,
}

/// `{"success": true, "source": {...}}`
#[derive(Serialize, ToSchema)]
pub struct SourceDetail {
    success: bool,
    source: SourceDetailOut,
}

fn summary(s: &SourceType) -> SourceOut {
    SourceOut {
        id: s.id,
        name: s.name,
        short_name: s.short_name,
        description: s.description,
        auth_methods: s.auth_methods,
        labels: s.labels,
        supports_continuous: s.supports_continuous,
    }
}

fn field(f: &FieldSpec) -> FieldOut {
    FieldOut {
        name: f.name,
        kind: f.kind.as_str(),
        required: f.required,
        secret: f.secret,
        description: f.description,
        options: f.options,
        minimum: f.range.map(|r| r.0),
        maximum: f.range.map(|r| r.1),
    }
}

/// List available source types.
#[utoipa::path(get, path = "/api/v1/sources", tag = "sources",
    responses((status = 200, body = SourceList), (status = 401, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_sources(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<SourceList>> {
    who.require(Scope::Read)?;
    let sources = state.services.catalog().specs().map(summary).collect();
    Ok(Json(SourceList {
        success: true,
        sources,
    }))
}

/// Details of one source type, including its authentication fields.
#[utoipa::path(get, path = "/api/v1/sources/{shortName}", tag = "sources",
    params(("shortName" = String, Path, description = "Source short name, e.g. postgresql")),
    responses((status = 200, body = SourceDetail), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_source(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(short_name): Path<String>,
) -> ApiResult<Json<SourceDetail>> {
    who.require(Scope::Read)?;
    let spec = state
        .services
        .catalog()
        .get(&short_name)
        .map(|c| c.spec())
        .ok_or(ApiError::Core(CoreError::NotFound("source")))?;
    Ok(Json(SourceDetail {
        success: true,
        source: SourceDetailOut {
            summary: summary(spec),
            auth_fields: spec.auth_fields.iter().map(field).collect(),
            config_fields: spec.config_fields.iter().map(field).collect(),
        },
    }))
}
