//! The vendor APIs Inlet serves over one domain, one folder each: `core`
//! (document 003 and everything no document shows), `rivergen`,
//! `codealive` and `databrain`. A dialect routes, parses and renders
//! — request and response types, its error envelope — and calls the same
//! services as every other; no permission check, store call or business
//! rule lives in one.
//!
//! Which dialect a request speaks is decided by its path alone, so errors
//! raised before any handler runs (no key, rate limit, unknown route, body
//! too large) are rendered in the right envelope by [`render_errors`].

pub mod codealive;
pub mod core;
pub mod databrain;
pub mod rivergen;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::Problem;

/// One of the APIs served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/api/v1/sources`, `/api/v1/source-connections` and the rest (003's style).
    Core,
    /// 001: `/api/v1/data-sources`.
    Rivergen,
    /// 000: `/api/datasources/all` and `/alive`.
    Codealive,
    /// 002: `/api/v2/datasource`.
    Databrain,
}

impl Dialect {
    /// The dialect whose routes `path` belongs to.
    pub fn of(path: &str) -> Self {
        if under(path, rivergen::PREFIX) {
            Dialect::Rivergen
        } else if under(path, codealive::PREFIX) {
            Dialect::Codealive
        } else if under(path, databrain::PREFIX) {
            Dialect::Databrain
        } else {
            Dialect::Core
        }
    }

    /// The status and body of `problem` in this dialect's error envelope.
    fn render(self, problem: &Problem) -> (StatusCode, serde_json::Value) {
        match self {
            Dialect::Core => (problem.status, core::error::body(problem)),
            Dialect::Rivergen => (problem.status, rivergen::error::body(problem)),
            Dialect::Codealive => (problem.status, codealive::error::body(problem)),
            Dialect::Databrain => databrain::error::render(problem),
        }
    }
}

/// Whether `path` is `prefix` or below it.
pub(crate) fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Outermost middleware: an error answered anywhere below (the
/// [`Problem`] left in the response's extensions) is rendered in the
/// envelope of the dialect whose path was requested, with the status that
/// dialect gives it (usually the problem's). Headers (`Retry-After`,
/// `RateLimit-*`, the request id) are kept.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let dialect = Dialect::of(req.uri().path());
    let resp = next.run(req).await;
    if dialect == Dialect::Core {
        return resp;
    }
    let Some(problem) = resp.extensions().get::<Problem>().cloned() else {
        return resp;
    };
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let (status, body) = dialect.render(&problem);
    parts.status = status;
    Response::from_parts(parts, Body::from(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_matches_whole_segments() {
        assert!(under("/api/v2/datasource", "/api/v2/datasource"));
        assert!(under("/api/v2/datasource/sync", "/api/v2/datasource"));
        assert!(!under("/api/v2/datasources", "/api/v2/datasource"));
        assert!(!under("/api/v1/data", "/api/v1/data-sources"));
    }
}
