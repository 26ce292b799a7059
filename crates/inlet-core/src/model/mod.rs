//! Domain types: what the store persists and services return. No HTTP or SQL
//! shapes here; each API renders these in its own dialect.

pub mod api_key;
pub mod audit;
pub mod catalog;
pub mod collection;
pub mod connection;
pub mod document;
pub mod job;
pub mod organization;
pub mod schema;
pub mod user;
pub mod wire;

/// Timestamps are UTC with millisecond precision (what both stores keep).
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// The current time truncated to milliseconds, so values survive a store round trip unchanged.
pub fn now() -> Timestamp {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}
