//! `/api/v1/organizations`: tenants and their outbound policies (instance
//! administrators manage them).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use inlet_core::ids::OrgId;
use inlet_core::model::organization::Organization;
use inlet_core::policy::OrgPolicy;
use inlet_core::service::OrgPolicyInput;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{Pagination, page_request, path_id};
use super::error::ErrorEnvelope;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::state::AppState;

/// A new organization.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationIn {
    name: String,
}

/// An organization.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationOut {
    id: String,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<Organization> for OrganizationOut {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id.to_string(),
            name: o.name,
            created_at: o.created_at,
        }
    }
}

/// `{"success": true, "organization": {...}}`
#[derive(Serialize, ToSchema)]
pub struct OrganizationEnvelope {
    success: bool,
    organization: OrganizationOut,
}

/// `{"success": true, "organizations": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
pub struct OrganizationList {
    success: bool,
    organizations: Vec<OrganizationOut>,
    pagination: Pagination,
}

/// Paging.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    page: Option<String>,
    page_size: Option<String>,
}

/// List organizations (instance administrators).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(ListQuery),
    responses((status = 200, body = OrganizationList), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<OrganizationList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let result = state.services.list_orgs(&who, page).await?;
    Ok(Json(OrganizationList {
        success: true,
        pagination: Pagination::of(&result),
        organizations: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Create an organization (instance administrators).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = OrganizationIn,
    responses((status = 201, body = OrganizationEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<OrganizationIn>,
) -> ApiResult<(StatusCode, Json<OrganizationEnvelope>)> {
    let org = state.services.create_org(&who, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(OrganizationEnvelope {
            success: true,
            organization: org.into(),
        }),
    ))
}

/// Get an organization (one's own, or any for instance administrators).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = String, Path, description = "Organization id (org_1)")),
    responses((status = 200, body = OrganizationEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<OrganizationEnvelope>> {
    let id = path_id(&raw, OrgId::parse, "organization")?;
    let org = state.services.get_org(&who, id).await?;
    Ok(Json(OrganizationEnvelope {
        success: true,
        organization: org.into(),
    }))
}

/// What an organization's connectors may reach, within the instance's own
/// policy (which always applies first).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutboundPolicyBody {
    /// When non-empty, only these networks (CIDR or address) are reachable.
    #[serde(default)]
    allowed_networks: Vec<String>,
    /// Networks (CIDR or address) that are never reachable.
    #[serde(default)]
    denied_networks: Vec<String>,
    /// Refuse loopback and the address Inlet listens on.
    deny_local: bool,
    /// Directories the organization's file sources may read, each inside an
    /// instance root; `null` means every instance root, `[]` (or leaving it
    /// out) none, so an edit of the networks alone never widens file access.
    #[serde(default = "no_file_roots")]
    file_roots: Option<Vec<String>>,
}

/// A policy sent without `fileRoots` grants none.
fn no_file_roots() -> Option<Vec<String>> {
    Some(Vec::new())
}

impl From<OrgPolicy> for OutboundPolicyBody {
    fn from(p: OrgPolicy) -> Self {
        Self {
            allowed_networks: p.allowed_networks.iter().map(ToString::to_string).collect(),
            denied_networks: p.denied_networks.iter().map(ToString::to_string).collect(),
            deny_local: p.deny_local,
            file_roots: p
                .file_roots
                .map(|roots| roots.iter().map(|r| r.display().to_string()).collect()),
        }
    }
}

/// `{"success": true, "outboundPolicy": {...}}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboundPolicyEnvelope {
    success: bool,
    outbound_policy: OutboundPolicyBody,
}

/// An organization's outbound policy (instance administrators).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/outbound-policy", tag = "organizations",
    params(("id" = String, Path, description = "Organization id (org_1)")),
    responses((status = 200, body = OutboundPolicyEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_policy(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<OutboundPolicyEnvelope>> {
    let id = path_id(&raw, OrgId::parse, "organization")?;
    let policy = state.services.org_policy(&who, id).await?;
    Ok(Json(OutboundPolicyEnvelope {
        success: true,
        outbound_policy: policy.into(),
    }))
}

/// Replace an organization's outbound policy (instance administrators).
#[utoipa::path(put, path = "/api/v1/organizations/{id}/outbound-policy", tag = "organizations",
    params(("id" = String, Path, description = "Organization id (org_1)")),
    request_body = OutboundPolicyBody,
    responses((status = 200, body = OutboundPolicyEnvelope), (status = 400, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn set_policy(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<OutboundPolicyBody>,
) -> ApiResult<Json<OutboundPolicyEnvelope>> {
    let id = path_id(&raw, OrgId::parse, "organization")?;
    let input = OrgPolicyInput {
        allowed_networks: body.allowed_networks,
        denied_networks: body.denied_networks,
        deny_local: body.deny_local,
        file_roots: body.file_roots,
    };
    let policy = state.services.set_org_policy(&who, id, input).await?;
    Ok(Json(OutboundPolicyEnvelope {
        success: true,
        outbound_policy: policy.into(),
    }))
}
