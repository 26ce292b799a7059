//! The connection pages: the list (the API's filters, search, sort and
//! pages), one connection (settings without secrets, its test, its jobs,
//! its schema), and the forms that test or sync it.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use inlet_core::auth::Scope;
use inlet_core::ids::{ConnectionId, job_label};
use inlet_core::list::PageRequest;
use inlet_core::model::collection::Collection;
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::job::JobTrigger;
use inlet_core::model::schema::DiscoveredSchema;
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{Timestamp, now};
use maud::{Markup, html};
use serde_json::Value;

use super::jobs::jobs_table;
use super::layout::{Section, badge, page, pager, when};
use super::session::{Session, SessionForm, failure};
use crate::dialects::core::list_request;
use crate::state::AppState;

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
    let t = now();
    let value = |k: &str| params.get(k).cloned().unwrap_or_default();
    let body = html! {
        div.page-head {
            h1 { "Connections" }
            @if session.can(Scope::Write) { a.button.primary href="/connections/new" { "New connection" } }
        }
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
        @if result.items.is_empty() {
            div.empty {
                p { strong { "No connections match." } }
                p { "Clear the filters, or create one with " code { "inlet connections create" } "." }
            }
        } @else {
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
                        @for c in &result.items {
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
            (pager("/connections", &params, result.request, result.total_pages()))
        }
    };
    page("Connections", Section::Connections, &session, body).into_response()
}

/// `GET /connections/{id}`
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(id) = ConnectionId::parse(&raw) else {
        return not_found();
    };
    let who = &session.who;
    let conn = match state.services.get_connection(who, id).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let jobs = match state
        .services
        .list_jobs(
            who,
            id,
            PageRequest {
                page: 1,
                page_size: 10,
            },
        )
        .await
    {
        Ok(j) => j.items,
        Err(e) => return failure(e),
    };
    let collection = match state.services.get_collection(who, conn.collection_id).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    // Not discovered yet is an empty state; any other failure is shown.
    let schema = match state.services.get_schema(who, id).await {
        Ok(s) => Some(s),
        Err(inlet_core::CoreError::NotFound(_)) => None,
        Err(e) => return failure(e),
    };
    // The documents browser: `?docs=N` pages through them, 20 at a time.
    let docs_page = params
        .get("docs")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let docs = match state
        .services
        .list_documents(
            who,
            id,
            None,
            PageRequest {
                page: docs_page,
                page_size: 20,
            },
        )
        .await
    {
        Ok(d) => d,
        Err(e) => return failure(e),
    };
    let t = now();
    let csrf = session.csrf();
    let body = html! {
        p { a href="/connections" { "← Connections" } }
        h1 { (conn.name.as_str()) " " (badge(conn.status.as_str())) }
        @if !conn.description.is_empty() { p.hint { (conn.description) } }
        @if !session.can(Scope::Write) {
            p.hint { "This key reads only: testing, syncing, clearing and deleting need the write scope." }
        } @else { div.actions {
            form method="post" action={"/connections/" (conn.id) "/test"} {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Test" }
            }
            form method="post" action={"/connections/" (conn.id) "/sync"} {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Sync now" }
            }
            a.button.quiet href={"/connections/" (conn.id) "/clear"} { "Clear data" }
            a.button.danger href={"/connections/" (conn.id) "/delete"} { "Delete" }
        } }
        @if let Some(j) = jobs.iter().find(|j| !j.status.is_final()) {
            // Filled live by app.js from the job's events.
            div.live role="status" aria-live="polite" data-job-events={"/jobs/" (job_label(j.id, j.kind)) "/events"} {
                strong { (job_label(j.id, j.kind)) } " "
                span.badge.(j.status.as_str()) data-field="status" { (j.status.as_str()) } " · "
                span data-field="read" { (j.counts.read) } " records read"
                // Shown when the job ends: a search that waits for what it wrote.
                " " a data-field="search" hidden href="/search" { "Search what it synced" }
            }
        }
        @if conn.status == ConnectionStatus::Failed {
            p.error role="alert" { "Last test failed: " (conn.last_error.as_deref().unwrap_or("no reason recorded")) }
        }
        (settings(&conn, &collection, t))
        h2 { "Jobs" }
        @if jobs.is_empty() {
            div.empty { p { "No syncs yet. " strong { "Sync now" } " reads its data into the index." } }
        } @else {
            (jobs_table("Jobs", &jobs, None, t))
        }
        h2 { "Documents" }
        @if docs.items.is_empty() {
            div.empty { p { "Nothing indexed yet: a completed sync fills this." } }
        } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Stream" } th scope="col" { "Key" } th scope="col" { "Title" } th scope="col" { "Synced" } } }
                tbody { @for d in &docs.items { tr {
                    td { (d.stream) } td { code { (d.key) } } td { (d.title) } td { (when(Some(d.synced_at), t)) }
                } } }
            } }
            nav.pager aria-label="Document pages" {
                @if docs_page > 1 { a href={"?docs=" (docs_page - 1)} rel="prev" { "← Previous" } }
                span { "Page " (docs_page) " of " (docs.total_pages().max(1)) ", " (docs.total) " documents" }
                @if u64::from(docs_page) < docs.total_pages() { a href={"?docs=" (docs_page + 1)} rel="next" { "Next →" } }
            }
        }
        h2 { "Schema" }
        @match &schema {
            Some(s) => (schema_tree(&s.schema)),
            None => div.empty { p { "Not discovered yet: a passing test discovers it." } },
        }
    };
    page(&conn.name, Section::Connections, &session, body).into_response()
}

/// Settings without secrets: which secret fields are set, never values.
fn settings(c: &Connection, collection: &Collection, t: Timestamp) -> Markup {
    let plain = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    html! {
        dl.settings {
            dt { "Type" } dd { (c.source_type) }
            dt { "Collection" }
            dd { a href={"/connections?collectionId=" (c.collection_id)} { (collection.name.as_str()) } }
            @for (k, v) in &c.settings { dt { (k) } dd { (plain(v)) } }
            dt { "Secrets set" }
            dd { @if c.secret_fields.is_empty() { "none" } @else { (c.secret_fields.join(", ")) } }
            @for (k, v) in &c.config { dt { (k) } dd { (plain(v)) } }
            dt { "Last tested" } dd { (when(c.last_tested_at, t)) }
            dt { "Last synced" } dd { (when(c.last_synced_at, t)) }
            dt { "Documents" } dd { (c.document_count) }
        }
    }
}

/// Schemas → tables → columns, or files, as nested lists.
fn schema_tree(s: &DiscoveredSchema) -> Markup {
    html! {
        ul.tree {
            @for schema in &s.schemas {
                li { strong { (schema.name) }
                    ul { @for table in &schema.tables {
                        li { (table.name) " " span.hint { "(" (table.kind) ")" }
                            ul { @for c in &table.columns {
                                li { code { (c.name) } " " span.hint { (c.data_type) @if c.primary_key { ", primary key" } } }
                            } }
                        }
                    } }
                }
            }
            @for f in &s.files { li { code { (f.path) } " " span.hint { (f.size) " bytes" } } }
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
