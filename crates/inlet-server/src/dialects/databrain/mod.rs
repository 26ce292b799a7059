//! Document 002 (a BI platform's API) at `/api/v2/datasource`: datasources
//! known by name, string pagination parameters, `{"data": …}` answers and
//! `{"error": {"code", "message"}}` errors with its own codes. The mapping
//! is in docs/dialects.md.
//!
//! Source document: `seeds/002_6819ad9ff2ebc763.txt` (document 002).

mod datasource;
pub mod error;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Where 002's routes live.
pub const PREFIX: &str = "/api/v2/datasource";

/// 002's routes, for the authenticated part of the router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            datasource::list,
            datasource::create,
            datasource::update,
            datasource::delete
        ))
        .routes(routes!(datasource::sync))
}
