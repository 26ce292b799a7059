//! Inlet's HTTP server: the API dialects (the core API in 003's style and
//! the vendor documents' APIs, `dialects`), authentication and per-key rate
//! limits, health, metrics and the OpenAPI document. Handlers parse and
//! render; every decision is a service call.

mod app;
mod auth;
mod console;
mod dialects;
mod error;
mod extract;
mod headers;
mod health;
mod observe;
pub mod openapi;
mod rate_limit;
mod state;

pub use app::{Application, ServerConfig};
pub use error::ApiError;
