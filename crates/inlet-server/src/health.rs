//! Liveness, readiness and metrics endpoints (no authentication).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use inlet_core::search::IndexStatus;
use serde::Serialize;
use utoipa::ToSchema;

use crate::observe;
use crate::state::AppState;

/// Health answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Why the node is not ready (readiness only): the store does not
    /// answer, or the search index is catching up, rebuilding or failing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        reason: None,
    })
}

/// The store answers and this node's search index has caught up with it,
/// so a load balancer sends no search to a node still rebuilding.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "Ready", body = Health),
              (status = 503, description = "Store unreachable, or the search index catching up, rebuilding or failing", body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let unready = match state.services.store().ping().await {
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Some("the store does not answer".to_owned())
        }
        Ok(()) => match state.services.index().map(|i| i.status()) {
            None | Some(IndexStatus::Ready) => None,
            Some(IndexStatus::CatchingUp) => Some("search index catching up".into()),
            Some(IndexStatus::Rebuilding { done, total }) => Some(format!(
                "search index rebuilding ({done} of {total} documents)"
            )),
            Some(IndexStatus::Failing(why)) => Some(format!("search index failing: {why}")),
        },
    };
    match unready {
        None => Json(Health {
            status: "ok",
            reason: None,
        })
        .into_response(),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                reason: Some(reason),
            }),
        )
            .into_response(),
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus metrics", content_type = "text/plain")))]
pub async fn metrics() -> Response {
    let body = observe::prometheus()
        .map(|h| h.render())
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
