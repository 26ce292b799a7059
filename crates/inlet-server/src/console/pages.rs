//! The console's overview: connections by status, how many are alive, the
//! newest connections, and the organization's recent and failed jobs.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use inlet_core::auth::Scope;
use inlet_core::ids::ConnectionId;
use inlet_core::list::{ConnectionFilter, ConnectionSort, JobFilter, PageRequest, SortOrder};
use inlet_core::model::job::JobStatus;
use inlet_core::model::now;
use inlet_core::model::wire::WireEnum;
use maud::html;

use super::jobs::jobs_table;
use super::layout::{Section, badge, page, when};
use super::session::{Session, failure};
use crate::state::AppState;

/// How many connections the overview lists.
const NEWEST_CONNECTIONS: u32 = 20;
/// How many recent jobs, and how many failed ones, it lists.
const RECENT_JOBS: u32 = 10;
const FAILED_JOBS: u32 = 5;

/// `GET /`
pub async fn overview(State(state): State<AppState>, session: Session) -> Response {
    let who = &session.who;
    let services = &state.services;
    let first = |page_size| PageRequest { page: 1, page_size };
    let failed_filter = JobFilter {
        status: Some(JobStatus::Failed),
        ..JobFilter::default()
    };
    let newest = ConnectionFilter {
        sort: ConnectionSort::CreatedAt,
        order: SortOrder::Desc,
        ..ConnectionFilter::default()
    };
    // Counted and paged by the store: the overview reads a few dozen rows
    // however many connections and jobs the organization has.
    let (counts, newest, recent, failed) = match tokio::try_join!(
        services.connection_counts(who),
        services.list_connections(who, newest, first(NEWEST_CONNECTIONS)),
        services.latest_org_jobs(who, JobFilter::default(), RECENT_JOBS),
        services.list_org_jobs(who, failed_filter, first(FAILED_JOBS)),
    ) {
        Ok(read) => read,
        Err(e) => return failure(e),
    };
    let mut ids: Vec<ConnectionId> = recent
        .iter()
        .chain(&failed.items)
        .map(|j| j.connection_id)
        .collect();
    ids.sort_unstable_by_key(|id| id.0);
    ids.dedup();
    let names: HashMap<ConnectionId, String> = match services.connection_names(who, &ids).await {
        Ok(n) => n.into_iter().collect(),
        Err(e) => return failure(e),
    };
    let t = now();
    let body = html! {
        h1 { "Overview" }
        section.cards aria-label="Connections by status" {
            div.card {
                div.n { (counts.total()) }
                div.label { "connections" }
            }
            div.card {
                div.n { (counts.alive) }
                div.label { "alive (searched)" }
            }
            div.card {
                div.n { (failed.total) }
                div.label { "failed jobs" }
            }
            @for (status, n) in &counts.by_status {
                a.card href={"/connections?status=" (status.as_str())} {
                    div.n { (n) }
                    div.label { (badge(status.as_str())) }
                }
            }
        }
        @if newest.items.is_empty() {
            div.empty {
                p { strong { "No connections yet." } }
                @if session.can(Scope::Write) {
                    p {
                        a href="/connections/new" { "Create your first connection" }
                        " from the catalog of source types, or with "
                        code { "inlet connections create" } "."
                    }
                } @else {
                    p { "Connections appear here once someone with a write key creates them." }
                }
            }
        } @else {
            h2 { "Newest connections" }
            div.table-wrap {
                table {
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Status" }
                            th scope="col" { "Type" }
                            th scope="col" { "Documents" }
                            th scope="col" { "Last sync" }
                        }
                    }
                    tbody {
                        @for c in &newest.items {
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
        h2 #failed-jobs { "Failed jobs" }
        @if failed.items.is_empty() {
            div.empty { p { "No failed jobs. A sync or schema refresh that fails shows here, with why." } }
        } @else {
            (jobs_table("Failed jobs, newest first", &failed.items, Some(&names), t))
        }
        h2 #recent-jobs { "Recent jobs" }
        @if recent.is_empty() {
            div.empty { p { "No jobs yet. Open a connection and press " strong { "Sync now" } " to index its data." } }
        } @else {
            (jobs_table("Recent jobs, newest first", &recent, Some(&names), t))
        }
    };
    page("Overview", Section::Overview, &session, body).into_response()
}
