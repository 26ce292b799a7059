//! Document 001 (a data platform's API) at `/api/v1/data-sources`:
//! snake_case JSON, integer ids, `{"success", "data", "message"}`
//! envelopes and upper-case error codes. How its fields and statuses map
//! onto connections is in docs/dialects.md.
//!
//! Source document: `seeds/001_51602b90b9ead4de.txt` (document 001).

mod data_sources;
pub mod error;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Where 001's routes live.
pub const PREFIX: &str = "/api/v1/data-sources";

/// 001's routes, for the authenticated part of the router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            data_sources::handlers::list,
            data_sources::handlers::create
        ))
        .routes(routes!(
            data_sources::handlers::get,
            data_sources::handlers::put,
            data_sources::handlers::patch,
            data_sources::handlers::delete
        ))
        .routes(routes!(data_sources::handlers::test))
}
