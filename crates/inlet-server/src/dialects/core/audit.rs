//! `/api/v1/audit-events`: who changed what, when (organization
//! administrators; instance administrators for any organization). Events
//! are read-only: no route changes or deletes them.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use inlet_core::CoreError;
use inlet_core::ids::{ApiKeyId, OrgId, UserId};
use inlet_core::model::audit::{AuditAction, AuditEvent, AuditFilter};
use inlet_core::model::wire::WireEnum;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::dto::{Pagination, body_id, page_request};
use super::error::ErrorEnvelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;

/// Who acted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActorOut {
    /// The key (`key_3`); null for the operator at the command line.
    api_key_id: Option<String>,
    /// The key's name when it acted.
    api_key_name: String,
    /// The key's user, for user keys.
    user_id: Option<String>,
}

/// One event.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventOut {
    /// `evt_<n>`, increasing.
    id: String,
    organization_id: String,
    /// When the change was committed.
    at: DateTime<Utc>,
    actor: ActorOut,
    /// `connection.created`, `connection.credentials_replaced`, `api_key.revoked`, …
    action: String,
    /// `connection`, `collection`, `api_key`, `job`, `organization`, `user`, `membership`,
    /// `instance`.
    object_type: String,
    /// The object's id (`sc_3`).
    object_id: Option<String>,
    /// What changed: field names and non-secret values; never a secret.
    #[schema(value_type = Object)]
    summary: Map<String, Value>,
    /// The request's `x-request-id`.
    request_id: Option<String>,
    /// The client's address.
    client_address: Option<String>,
}

impl From<AuditEvent> for AuditEventOut {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: format!("evt_{}", e.id),
            organization_id: e.org_id.to_string(),
            at: e.at,
            actor: ActorOut {
                api_key_id: e.actor.key_id.map(|k| k.to_string()),
                api_key_name: e.actor.key_name,
                user_id: e.actor.user_id.map(|u| u.to_string()),
            },
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            summary: e.summary,
            request_id: e.origin.request_id,
            client_address: e.origin.client_addr,
        }
    }
}

/// `{"success": true, "auditEvents": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventList {
    success: bool,
    audit_events: Vec<AuditEventOut>,
    pagination: Pagination,
}

/// Filters (all must hold) and paging.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// Another organization's events (instance administrators).
    organization_id: Option<String>,
    /// Comma-separated actions (`connection.created,connection.deleted`).
    action: Option<String>,
    /// Only objects of this type (`connection`).
    object_type: Option<String>,
    /// Only this object (`sc_3`).
    object_id: Option<String>,
    /// Only this key's actions (`key_2`).
    actor_api_key_id: Option<String>,
    /// Only this user's actions (`user_4`).
    actor_user_id: Option<String>,
    /// At or after this time (RFC 3339).
    since: Option<String>,
    /// Before this time (RFC 3339).
    until: Option<String>,
    page: Option<String>,
    page_size: Option<String>,
}

/// The audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", params(ListQuery),
    responses((status = 200, body = AuditEventList), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<AuditEventList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let org = q
        .organization_id
        .map(|s| body_id(&Value::String(s), OrgId::parse, "organizationId"))
        .transpose()?;
    let filter = AuditFilter {
        actions: q
            .action
            .as_deref()
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| AuditAction::parse_field(a, "action"))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default(),
        object_type: q.object_type.filter(|t| !t.is_empty()),
        object_id: q.object_id.filter(|t| !t.is_empty()),
        actor_key_id: q
            .actor_api_key_id
            .map(|s| body_id(&Value::String(s), ApiKeyId::parse, "actorApiKeyId"))
            .transpose()?,
        actor_user_id: q
            .actor_user_id
            .map(|s| body_id(&Value::String(s), UserId::parse, "actorUserId"))
            .transpose()?,
        since: time("since", q.since.as_deref())?,
        until: time("until", q.until.as_deref())?,
    };
    let result = state
        .services
        .list_audit_events(&who, org, filter, page)
        .await?;
    Ok(Json(AuditEventList {
        success: true,
        pagination: Pagination::of(&result),
        audit_events: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// An RFC 3339 time parameter, naming `field` when it is not one.
fn time(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|s| {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::Core(CoreError::invalid(
                    field,
                    "must be an RFC 3339 time such as 2026-11-27T09:00:00Z",
                ))
            })
    })
    .transpose()
}
