//! The console's overview: connections by status, how many are alive, the
//! newest connections, and the organization's recent and failed jobs.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use inlet_core::CoreResult;
use inlet_core::auth::{Principal, Scope};
use inlet_core::ids::ConnectionId;
use inlet_core::list::{ConnectionFilter, ConnectionSort, JobFilter, Page, PageRequest, SortOrder};
use inlet_core::model::connection::{Connection, ConnectionCounts};
use inlet_core::model::job::{Job, JobStatus};
use inlet_core::model::now;
use inlet_core::model::wire::WireEnum;
use maud::{Markup, html};

use super::connections::connections_table;
use super::jobs::jobs_table;
use super::layout::{Section, badge, page};
use super::session::{Session, failure};
use crate::state::AppState;

/// How many connections the overview lists.
const NEWEST_CONNECTIONS: u32 = 20;
/// How many recent jobs, and how many failed ones, it lists.
const RECENT_JOBS: u32 = 10;
const FAILED_JOBS: u32 = 5;

/// What the overview shows, read through the services.
struct Overview {
    counts: ConnectionCounts,
    /// The newest connections.
    newest: Page<Connection>,
    /// The organization's latest jobs.
    recent: Vec<Job>,
    /// Its failed jobs, newest first, and how many in all.
    failed: Page<Job>,
    /// The names of the connections those jobs belong to.
    names: HashMap<ConnectionId, String>,
}

impl Overview {
    /// Reads the counts, the newest connections and the recent and failed
    /// jobs, then the names of those jobs' connections.
    async fn read(state: &AppState, who: &Principal) -> CoreResult<Self> {
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
        let (counts, newest, recent, failed) = tokio::try_join!(
            services.connection_counts(who),
            services.list_connections(who, newest, first(NEWEST_CONNECTIONS)),
            services.latest_org_jobs(who, JobFilter::default(), RECENT_JOBS),
            services.list_org_jobs(who, failed_filter, first(FAILED_JOBS)),
        )?;
        let mut ids: Vec<ConnectionId> = recent
            .iter()
            .chain(&failed.items)
            .map(|j| j.connection_id)
            .collect();
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        let names = services.connection_names(who, &ids).await?;
        Ok(Self {
            counts,
            newest,
            recent,
            failed,
            names: names.into_iter().collect(),
        })
    }
}

/// `GET /`
pub async fn overview(State(state): State<AppState>, session: Session) -> Response {
    let Overview {
        counts,
        newest,
        recent,
        failed,
        names,
    } = match Overview::read(&state, &session.who).await {
        Ok(o) => o,
        Err(e) => return failure(e),
    };
    let t = now();
    let body = html! {
        h1 { "Overview" }
        (status_cards(&counts, failed.total))
        @if newest.items.is_empty() {
            (no_connections(&session))
        } @else {
            h2 { "Newest connections" }
            (connections_table(&newest.items, t))
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

/// The cards: connections, alive ones, failed jobs, then one per status
/// linking to the list of that status.
fn status_cards(counts: &ConnectionCounts, failed_jobs: u64) -> Markup {
    html! {
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
                div.n { (failed_jobs) }
                div.label { "failed jobs" }
            }
            @for (status, n) in &counts.by_status {
                a.card href={"/connections?status=" (status.as_str())} {
                    div.n { (n) }
                    div.label { (badge(status.as_str())) }
                }
            }
        }
    }
}

/// The empty state of an organization without connections: where to create
/// one, or for a read-only key who can.
fn no_connections(session: &Session) -> Markup {
    html! {
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
    }
}
