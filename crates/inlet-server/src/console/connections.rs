//! The connection pages: the list (the API's filters, search, sort and
//! pages), one connection (in `show`), and the forms that test, sync,
//! clear or delete it.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use inlet_core::auth::Scope;
use inlet_core::ids::ConnectionId;
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::job::JobTrigger;
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{Timestamp, now};
use maud::{Markup, html};

use super::layout::{Section, badge, page, pager, when};
use super::session::{Session, SessionForm, failure};
use crate::dialects::core::list_request;
use crate::state::AppState;

pub use self::show::show;

mod show;

/// `GET /connections`
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let (filter, paging) = match list_request(&params) {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let result = match state
        .services
        .list_connections(&session.who, filter, paging)
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let body = html! {
        div.page-head {
            h1 { "Connections" }
            @if session.can(Scope::Write) { a.button.primary href="/connections/new" { "New connection" } }
        }
        (filters(&state, &params))
        @if result.items.is_empty() {
            div.empty {
                p { strong { "No connections match." } }
                p { "Clear the filters, or create one with " code { "inlet connections create" } "." }
            }
        } @else {
            (connections_table(&result.items, now()))
            (pager("/connections", &params, result.request, result.total_pages()))
        }
    };
    page("Connections", Section::Connections, &session, body).into_response()
}

/// The list's filter form (search, status, type, sort), each field showing
/// its value in `params`.
fn filters(state: &AppState, params: &BTreeMap<String, String>) -> Markup {
    let value = |k: &str| params.get(k).cloned().unwrap_or_default();
    html! {
        form.filters method="get" action="/connections" role="search" {
            div {
                label for="search" { "Search" }
                input #search type="text" name="search" value=(value("search"));
            }
            div {
                label for="status" { "Status" }
                select #status name="status" {
                    option value="" { "any" }
                    @for s in ConnectionStatus::ALL {
                        option value=(s.as_str()) selected[value("status") == s.as_str()] { (s.as_str()) }
                    }
                }
            }
            div {
                label for="type" { "Type" }
                select #type name="type" {
                    option value="" { "any" }
                    @for t in state.services.catalog().specs() {
                        option value=(t.short_name) selected[value("type") == t.short_name] { (t.name) }
                    }
                }
            }
            div {
                label for="sortBy" { "Sort by" }
                select #sortBy name="sortBy" {
                    @for (v, l) in [("createdAt", "newest"), ("name", "name"), ("status", "status"), ("type", "type"), ("updatedAt", "last changed")] {
                        option value=(v) selected[value("sortBy") == v] { (l) }
                    }
                }
            }
            button type="submit" { "Apply" }
        }
    }
}

/// One page of connections as a table, each name linking to its page (the
/// list's, and the overview's newest).
pub(super) fn connections_table(items: &[Connection], t: Timestamp) -> Markup {
    html! {
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Status" }
                    th scope="col" { "Type" }
                    th scope="col" { "Documents" }
                    th scope="col" { "Last sync" }
                } }
                tbody {
                    @for c in items {
                        tr {
                            td { a href={"/connections/" (c.id)} { (c.name.as_str()) } }
                            td { (badge(c.status.as_str())) }
                            td { (c.source_type) }
                            td { (c.document_count) }
                            td { (when(c.last_synced_at, t)) }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /connections/{id}/test`: tests it for real, then back to its page
/// (which shows the outcome).
pub async fn test(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    SessionForm { session, .. }: SessionForm,
) -> Response {
    let Some(id) = ConnectionId::parse(&raw) else {
        return not_found();
    };
    // A failed test is recorded on the connection; its page shows why.
    match state.services.test_connection(&session.who, id).await {
        Ok(_) | Err(inlet_core::CoreError::Source(_)) => {
            Redirect::to(&format!("/connections/{id}")).into_response()
        }
        Err(e) => failure(e),
    }
}

/// `POST /connections/{id}/sync`: queues a sync, then back to its page.
pub async fn sync(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    SessionForm { session, .. }: SessionForm,
) -> Response {
    let Some(id) = ConnectionId::parse(&raw) else {
        return not_found();
    };
    match state
        .services
        .run_sync(&session.who, id, JobTrigger::Manual, false)
        .await
    {
        Ok(_) => Redirect::to(&format!("/connections/{id}")).into_response(),
        Err(e) => failure(e),
    }
}

/// What a confirmation page asks about.
#[derive(Clone, Copy)]
enum Drastic {
    Delete,
    Clear,
}

impl Drastic {
    fn of(action: &str) -> Option<Self> {
        match action {
            "delete" => Some(Self::Delete),
            "clear" => Some(Self::Clear),
            _ => None,
        }
    }
}

/// `GET /connections/{id}/{delete|clear}`: asks before doing it.
pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    Path((raw, action)): Path<(String, String)>,
) -> Response {
    let (Some(id), Some(what)) = (ConnectionId::parse(&raw), Drastic::of(&action)) else {
        return not_found();
    };
    let conn = match state.services.get_connection(&session.who, id).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let csrf = session.csrf();
    let (title, text, button) = match what {
        Drastic::Delete => (
            format!("Delete {}?", conn.name.as_str()),
            format!(
                "The connection, its {} indexed documents, its jobs and its sync state go. This cannot be undone.",
                conn.document_count
            ),
            "Delete connection",
        ),
        Drastic::Clear => (
            format!("Clear the data of {}?", conn.name.as_str()),
            format!(
                "Its {} indexed documents and its sync cursors go; the connection stays, and its next sync reads everything again.",
                conn.document_count
            ),
            "Clear data",
        ),
    };
    let body = html! {
        div.sign-in.stack {
            h1 { (title) }
            p { (text) }
            form method="post" action={"/connections/" (conn.id) "/" (action)} {
                input type="hidden" name="csrf" value=(csrf);
                button.danger type="submit" { (button) }
                " "
                a href={"/connections/" (conn.id)} { "Cancel" }
            }
        }
    };
    page(&title, Section::Connections, &session, body).into_response()
}

/// `POST /connections/{id}/{delete|clear}`
pub async fn drastic(
    State(state): State<AppState>,
    Path((raw, action)): Path<(String, String)>,
    SessionForm { session, .. }: SessionForm,
) -> Response {
    let (Some(id), Some(what)) = (ConnectionId::parse(&raw), Drastic::of(&action)) else {
        return not_found();
    };
    let done = match what {
        Drastic::Delete => state
            .services
            .delete_connection(&session.who, id, false, false)
            .await
            .map(|()| "/connections".to_owned()),
        Drastic::Clear => state
            .services
            .clear_data(&session.who, id)
            .await
            .map(|_| format!("/connections/{id}")),
    };
    match done {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => failure(e),
    }
}

/// `GET /jobs/{id}/events`: the job's Server-Sent Events for the page's
/// live progress (the API's stream, authorized by the session).
pub async fn job_events(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(id) = inlet_core::ids::JobId::parse(&raw) else {
        return failure(inlet_core::CoreError::NotFound("job"));
    };
    let credential = session.credential();
    match crate::dialects::core::event_stream(&state, &session.who, id, credential, &headers).await
    {
        Ok(sse) => sse.into_response(),
        Err(e) => failure(e),
    }
}

/// The page of an id that names no connection.
fn not_found() -> Response {
    failure(inlet_core::CoreError::NotFound("source connection"))
}
