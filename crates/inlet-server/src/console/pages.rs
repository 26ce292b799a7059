//! The console's pages.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use inlet_core::list::ConnectionFilter;
use inlet_core::model::connection::ConnectionStatus;
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{now, relative_time};
use maud::html;

use super::layout::{Section, badge, page};
use super::session::{Session, problem};
use crate::state::AppState;

/// How many connections the overview lists.
const OVERVIEW_ROWS: usize = 20;

/// `GET /`: connections by status, how many are alive, the newest ones.
pub async fn overview(State(state): State<AppState>, session: Session) -> Response {
    let connections = match state
        .services
        .list_all_connections(&session.who, ConnectionFilter::default())
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "console overview failed");
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The overview could not be read; see the server log.",
            );
        }
    };
    let t = now();
    let alive = connections.iter().filter(|c| c.alive()).count();
    let by_status: Vec<(ConnectionStatus, usize)> = ConnectionStatus::ALL
        .iter()
        .map(|s| (*s, connections.iter().filter(|c| c.status == *s).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let body = html! {
        h1 { "Overview" }
        section.cards aria-label="Connections by status" {
            div.card {
                div.n { (connections.len()) }
                div.label { "connections" }
            }
            div.card {
                div.n { (alive) }
                div.label { "alive (searched)" }
            }
            @for (status, n) in &by_status {
                div.card {
                    div.n { (n) }
                    div.label { (badge(status.as_str())) }
                }
            }
        }
        @if connections.is_empty() {
            div.empty {
                p { strong { "No connections yet." } }
                p {
                    "Create one with " code { "inlet connections create" }
                    " or " code { "POST /api/v1/source-connections" } "; it appears here once it exists."
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
                        @for c in connections.iter().take(OVERVIEW_ROWS) {
                            tr {
                                td { (c.name.as_str()) }
                                td { (badge(c.status.as_str())) }
                                td { (c.source_type) }
                                td { (c.document_count) }
                                td {
                                    @match c.last_synced_at {
                                        Some(at) => time datetime=(at.to_rfc3339()) { (relative_time(at, t)) },
                                        None => span.hint { "never" },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page("Overview", Section::Overview, &session.csrf(), body).into_response()
}
