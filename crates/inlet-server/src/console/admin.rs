//! The organization's pages: collections, API keys (a new key is shown
//! once), and the audit log.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use inlet_core::auth::Scope;
use inlet_core::ids::ApiKeyId;
use inlet_core::list::PageRequest;
use inlet_core::model::audit::{AuditAction, AuditFilter};
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{Timestamp, now, relative_time};
use inlet_core::service::ApiKeyInput;
use maud::{Markup, html};

use super::layout::{Section, page};
use super::session::{Session, SessionForm, failure};
use crate::error::ApiError;
use crate::state::AppState;

/// A page of 50 from `?page=`.
fn paging(q: &BTreeMap<String, String>) -> PageRequest {
    let page = q
        .get("page")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    PageRequest {
        page,
        page_size: 50,
    }
}

fn ago(at: Timestamp, t: Timestamp) -> Markup {
    html! { time datetime=(at.to_rfc3339()) title=(at.to_rfc3339()) { (relative_time(at, t)) } }
}

/// The collections the caller can reach (the first 100: forms list them
/// in a select).
pub(super) async fn collections_of(
    state: &AppState,
    who: &inlet_core::auth::Principal,
) -> Result<Vec<inlet_core::model::collection::Collection>, ApiError> {
    let page = PageRequest {
        page: 1,
        page_size: 100,
    };
    Ok(state.services.list_collections(who, page).await?.items)
}

/// `GET /collections`
pub async fn collections(State(state): State<AppState>, session: Session) -> Response {
    let list = match collections_of(&state, &session.who).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let t = now();
    let csrf = session.csrf();
    let body = html! {
        h1 { "Collections" }
        @if list.is_empty() {
            div.empty { p { strong { "No collections yet." } } p { "Connections live in collections: create the first below." } }
        } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Connections" } th scope="col" { "Description" } th scope="col" { "Created" } } }
                tbody { @for c in &list { tr {
                    td { a href={"/connections?collectionId=" (c.id)} { (c.name.as_str()) } }
                    td { (c.connection_count) }
                    td { (c.description) }
                    td { (ago(c.created_at, t)) }
                } } }
            } }
        }
        h2 { "New collection" }
        form.stack.form method="post" action="/collections" {
            input type="hidden" name="csrf" value=(csrf);
            div { label for="name" { "Name" } input #name type="text" name="name" required; }
            div { label for="description" { "Description " span.hint { "(optional)" } } input #description type="text" name="description"; }
            button type="submit" { "Create collection" }
        }
    };
    page("Collections", Section::Collections, &csrf, body).into_response()
}

/// `POST /collections`
pub async fn create_collection(
    State(state): State<AppState>,
    SessionForm {
        session,
        values: form,
    }: SessionForm,
) -> Response {
    let name = form.get("name").map_or("", String::as_str);
    let description = form
        .get("description")
        .map(String::as_str)
        .filter(|d| !d.is_empty());
    match state
        .services
        .create_collection(&session.who, name, description)
        .await
    {
        Ok(_) => Redirect::to("/collections").into_response(),
        Err(e) => failure(e),
    }
}

/// `GET /keys`
pub async fn keys(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    keys_page(&state, &session, &q, None).await
}

async fn keys_page(
    state: &AppState,
    session: &Session,
    q: &BTreeMap<String, String>,
    created: Option<(String, String)>,
) -> Response {
    let list = match state
        .services
        .list_api_keys(&session.who, None, paging(q))
        .await
    {
        Ok(p) => p.items,
        Err(e) => return failure(e),
    };
    let t = now();
    let csrf = session.csrf();
    let body = html! {
        h1 { "API keys" }
        @if let Some((name, secret)) = &created {
            div.notice role="status" {
                p { strong { "Key “" (name) "” created." } " Copy it now: it is shown this once and cannot be read again." }
                label for="new-key" { "The new key" }
                input #new-key type="text" readonly value=(secret);
            }
        }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Starts with" } th scope="col" { "Scopes" } th scope="col" { "Created" } th scope="col" { "State" } } }
            tbody { @for k in &list { tr {
                td { (k.name) }
                td { code { (k.prefix) "…" } }
                td { (k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) }
                td { (ago(k.created_at, t)) }
                td {
                    @if let Some(at) = k.revoked_at { span.badge.failed { "revoked" } " " (ago(at, t)) }
                    @else {
                        form.inline method="post" action={"/keys/" (k.id) "/revoke"} {
                            input type="hidden" name="csrf" value=(csrf);
                            button.quiet type="submit" aria-label={"Revoke " (k.name)} { "Revoke" }
                        }
                    }
                }
            } } }
        } }
        h2 { "New key" }
        form.stack.form method="post" action="/keys" {
            input type="hidden" name="csrf" value=(csrf);
            div { label for="key-name" { "Name" } input #key-name type="text" name="name" required; }
            fieldset {
                legend { "Scopes" }
                @for s in Scope::ALL {
                    div.check {
                        input id={"scope-" (s.as_str())} type="checkbox" name={"scope." (s.as_str())} checked[*s == Scope::Read];
                        label for={"scope-" (s.as_str())} { (s.as_str()) }
                    }
                }
            }
            button type="submit" { "Create key" }
        }
    };
    page("API keys", Section::Keys, &csrf, body).into_response()
}

/// `POST /keys`: creates a key and shows its secret, once.
pub async fn create_key(
    State(state): State<AppState>,
    SessionForm {
        session,
        values: form,
    }: SessionForm,
) -> Response {
    let scopes: Vec<Scope> = Scope::ALL
        .iter()
        .copied()
        .filter(|s| form.contains_key(&format!("scope.{}", s.as_str())))
        .collect();
    let input = ApiKeyInput {
        org_id: None,
        user_id: None,
        name: form.get("name").cloned().unwrap_or_default(),
        scopes,
        collection_ids: Vec::new(),
        expires_at: None,
    };
    match state.services.create_api_key(&session.who, input).await {
        Ok(created) => {
            let shown = (created.key.name.clone(), created.secret.expose().to_owned());
            let mut resp = keys_page(&state, &session, &BTreeMap::new(), Some(shown)).await;
            *resp.status_mut() = StatusCode::CREATED;
            resp
        }
        Err(e) => failure(e),
    }
}

/// `POST /keys/{id}/revoke`
pub async fn revoke_key(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    SessionForm { session, .. }: SessionForm,
) -> Response {
    let Some(id) = ApiKeyId::parse(&raw) else {
        return failure(inlet_core::CoreError::NotFound("api key"));
    };
    match state.services.revoke_api_key(&session.who, id).await {
        Ok(_) => Redirect::to("/keys").into_response(),
        Err(e) => failure(e),
    }
}

/// `GET /audit`: the organization's audit log, newest first, by action or object.
pub async fn audit(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let value = |k: &str| q.get(k).cloned().unwrap_or_default();
    let action = match q.get("action").filter(|a| !a.is_empty()) {
        Some(a) => match AuditAction::parse_field(a, "action") {
            Ok(a) => vec![a],
            Err(e) => return failure(e),
        },
        None => Vec::new(),
    };
    let filter = AuditFilter {
        actions: action,
        object_id: q.get("objectId").cloned().filter(|o| !o.is_empty()),
        ..AuditFilter::default()
    };
    let at = paging(&q);
    let events = match state
        .services
        .list_audit_events(&session.who, None, filter, at)
        .await
    {
        Ok(p) => p,
        Err(e) => return failure(e),
    };
    let t = now();
    let body = html! {
        h1 { "Audit log" }
        form.filters method="get" action="/audit" role="search" {
            div {
                label for="action" { "Action" }
                select #action name="action" {
                    option value="" { "any" }
                    @for a in AuditAction::ALL {
                        option value=(a.as_str()) selected[value("action") == a.as_str()] { (a.as_str()) }
                    }
                }
            }
            div { label for="objectId" { "Object" } input #objectId type="text" name="objectId" value=(value("objectId")) placeholder="sc_3"; }
            button type="submit" { "Apply" }
        }
        @if events.items.is_empty() {
            div.empty { p { "No events match." } }
        } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Action" } th scope="col" { "Object" } th scope="col" { "By" } th scope="col" { "What changed" } th scope="col" { "From" } } }
                tbody { @for e in &events.items { tr {
                    td { (ago(e.at, t)) }
                    td { code { (e.action) } }
                    td { (e.object_id.as_deref().unwrap_or("—")) }
                    td { (e.actor.key_name) @if let Some(u) = e.actor.user_id { " (" (u) ")" } }
                    td { code { (serde_json::Value::Object(e.summary.clone())) } }
                    td { (e.origin.client_addr.as_deref().unwrap_or("—")) }
                } } }
            } }
            p.hint { (events.total) " events" }
        }
    };
    page("Audit log", Section::Audit, &session.csrf(), body).into_response()
}
