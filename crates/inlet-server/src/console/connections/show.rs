//! One connection's page: its settings without secrets, its test and sync
//! buttons, its jobs (a running one followed live), its documents and its
//! schema.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use inlet_core::auth::{Principal, Scope};
use inlet_core::ids::{ConnectionId, job_label};
use inlet_core::list::{Page, PageRequest};
use inlet_core::model::collection::Collection;
use inlet_core::model::connection::{Connection, ConnectionStatus};
use inlet_core::model::document::Document;
use inlet_core::model::job::Job;
use inlet_core::model::schema::{DiscoveredSchema, StoredSchema};
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{Timestamp, now};
use inlet_core::{CoreError, CoreResult};
use maud::{Markup, html};
use serde_json::Value;

use super::not_found;
use crate::console::jobs::jobs_table;
use crate::console::layout::{Section, badge, page, when};
use crate::console::session::{Session, failure};
use crate::state::AppState;

/// What one connection's page shows, read through the services.
struct ConnectionPage {
    conn: Connection,
    collection: Collection,
    /// Its latest jobs, newest first.
    jobs: Vec<Job>,
    /// `None` when not discovered yet.
    schema: Option<StoredSchema>,
    /// The documents browser's page.
    docs: Page<Document>,
}

impl ConnectionPage {
    /// Reads the connection, its last ten jobs, its collection, its schema
    /// and page `docs_page` of its documents (20 a page).
    async fn read(
        state: &AppState,
        who: &Principal,
        id: ConnectionId,
        docs_page: u32,
    ) -> CoreResult<Self> {
        let services = &state.services;
        let conn = services.get_connection(who, id).await?;
        let jobs = services
            .list_jobs(
                who,
                id,
                PageRequest {
                    page: 1,
                    page_size: 10,
                },
            )
            .await?
            .items;
        let collection = services.get_collection(who, conn.collection_id).await?;
        // Not discovered yet is an empty state; any other failure is shown.
        let schema = match services.get_schema(who, id).await {
            Ok(s) => Some(s),
            Err(CoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let page = PageRequest {
            page: docs_page,
            page_size: 20,
        };
        let docs = services.list_documents(who, id, None, page).await?;
        Ok(Self {
            conn,
            collection,
            jobs,
            schema,
            docs,
        })
    }
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
    // The documents browser: `?docs=N` pages through them, 20 at a time.
    let docs_page = params
        .get("docs")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let ConnectionPage {
        conn,
        collection,
        jobs,
        schema,
        docs,
    } = match ConnectionPage::read(&state, &session.who, id, docs_page).await {
        Ok(p) => p,
        Err(e) => return failure(e),
    };
    let t = now();
    let body = html! {
        p { a href="/connections" { "← Connections" } }
        h1 { (conn.name.as_str()) " " (badge(conn.status.as_str())) }
        @if !conn.description.is_empty() { p.hint { (conn.description) } }
        (actions(&conn, &session))
        @if let Some(j) = jobs.iter().find(|j| !j.status.is_final()) {
            (live_job(j))
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
        (documents(&docs, docs_page, t))
        h2 { "Schema" }
        @match &schema {
            Some(s) => (schema_tree(&s.schema)),
            None => div.empty { p { "Not discovered yet: a passing test discovers it." } },
        }
    };
    page(&conn.name, Section::Connections, &session, body).into_response()
}

/// The buttons that test, sync, clear or delete a connection, or for a
/// read-only key a line saying why there are none.
fn actions(conn: &Connection, session: &Session) -> Markup {
    let csrf = session.csrf();
    html! {
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
    }
}

/// A running job's progress, filled live by app.js from its events.
fn live_job(j: &Job) -> Markup {
    html! {
        div.live role="status" aria-live="polite" data-job-events={"/jobs/" (job_label(j.id, j.kind)) "/events"} {
            strong { (job_label(j.id, j.kind)) } " "
            span.badge.(j.status.as_str()) data-field="status" { (j.status.as_str()) } " · "
            span data-field="read" { (j.counts.read) } " records read"
            // Shown when the job ends: a search that waits for what it wrote.
            " " a data-field="search" hidden href="/search" { "Search what it synced" }
        }
    }
}

/// The documents browser: page `docs_page` of a connection's documents and
/// links to the pages either side, or an empty state.
fn documents(docs: &Page<Document>, docs_page: u32, t: Timestamp) -> Markup {
    html! {
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
    }
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
