//! Document 000 (a code-search platform's API) at `/api/datasources`:
//! repositories (git connections) and workspaces (collections) as bare JSON
//! arrays, errors as `{"error": {"code", "message"}}`. The mapping is in
//! docs/dialects.md.
//!
//! Source document: `seeds/000_77c4b1e78065218d.txt` (document 000).

mod datasources;
pub mod error;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Where 000's routes live.
pub const PREFIX: &str = "/api/datasources";

/// 000's routes, for the authenticated part of the router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(datasources::all))
        .routes(routes!(datasources::alive))
}
