//! The organization's pages: collections, API keys (a new key is shown
//! once), and the audit log.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, TimeDelta};
use inlet_core::CoreError;
use inlet_core::auth::Scope;
use inlet_core::ids::{ApiKeyId, CollectionId};
use inlet_core::list::PageRequest;
use inlet_core::model::api_key::ApiKey;
use inlet_core::model::audit::{AuditAction, AuditEvent, AuditFilter};
use inlet_core::model::collection::Collection;
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{Timestamp, now};
use inlet_core::service::ApiKeyInput;
use maud::{Markup, html};

use super::layout::{Section, page, pager, when};
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
            div.empty {
                p { strong { "No collections yet." } }
                @if session.can(Scope::Write) { p { "Connections live in collections: create the first below." } }
                @else { p { "Connections live in collections; a key with the write scope creates them." } }
            }
        } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Connections" } th scope="col" { "Description" } th scope="col" { "Created" } } }
                tbody { @for c in &list { tr {
                    td { a href={"/connections?collectionId=" (c.id)} { (c.name.as_str()) } }
                    td { (c.connection_count) }
                    td { (c.description) }
                    td { (when(Some(c.created_at), t)) }
                } } }
            } }
        }
        @if session.can(Scope::Write) {
            h2 { "New collection" }
            form.stack.form method="post" action="/collections" {
                input type="hidden" name="csrf" value=(csrf);
                div { label for="name" { "Name" } input #name type="text" name="name" required; }
                div { label for="description" { "Description " span.hint { "(optional)" } } input #description type="text" name="description"; }
                button type="submit" { "Create collection" }
            }
        }
    };
    page("Collections", Section::Collections, &session, body).into_response()
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

/// The keys page: a key just created (its name and secret, shown once), a
/// page of the organization's keys with their revoke buttons, and the form
/// that creates one.
async fn keys_page(
    state: &AppState,
    session: &Session,
    q: &BTreeMap<String, String>,
    created: Option<(String, String)>,
) -> Response {
    let (list, collections) = match tokio::try_join!(
        async {
            Ok::<_, ApiError>(
                state
                    .services
                    .list_api_keys(&session.who, None, paging(q))
                    .await?,
            )
        },
        collections_of(state, &session.who),
    ) {
        Ok(read) => read,
        Err(e) => return failure(e),
    };
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
        (keys_table(&list.items, &collections, session, &csrf))
        (pager("/keys", q, list.request, list.total_pages()))
        h2 { "New key" }
        (new_key_form(&collections, &csrf))
    };
    page("API keys", Section::Keys, session, body).into_response()
}

/// A page of keys: name (marking the one signed in with), prefix, scopes,
/// collections, age, and whether revoked, expired or still revocable.
fn keys_table(
    keys: &[ApiKey],
    collections: &[Collection],
    session: &Session,
    csrf: &str,
) -> Markup {
    let t = now();
    let collection_name = |id: &CollectionId| {
        collections
            .iter()
            .find(|c| c.id == *id)
            .map_or_else(|| id.to_string(), |c| c.name.as_str().to_owned())
    };
    html! {
        div.table-wrap { table {
            thead { tr {
                th scope="col" { "Name" } th scope="col" { "Starts with" } th scope="col" { "Scopes" }
                th scope="col" { "Collections" } th scope="col" { "Created" } th scope="col" { "State" }
            } }
            tbody { @for k in keys { tr {
                td {
                    (k.name)
                    // Revoking it ends this session too.
                    @if k.id == session.who.key_id { " " span.hint { "(signed in with it)" } }
                }
                td { code { (k.prefix) "…" } }
                td { (k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) }
                td {
                    @if k.collection_ids.is_empty() { span.hint { "all" } }
                    @else { (k.collection_ids.iter().map(collection_name).collect::<Vec<_>>().join(", ")) }
                }
                td { (when(Some(k.created_at), t)) }
                td {
                    @if let Some(at) = k.revoked_at { span.badge.failed { "revoked" } " " (when(Some(at), t)) }
                    @else if let Some(at) = k.expires_at.filter(|at| *at <= t) { span.badge.inactive { "expired" } " " (when(Some(at), t)) }
                    @else {
                        @if let Some(at) = k.expires_at { span.hint { "expires " (when(Some(at), t)) } " " }
                        form.inline method="post" action={"/keys/" (k.id) "/revoke"} {
                            input type="hidden" name="csrf" value=(csrf);
                            button.quiet type="submit" aria-label={"Revoke " (k.name)} { "Revoke" }
                        }
                    }
                }
            } } }
        } }
    }
}

/// The form that creates a key: its name, scopes (read checked), the
/// collections it is limited to, and an optional last day.
fn new_key_form(collections: &[Collection], csrf: &str) -> Markup {
    html! {
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
            @if !collections.is_empty() {
                fieldset {
                    legend { "Collections " span.hint { "(none checked: all of them)" } }
                    @for c in collections {
                        div.check {
                            input id={"collection-" (c.id)} type="checkbox" name={"collection." (c.id)};
                            label for={"collection-" (c.id)} { (c.name.as_str()) }
                        }
                    }
                }
            }
            div {
                label for="expires" { "Expires " span.hint { "(optional; valid through that day, UTC)" } }
                input #expires type="date" name="expires" aria-describedby="expires-hint";
                p.hint #expires-hint { "Leave empty for a key that lasts until it is revoked." }
            }
            button type="submit" { "Create key" }
        }
    }
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
    // `collection.{id}` checkboxes; an id that does not parse is no
    // collection of this organization.
    let collection_ids = match form
        .keys()
        .filter_map(|k| k.strip_prefix("collection."))
        .map(|id| {
            CollectionId::parse(id)
                .ok_or_else(|| CoreError::invalid("collectionIds", format!("no collection {id}")))
        })
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(ids) => ids,
        Err(e) => return failure(e),
    };
    let expires_at = match form.get("expires").filter(|d| !d.is_empty()) {
        Some(d) => match day_after(d, "expires") {
            Ok(at) => Some(at),
            Err(e) => return failure(e),
        },
        None => None,
    };
    let input = ApiKeyInput {
        org_id: None,
        user_id: None,
        name: form.get("name").cloned().unwrap_or_default(),
        scopes,
        collection_ids,
        expires_at,
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
    let filter = match audit_filter(&q) {
        Ok(f) => f,
        Err(e) => return failure(e),
    };
    let at = paging(&q);
    let (events, keys) = match tokio::try_join!(
        state
            .services
            .list_audit_events(&session.who, None, filter, at),
        state.services.list_api_keys(
            &session.who,
            None,
            PageRequest {
                page: 1,
                page_size: 100,
            },
        ),
    ) {
        Ok(read) => read,
        Err(e) => return failure(e),
    };
    let body = html! {
        h1 { "Audit log" }
        (audit_filters(&q, &keys.items))
        @if events.items.is_empty() {
            div.empty { p { "No events match." } }
        } @else {
            (events_table(&events.items))
            p.hint { (events.total) " events" }
            (pager("/audit", &q, events.request, events.total_pages()))
        }
    };
    page("Audit log", Section::Audit, &session, body).into_response()
}

/// The audit filter of the page's query: an action, an object, the key that
/// acted, and the days from and to (both taken in whole); a bad one is an
/// error naming its field.
fn audit_filter(q: &BTreeMap<String, String>) -> Result<AuditFilter, CoreError> {
    let filled = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let action = filled("action")
        .map(|a| AuditAction::parse_field(a, "action"))
        .transpose()?;
    let actor = filled("actor")
        .map(|a| {
            ApiKeyId::parse(a)
                .ok_or_else(|| CoreError::invalid("actor", "must be a key id such as key_2"))
        })
        .transpose()?;
    // "From" is the start of its day; "to" takes in the whole of its day.
    let since = filled("since").map(|d| day_start(d, "since")).transpose()?;
    let until = filled("until").map(|d| day_after(d, "until")).transpose()?;
    Ok(AuditFilter {
        actions: action.into_iter().collect(),
        object_id: filled("objectId").map(str::to_owned),
        actor_key_id: actor,
        since,
        until,
        ..AuditFilter::default()
    })
}

/// The audit log's filter form, each field showing its value in `q`; the
/// actors to choose from are `keys`.
fn audit_filters(q: &BTreeMap<String, String>, keys: &[ApiKey]) -> Markup {
    let value = |k: &str| q.get(k).cloned().unwrap_or_default();
    html! {
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
            div {
                label for="actor" { "By key" }
                select #actor name="actor" {
                    option value="" { "anyone" }
                    @for k in keys {
                        option value=(k.id) selected[value("actor") == k.id.to_string()] { (k.name) " (" (k.id) ")" }
                    }
                }
            }
            div { label for="since" { "From" } input #since type="date" name="since" value=(value("since")); }
            div { label for="until" { "To" } input #until type="date" name="until" value=(value("until")); }
            button type="submit" { "Apply" }
        }
    }
}

/// A page of audit events: when, the action, its object, who, what changed
/// and from which address.
fn events_table(events: &[AuditEvent]) -> Markup {
    let t = now();
    html! {
        div.table-wrap { table {
            thead { tr { th scope="col" { "When" } th scope="col" { "Action" } th scope="col" { "Object" } th scope="col" { "By" } th scope="col" { "What changed" } th scope="col" { "From" } } }
            tbody { @for e in events { tr {
                td { (when(Some(e.at), t)) }
                td { code { (e.action) } }
                td { (e.object_id.as_deref().unwrap_or("—")) }
                td { (e.actor.key_name) @if let Some(u) = e.actor.user_id { " (" (u) ")" } }
                td { code { (serde_json::Value::Object(e.summary.clone())) } }
                td { (e.origin.client_addr.as_deref().unwrap_or("—")) }
            } } }
        } }
    }
}

/// A `YYYY-MM-DD` day's start, UTC; a bad day is an error naming `field`.
fn day_start(day: &str, field: &str) -> Result<Timestamp, CoreError> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| CoreError::invalid(field, "must be a date, YYYY-MM-DD"))
}

/// The start of the day after `day` (UTC): the first instant not in it.
fn day_after(day: &str, field: &str) -> Result<Timestamp, CoreError> {
    Ok(day_start(day, field)? + TimeDelta::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_whole_utc_days() {
        let start = day_start("2026-11-27", "since").unwrap();
        assert_eq!(start.to_rfc3339(), "2026-11-27T00:00:00+00:00");
        let end = day_after("2026-11-27", "until").unwrap();
        assert_eq!(end.to_rfc3339(), "2026-11-28T00:00:00+00:00");
        let e = day_start("27/11/2026", "since").unwrap_err();
        assert!(e.to_string().contains("since"), "{e}");
    }
}
