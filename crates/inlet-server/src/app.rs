//! Building and running the server: the router with its layers, bound to a
//! listener (port 0 in tests), served until a shutdown signal.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use inlet_core::service::Services;
use inlet_core::throttle::AddressLimiter;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa_swagger_ui::SwaggerUi;

use crate::console;
use crate::error::ApiError;
use crate::openapi;
use crate::rate_limit::KeyRateLimiter;
use crate::state::{AppState, StreamLimits};
use crate::{auth, dialects, headers, observe};

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Requests per minute per API key.
    pub rate_limit_per_minute: NonZeroU32,
    /// Refused keys (API bearer keys and console sign-ins) one client
    /// address may present a minute before further refusals answer 429.
    pub auth_failures_per_minute: NonZeroU32,
    /// How often an open job event stream checks its key (or console
    /// session) again.
    pub stream_recheck: Duration,
    /// How long one job event stream may stay open.
    pub stream_max_duration: Duration,
}

/// A bound, ready-to-serve server.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds the listener and builds the router.
    pub async fn build(config: ServerConfig, services: Services) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let limiter = Arc::new(KeyRateLimiter::new(config.rate_limit_per_minute));
        let auth_failures = Arc::new(AddressLimiter::per_minute(
            config.auth_failures_per_minute,
            inlet_core::throttle::TRACKED_ADDRESSES,
        ));
        let sweepers = (Arc::downgrade(&limiter), Arc::downgrade(&auth_failures));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match (sweepers.0.upgrade(), sweepers.1.upgrade()) {
                    (Some(keys), Some(addresses)) => {
                        keys.shrink();
                        addresses.shrink();
                    }
                    _ => break,
                }
            }
        });
        let state = AppState {
            services,
            limiter,
            auth_failures,
            streams: StreamLimits {
                recheck: config.stream_recheck,
                max_duration: config.stream_max_duration,
            },
        };
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run_until<F>(self, shutdown: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // The peer's address reaches handlers (the audit trail's client address).
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// The full router: public routes, authenticated API, docs, and layers.
pub fn router(state: AppState) -> Router {
    observe::prometheus();
    let api = openapi::api_routes().layer(from_fn_with_state(state.clone(), auth::require_key));
    let (routes, doc) = openapi::public_routes().merge(api).split_for_parts();
    routes
        .merge(
            Router::from(SwaggerUi::new("/docs").url("/openapi.json", doc))
                .layer(from_fn(headers::docs)),
        )
        .merge(console::routes())
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn(observe::record_metrics))
        .layer(from_fn(observe::log_request))
        .layer(from_fn(dialects::render_errors))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
