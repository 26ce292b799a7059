//! What the full-text index sees of a record, and its title.

use serde_json::Value;

/// Column names taken as a record's title, in order of preference
/// (compared case-insensitively); files use their path.
const TITLE_COLUMNS: [&str; 10] = [
    "title",
    "name",
    "subject",
    "label",
    "display_name",
    "full_name",
    "filename",
    "file_name",
    "path",
    "email",
];

/// The first non-empty string among the name-like top-level fields.
pub fn title_of(value: &Value) -> Option<String> {
    let obj = value.as_object()?;
    TITLE_COLUMNS.iter().find_map(|wanted| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(wanted))
            .and_then(|(_, v)| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
}

/// Every string, number and boolean of the record, depth first, one per
/// line: words in values are searchable, JSON punctuation and keys are not.
pub fn index_text(value: &Value) -> String {
    let mut out = String::new();
    push(value, &mut out);
    out
}

fn line(out: &mut String, s: &str) {
    if !s.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(s);
    }
}

fn push(value: &Value, out: &mut String) {
    match value {
        Value::Null => {}
        Value::Bool(b) => line(out, if *b { "true" } else { "false" }),
        Value::Number(n) => line(out, &n.to_string()),
        Value::String(s) => line(out, s),
        Value::Array(items) => items.iter().for_each(|v| push(v, out)),
        Value::Object(map) => map.values().for_each(|v| push(v, out)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn titles_prefer_name_like_columns() {
        assert_eq!(
            title_of(&json!({"id": 1, "Name": " Ada ", "title": ""})),
            Some("Ada".into())
        );
        assert_eq!(title_of(&json!({"id": 1})), None);
        assert_eq!(
            title_of(&json!({"path": "src/main.rs", "text": "fn main"})),
            Some("src/main.rs".into())
        );
    }

    #[test]
    fn text_holds_values_not_keys() {
        let t = index_text(
            &json!({"secret_key_name": "café", "tags": ["a", "b"], "n": 1.5, "j": {"x": true}, "z": null}),
        );
        // Top-level fields in key order (serde_json sorts them).
        assert_eq!(t, "true\n1.5\ncafé\na\nb");
    }
}
