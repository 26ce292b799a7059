//! How answers are shown: an aligned table for people (status in colour
//! and times as "3 min ago" on a terminal), the server's JSON with
//! `--json`, ids alone with `--quiet`.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::Value;

use crate::output;

/// How an answer is shown.
#[derive(Args, Clone, Copy, Default)]
pub struct Format {
    /// Print the server's JSON answer (for scripts).
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
    /// Print only ids, one per line.
    #[arg(long, short)]
    pub quiet: bool,
}

impl Format {
    /// Neither `--json` nor `--quiet`: output is for people.
    pub fn human(self) -> bool {
        !self.json && !self.quiet
    }
}

/// What a table column holds, which decides how its cells are drawn.
#[derive(Clone, Copy)]
pub enum Cell {
    /// The value as text.
    Text,
    /// A timestamp, shown relative to now ("5 min ago").
    Time,
    /// A status word, coloured on a terminal.
    Status,
}

/// A table column: header, JSON field, kind.
pub type Column = (&'static str, &'static str, Cell);

/// Shows a list: the JSON array, the ids, or a table of `columns`.
pub fn list(show: Format, items: &Value, id_field: &str, columns: &[Column]) {
    let items = items.as_array().map(Vec::as_slice).unwrap_or_default();
    if show.json {
        output::stdout(&format!("{}\n", Value::Array(items.to_vec())));
    } else if show.quiet {
        for item in items {
            output::stdout(&format!("{}\n", text(&item[id_field])));
        }
    } else if items.is_empty() {
        output::stdout("nothing yet\n");
    } else {
        let now = Utc::now();
        let headers: Vec<&str> = columns.iter().map(|(h, _, _)| *h).collect();
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|item| {
                columns
                    .iter()
                    .map(|(_, f, kind)| match kind {
                        Cell::Time => relative(&item[*f], now),
                        Cell::Text | Cell::Status => text(&item[*f]),
                    })
                    .collect()
            })
            .collect();
        let colour = colour_stdout();
        let table = output::table(&headers, &rows, |col, cell| match columns[col].2 {
            Cell::Status if colour => status_colour(cell.trim()),
            _ => None,
        });
        output::stdout(&table);
    }
}

/// Shows one answer: its JSON, the object's id, or `human`.
pub fn one(show: Format, answer: &Value, object: &Value, human: &str) {
    if show.json {
        output::stdout(&format!("{answer}\n"));
    } else if show.quiet {
        output::stdout(&format!("{}\n", text(&object["id"])));
    } else {
        output::stdout(&format!("{human}\n"));
    }
}

/// A JSON value as a cell: strings bare, null as `-`, lists joined.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// An RFC 3339 timestamp relative to `now` (see
/// [`inlet_core::model::relative_time`]); anything else as [`text`].
pub fn relative(v: &Value, now: DateTime<Utc>) -> String {
    match v
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    {
        Some(at) => inlet_core::model::relative_time(at.with_timezone(&Utc), now),
        None => text(v),
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set (no-color.org).
pub fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && no_color_unset()
}

/// `NO_COLOR` is unset or empty.
pub fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The ANSI colour of a status word: green for good, red for bad, yellow
/// for in between.
fn status_colour(status: &str) -> Option<&'static str> {
    match status {
        "active" | "completed" | "true" => Some("32"),
        "failed" | "cancelled" | "false" => Some("31"),
        "pending" | "testing" | "queued" | "running" | "maintenance" => Some("33"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn cells() {
        assert_eq!(text(&Value::Null), "-");
        assert_eq!(text(&json!(["a", "b"])), "a, b");
        assert_eq!(text(&json!(3)), "3");
    }

    #[test]
    fn times_relative_to_now() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let at = |s: &str| relative(&json!(s), now);
        assert_eq!(at("2026-11-27T11:59:50Z"), "just now");
        assert_eq!(at("2026-11-27T11:55:00Z"), "5 min ago");
        assert_eq!(at("2026-11-27T09:00:00+00:00"), "3 h ago");
        assert_eq!(at("2026-11-26T12:00:00Z"), "1 day ago");
        assert_eq!(at("2026-11-20T12:00:00Z"), "7 days ago");
        assert_eq!(at("2026-11-27T14:00:00Z"), "in 2 h");
        assert_eq!(at("2024-11-27T12:00:00Z"), "2 years ago");
        assert_eq!(relative(&Value::Null, now), "-");
        assert_eq!(relative(&json!("soon"), now), "soon");
    }
}
