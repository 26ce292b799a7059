//! `/api/v1/api-keys`: an organization's keys. The secret is in the create
//! answer's `apiKey.key`, once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use inlet_core::auth::Scope;
use inlet_core::ids::{ApiKeyId, CollectionId, OrgId, UserId};
use inlet_core::model::api_key::ApiKey;
use inlet_core::model::wire::WireEnum;
use inlet_core::service::ApiKeyInput;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::dto::{Pagination, body_id, page_request, path_id};
use super::error::ErrorEnvelope;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::state::AppState;

/// A new key.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKeyIn {
    /// Target organization (instance administrators only; default: the caller's).
    #[schema(value_type = Option<String>)]
    organization_id: Option<Value>,
    /// Makes it a user's key; the user must be a member of the organization.
    #[schema(value_type = Option<String>)]
    user_id: Option<Value>,
    name: String,
    /// `read`, `write`, `admin`.
    scopes: Vec<String>,
    /// Restrict the key to these collections.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    collection_ids: Vec<Value>,
    expires_at: Option<DateTime<Utc>>,
}

/// A key, without its secret (except `key`, once, on creation).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyOut {
    id: String,
    organization_id: String,
    user_id: Option<String>,
    name: String,
    /// First characters of the secret.
    prefix: String,
    scopes: Vec<&'static str>,
    collection_ids: Vec<String>,
    instance_admin: bool,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    /// The secret; present only in the answer to its creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

impl From<ApiKey> for ApiKeyOut {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.to_string(),
            organization_id: k.org_id.to_string(),
            user_id: k.user_id.map(|u| u.to_string()),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.iter().map(|s| s.as_str()).collect(),
            collection_ids: k.collection_ids.iter().map(ToString::to_string).collect(),
            instance_admin: k.instance_admin,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            created_at: k.created_at,
            key: None,
        }
    }
}

/// `{"success": true, "apiKey": {...}}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyEnvelope {
    success: bool,
    api_key: ApiKeyOut,
}

/// `{"success": true, "apiKeys": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyList {
    success: bool,
    api_keys: Vec<ApiKeyOut>,
    pagination: Pagination,
}

/// Paging and, for instance administrators, the organization.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    organization_id: Option<String>,
    page: Option<String>,
    page_size: Option<String>,
}

/// List keys.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(ListQuery),
    responses((status = 200, body = ApiKeyList), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ApiKeyList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let org = q
        .organization_id
        .as_deref()
        .map(|o| path_id(o, OrgId::parse, "organization"))
        .transpose()?;
    let result = state.services.list_api_keys(&who, org, page).await?;
    Ok(Json(ApiKeyList {
        success: true,
        pagination: Pagination::of(&result),
        api_keys: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Create a key; the answer carries the secret once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = ApiKeyIn,
    responses((status = 201, body = ApiKeyEnvelope), (status = 400, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<ApiKeyIn>,
) -> ApiResult<(StatusCode, Json<ApiKeyEnvelope>)> {
    let scopes = body
        .scopes
        .iter()
        .enumerate()
        .map(|(i, s)| Scope::parse_field(s, &format!("scopes[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let collection_ids = body
        .collection_ids
        .iter()
        .enumerate()
        .map(|(i, v)| body_id(v, CollectionId::parse, &format!("collectionIds[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let input = ApiKeyInput {
        org_id: body
            .organization_id
            .as_ref()
            .map(|v| body_id(v, OrgId::parse, "organizationId"))
            .transpose()?,
        user_id: body
            .user_id
            .as_ref()
            .map(|v| body_id(v, UserId::parse, "userId"))
            .transpose()?,
        name: body.name,
        scopes,
        collection_ids,
        expires_at: body.expires_at,
    };
    let created = state.services.create_api_key(&who, input).await?;
    let mut out = ApiKeyOut::from(created.key);
    out.key = Some(created.secret.expose().to_owned());
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyEnvelope {
            success: true,
            api_key: out,
        }),
    ))
}

/// Revoke a key.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = String, Path, description = "Key id (key_1)")),
    responses((status = 200, body = ApiKeyEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<ApiKeyEnvelope>> {
    let id = path_id(&raw, ApiKeyId::parse, "api key")?;
    let key = state.services.revoke_api_key(&who, id).await?;
    Ok(Json(ApiKeyEnvelope {
        success: true,
        api_key: key.into(),
    }))
}
