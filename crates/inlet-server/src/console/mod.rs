//! The web console: server-rendered pages at `/`, signed in with an API
//! key, served by the same binary with its one stylesheet embedded. Pages
//! call the same services as the API, as the key that signed in.

mod admin;
mod connections;
mod jobs;
mod layout;
mod new_connection;
mod pages;
mod search;
mod session;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

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
        .layer(from_fn(security_headers))
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

/// No inline script or style may run, no other site may frame a page,
/// forms post only here, and pages are never cached (they show an
/// organization's data).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}
