//! The OpenAPI 3.1 document, generated from the handlers' annotations. The
//! same router that serves requests produces it, so it cannot miss a route.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use crate::{dialects, health};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Inlet",
        description = "Self-hosted data source connections: catalog, connections, keys.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "sources", description = "Catalog of source types"),
        (name = "collections", description = "Groups of connections"),
        (name = "source-connections", description = "Configured sources"),
        (name = "jobs", description = "Syncs and other background jobs"),
        (name = "documents", description = "What syncs indexed"),
        (name = "api-keys", description = "Bearer keys"),
        (name = "organizations", description = "Tenants"),
        (name = "audit", description = "Who changed what, and when"),
        (name = "users", description = "Users and memberships"),
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "rivergen-001", description = "Document 001: /api/v1/data-sources"),
        (name = "codealive-000", description = "Document 000: /api/datasources/all and /alive"),
        (name = "databrain-002", description = "Document 002: /api/v2/datasource"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Routes that need no key.
pub(crate) fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
}

/// The authenticated routes.
pub(crate) fn api_routes() -> OpenApiRouter<AppState> {
    dialects::core::router()
        .merge(dialects::rivergen::router())
        .merge(dialects::codealive::router())
        .merge(dialects::databrain::router())
}

/// The document, as served at `/openapi.json` and committed as `docs/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, doc) = public_routes().merge(api_routes()).split_for_parts();
    doc
}

/// The document as pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut s = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
