//! The search page: a query over the collections the key may read, with
//! the matches marked in each snippet.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use inlet_core::ids::CollectionId;
use inlet_core::search::TotalRelation;
use inlet_core::service::SearchInput;
use maud::{PreEscaped, html};

use super::admin::collections_of;
use super::layout::{Section, page};
use super::session::{Session, failure};
use crate::state::AppState;

/// `GET /search?q=…&collection=…`
pub async fn search(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let query = q.get("q").cloned().unwrap_or_default();
    let collection = q.get("collection").cloned().unwrap_or_default();
    // A change-log position to wait for (set by the link a finished sync shows).
    let after = q.get("after").and_then(|a| a.parse::<i64>().ok());
    let collections = match collections_of(&state, &session.who).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let results = if query.trim().is_empty() {
        None
    } else {
        let input = SearchInput {
            collection: CollectionId::parse(&collection),
            query: query.clone(),
            query_field: "q",
            after,
            ..SearchInput::default()
        };
        match state.services.search(&session.who, input).await {
            Ok(r) => Some(r),
            Err(e) => return failure(e),
        }
    };
    let body = html! {
        h1 { "Search" }
        form.filters method="get" action="/search" role="search" {
            div.grow {
                label for="q" { "Query" }
                input #q type="text" name="q" value=(query) placeholder="\"late delivery\" refund*";
            }
            div {
                label for="collection" { "Collection" }
                select #collection name="collection" {
                    option value="" { "all" }
                    @for c in &collections {
                        option value=(c.id) selected[collection == c.id.to_string()] { (c.name.as_str()) }
                    }
                }
            }
            @if let Some(a) = after {
                input type="hidden" name="after" value=(a);
            }
            button type="submit" { "Search" }
        }
        @match &results {
            None => p.hint { "Words must all match; \"a phrase\", prefix*, a OR b and -excluded work too. Only alive connections are searched." },
            Some(r) if r.results.is_empty() => div.empty { p { "Nothing matches. A connection's documents are searched once it is active and its last sync completed." } },
            Some(r) => {
                p.hint { (r.total) @if r.relation == TotalRelation::AtLeast { "+" } " matches" }
                ol.results {
                    @for hit in &r.results {
                        li {
                            h2 { (hit.hit.title) }
                            p.hint { a href={"/connections/" (hit.hit.connection_id)} { (hit.hit.connection_id) } " · " (hit.hit.stream) " · " (hit.hit.key) }
                            // The service escapes the text and adds only <mark>.
                            p.snippet { (PreEscaped(&hit.snippet)) }
                        }
                    }
                }
            },
        }
    };
    page("Search", Section::Search, &session, body).into_response()
}
