//! `/api/v1/users` and memberships (instance administrators).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use inlet_core::ids::{OrgId, UserId};
use inlet_core::model::user::{Membership, Role, User};
use inlet_core::model::wire::WireEnum;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::dto::{Done, Pagination, body_id, page_request, path_id};
use super::error::ErrorEnvelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::state::AppState;

/// A new user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    email: String,
    name: String,
}

/// A user.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserOut {
    id: String,
    email: String,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email,
            name: u.name,
            created_at: u.created_at,
        }
    }
}

/// `{"success": true, "user": {...}}`
#[derive(Serialize, ToSchema)]
pub struct UserEnvelope {
    success: bool,
    user: UserOut,
}

/// `{"success": true, "users": [...], "pagination": {...}}`
#[derive(Serialize, ToSchema)]
pub struct UserList {
    success: bool,
    users: Vec<UserOut>,
    pagination: Pagination,
}

/// Adds a user to an organization or changes the role.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembershipIn {
    #[schema(value_type = String)]
    organization_id: Value,
    /// owner, admin, member or viewer.
    role: String,
}

/// A membership.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipOut {
    organization_id: String,
    user_id: String,
    role: &'static str,
    created_at: DateTime<Utc>,
}

impl From<Membership> for MembershipOut {
    fn from(m: Membership) -> Self {
        Self {
            organization_id: m.org_id.to_string(),
            user_id: m.user_id.to_string(),
            role: m.role.as_str(),
            created_at: m.created_at,
        }
    }
}

/// `{"success": true, "membership": {...}}`
#[derive(Serialize, ToSchema)]
pub struct MembershipEnvelope {
    success: bool,
    membership: MembershipOut,
}

/// `{"success": true, "memberships": [...]}`
#[derive(Serialize, ToSchema)]
pub struct MembershipList {
    success: bool,
    memberships: Vec<MembershipOut>,
}

/// Paging.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    page: Option<String>,
    page_size: Option<String>,
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    path_id(raw, UserId::parse, "user")
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, body = UserList), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<UserList>> {
    let page = page_request(q.page.as_deref(), q.page_size.as_deref())?;
    let result = state.services.list_users(&who, page).await?;
    Ok(Json(UserList {
        success: true,
        pagination: Pagination::of(&result),
        users: result.items.into_iter().map(Into::into).collect(),
    }))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = UserEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<UserIn>,
) -> ApiResult<(StatusCode, Json<UserEnvelope>)> {
    let user = state
        .services
        .create_user(&who, &body.email, &body.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserEnvelope {
            success: true,
            user: user.into(),
        }),
    ))
}

/// Get a user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "User id (usr_1)")),
    responses((status = 200, body = UserEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<UserEnvelope>> {
    let user = state.services.get_user(&who, user_id(&raw)?).await?;
    Ok(Json(UserEnvelope {
        success: true,
        user: user.into(),
    }))
}

/// A user's memberships.
#[utoipa::path(get, path = "/api/v1/users/{id}/memberships", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = MembershipList), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_memberships(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> ApiResult<Json<MembershipList>> {
    let ms = state
        .services
        .list_memberships(&who, user_id(&raw)?)
        .await?;
    Ok(Json(MembershipList {
        success: true,
        memberships: ms.into_iter().map(Into::into).collect(),
    }))
}

/// Add the user to an organization, or change the role.
#[utoipa::path(post, path = "/api/v1/users/{id}/memberships", tag = "users",
    params(("id" = String, Path, description = "User id")), request_body = MembershipIn,
    responses((status = 200, body = MembershipEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn put_membership(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<MembershipIn>,
) -> ApiResult<Json<MembershipEnvelope>> {
    let org = body_id(&body.organization_id, OrgId::parse, "organizationId")?;
    let role = Role::parse_field(&body.role, "role")?;
    let m = state
        .services
        .set_membership(&who, user_id(&raw)?, org, role)
        .await?;
    Ok(Json(MembershipEnvelope {
        success: true,
        membership: m.into(),
    }))
}

/// Remove the user from an organization.
#[utoipa::path(delete, path = "/api/v1/users/{id}/memberships/{orgId}", tag = "users",
    params(("id" = String, Path, description = "User id"), ("orgId" = String, Path, description = "Organization id")),
    responses((status = 200, body = Done), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete_membership(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((raw, org)): Path<(String, String)>,
) -> ApiResult<Json<Done>> {
    let org = path_id(&org, OrgId::parse, "membership")?;
    state
        .services
        .remove_membership(&who, user_id(&raw)?, org)
        .await?;
    Ok(Json(Done::ok()))
}
