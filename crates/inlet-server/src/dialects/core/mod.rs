//! The core API at `/api/v1`, in 003's style: camelCase JSON,
//! `{"success": true, "<resource>": …}` envelopes, prefixed string ids.
//!
//! Source document: `seeds/003_4e2ff077fa5c845b.txt` (document 003).

mod api_keys;
mod audit;
mod collections;
mod connections;
pub(crate) use connections::list_request;
pub(crate) use jobs::event_stream;
mod documents;
pub(crate) mod dto;
pub mod error;
mod jobs;
mod orgs;
mod search;
mod sources;
mod users;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Every core route, for the authenticated part of the router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sources::list_sources))
        .routes(routes!(sources::get_source))
        .routes(routes!(collections::list, collections::create))
        .routes(routes!(
            collections::get,
            collections::update,
            collections::delete
        ))
        .routes(routes!(
            connections::handlers::list,
            connections::handlers::create
        ))
        .routes(routes!(
            connections::handlers::get,
            connections::handlers::update,
            connections::handlers::delete
        ))
        .routes(routes!(connections::handlers::put_credentials))
        .routes(routes!(connections::handlers::put_config))
        .routes(routes!(connections::handlers::test))
        .routes(routes!(connections::handlers::get_schema))
        .routes(routes!(connections::handlers::refresh_schema))
        .routes(routes!(jobs::run))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::list_all))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::cancel))
        .routes(routes!(jobs::events))
        .routes(routes!(documents::list))
        .routes(routes!(documents::get))
        .routes(routes!(documents::clear))
        .routes(routes!(search::search_post, search::search_get))
        .routes(routes!(search::search_all))
        .routes(routes!(api_keys::list, api_keys::create))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(audit::list))
        .routes(routes!(orgs::list, orgs::create))
        .routes(routes!(orgs::get))
        .routes(routes!(orgs::get_policy, orgs::set_policy))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get))
        .routes(routes!(users::list_memberships, users::put_membership))
        .routes(routes!(users::delete_membership))
}
