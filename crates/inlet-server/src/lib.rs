//! Inlet's HTTP server: the core API (003's style, camelCase envelopes),
//! authentication and per-key rate limits, health, metrics and the OpenAPI
//! document. Handlers parse and render; every decision is a service call.

mod app;
mod auth;
mod core_api;
mod error;
mod extract;
mod health;
mod observe;
pub mod openapi;
mod rate_limit;
mod state;

pub use app::{Application, ServerConfig};
pub use error::ApiError;
