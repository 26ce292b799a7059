//! The web console: server-rendered pages at `/`, signed in with an API
//! key, served by the same binary with its one stylesheet embedded. Pages
//! call the same services as the API, as the key that signed in.

mod admin;
mod connections;
mod csrf;
mod jobs;
mod layout;
mod new_connection;
mod pages;
mod search;
mod session;

use axum::Router;
use axum::http::header;
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::headers;
use crate::state::AppState;

/// The stylesheet, in the binary.
const CSS: &str = include_str!("app.css");
/// The one script (live job progress), in the binary.
const JS: &str = include_str!("app.js");

/// The console's routes, with its security headers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/connections", get(connections::list))
        .route(
            "/connections/new",
            get(new_connection::form).post(new_connection::create),
        )
        .route("/connections/{id}", get(connections::show))
        .route("/connections/{id}/test", post(connections::test))
        .route("/connections/{id}/sync", post(connections::sync))
        .route(
            "/connections/{id}/{action}",
            get(connections::confirm).post(connections::drastic),
        )
        .route("/jobs/{id}/events", get(connections::job_events))
        .route(
            "/collections",
            get(admin::collections).post(admin::create_collection),
        )
        .route("/search", get(search::search))
        .route("/keys", get(admin::keys).post(admin::create_key))
        .route("/keys/{id}/revoke", post(admin::revoke_key))
        .route("/audit", get(admin::audit))
        .route(
            "/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .route("/console/app.css", get(stylesheet))
        .route("/console/app.js", get(script))
        .layer(from_fn(headers::console))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}
