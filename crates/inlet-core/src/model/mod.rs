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

/// `at` relative to `now`, for people: "just now", "5 min ago", "in 2 h",
/// "3 days ago" (the CLI's tables and the web console).
pub fn relative_time(at: Timestamp, now: Timestamp) -> String {
    let secs = (now - at).num_seconds();
    let (n, future) = (secs.unsigned_abs(), secs < 0);
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let span = match n {
        0..45 => return "just now".into(),
        45..3_600 => format!("{} min", n.div_ceil(60).max(1)),
        3_600..86_400 => format!("{} h", n / 3_600),
        86_400..2_592_000 => plural(n / 86_400, "day"),
        2_592_000..31_536_000 => plural(n / 2_592_000, "month"),
        _ => plural(n / 31_536_000, "year"),
    };
    if future {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}
