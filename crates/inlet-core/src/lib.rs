//! Inlet's domain: the types every API maps onto, the errors services return,
//! the use-cases (services) and the traits the outer layers implement
//! ([`store::Store`] for persistence, [`connector::Connector`] for sources).
//!
//! Nothing in this crate knows about HTTP or SQL; handlers call services,
//! services decide and call the store.

pub mod auth;
pub mod connector;
pub mod crypto;
pub mod digest;
pub mod error;
pub mod ids;
pub mod list;
pub mod model;
pub mod policy;
pub mod schedule;
pub mod search;
pub mod secret;
pub mod service;
pub mod store;
pub mod sync;
pub mod throttle;
pub mod validate;

pub use error::{CoreError, CoreResult};
