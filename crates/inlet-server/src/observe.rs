//! Observability: Prometheus metrics per route and status, and request
//! logging with a request id. Logs carry method, path, status and latency —
//! never headers, query strings or bodies, so no secret reaches them.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .ok()?
                // The store's waits for a PostgreSQL connection (inlet-store's
                // db/pool_metrics.rs), up to the pool's 10 s acquire timeout.
                .set_buckets_for_metric(
                    Matcher::Full("inlet_store_pool_acquire_wait_seconds".into()),
                    &[
                        0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                        1.0, 2.5, 5.0, 10.0,
                    ],
                )
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// The `route` label of a request no route matched. Every unmatched path
/// shares it, so a client cannot add a series per path it makes up.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The `method` label of a request whose method is not a standard one.
pub const OTHER_METHOD: &str = "other";

/// The `method` label of a request: the standard methods by name, any other
/// (HTTP allows any token, and the request is unauthenticated when it is
/// counted) as [`OTHER_METHOD`], so the label set stays bounded.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => OTHER_METHOD,
    }
}

/// Records `http_requests_total` and `http_request_duration_seconds`.
///
/// Labels come only from bounded sets (the router's route templates, the
/// standard methods, status codes): anything the client chooses freely is
/// folded into [`UNMATCHED_ROUTE`] or [`OTHER_METHOD`].
pub async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.as_str().to_owned());
    let method = method_label(req.method());
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let elapsed = start.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed);
    resp
}

/// Logs one line per request inside a span that carries the request id.
pub async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
        key = tracing::field::Empty,
    );
    let _enter = span.enter();
    drop(_enter);
    let resp = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            latency_us = start.elapsed().as_micros() as u64,
            "request"
        );
    });
    resp
}
