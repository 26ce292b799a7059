//! Values for a source type's fields, as the catalog describes them (the
//! catalog is the only place fields are defined): `--field name=value`
//! (`name=@path` reads a file), a secret from standard input, or a prompt
//! on a terminal — secret fields without echo. A secret is never taken
//! from the command line itself, where shell history and process lists
//! would keep it.

use std::io::IsTerminal;

use inlet_core::model::catalog::FieldType;
use serde_json::{Map, Value};

use super::remote::Failure;
use super::secret;

/// A field of a source type, from `GET /api/v1/sources/{shortName}`.
#[derive(Debug, Clone)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// `string`, `number`, `integer`, `boolean`, `password` or `array`.
    pub kind: String,
    /// Must be set.
    pub required: bool,
    /// Encrypted at rest, never shown.
    pub secret: bool,
    /// What it is for.
    pub description: String,
    /// The allowed values, when there is a fixed set.
    pub options: Vec<String>,
}

impl Field {
    /// The fields of a catalog answer's `authFields` or `configFields`.
    pub fn all(list: &Value) -> Vec<Field> {
        list.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|f| Field {
                name: f["name"].as_str().unwrap_or_default().to_owned(),
                kind: f["type"].as_str().unwrap_or("string").to_owned(),
                required: f["required"].as_bool().unwrap_or(false),
                secret: f["secret"].as_bool().unwrap_or(false),
                description: f["description"].as_str().unwrap_or_default().to_owned(),
                options: f["options"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|o| o.as_str().map(str::to_owned))
                    .collect(),
            })
            .collect()
    }

    /// `text` as this field's JSON type; an empty text is no value.
    pub fn value(&self, text: &str) -> Result<Option<Value>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        let kind = FieldType::from_wire(&self.kind).unwrap_or(FieldType::String);
        let v = kind
            .parse_text(text)
            .map_err(|what| format!("{} must be {what}, not {text:?}", self.name))?;
        if !self.options.is_empty() && !self.options.iter().any(|o| o == text) {
            return Err(format!(
                "{} must be one of {}, not {text:?}",
                self.name,
                self.options.join(", ")
            ));
        }
        Ok(Some(v))
    }
}

/// `name=value` from the command line (clap's value parser).
pub fn pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("expected NAME=VALUE (or NAME=@FILE), got {s:?}")),
    }
}

/// When to ask on a terminal.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Required fields that are still missing.
    Missing,
    /// Every secret field (an empty answer keeps the stored value).
    Secrets,
    /// Never.
    Never,
}

/// Where the values come from.
pub struct Sources<'a> {
    /// `--field`/`--config` pairs.
    pub given: &'a [(String, String)],
    /// The flag they came with, for messages.
    pub flag: &'a str,
    /// Read the first secret field not otherwise given from standard input.
    pub secret_stdin: bool,
    /// Fields that already have a value (left out, they keep it).
    pub present: &'a [String],
    /// When to prompt.
    pub ask: Ask,
}

/// The values for `fields`, checked against the catalog.
pub fn collect(fields: &[Field], from: Sources<'_>) -> Result<Map<String, Value>, Failure> {
    let usage = Failure::Usage;
    let mut values = Map::new();
    for (name, raw) in from.given {
        let field = fields.iter().find(|f| &f.name == name).ok_or_else(|| {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            usage(format!(
                "{} {name}: no such field; this source type takes {}",
                from.flag,
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            ))
        })?;
        let text = match raw.strip_prefix('@') {
            Some(path) => read_file(name, path)?,
            None if field.secret => {
                return Err(usage(format!(
                    "{name} is secret and is not taken from the command line: use {} {name}=@FILE, --password-stdin, or answer the prompt",
                    from.flag
                )));
            }
            None => raw.clone(),
        };
        if let Some(v) = field.value(&text).map_err(usage)? {
            values.insert(name.clone(), v);
        }
    }
    if from.secret_stdin {
        let field = fields
            .iter()
            .find(|f| f.secret && !values.contains_key(&f.name))
            .ok_or_else(|| usage("--password-stdin: no secret field is left to fill".into()))?;
        let text = read_stdin()?;
        if let Some(v) = field.value(&text).map_err(usage)? {
            values.insert(field.name.clone(), v);
        }
    }
    let on_terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if on_terminal && from.ask != Ask::Never {
        for field in fields {
            let wanted = match from.ask {
                Ask::Missing => {
                    field.required
                        && !values.contains_key(&field.name)
                        && !from.present.contains(&field.name)
                }
                Ask::Secrets => field.secret && !values.contains_key(&field.name),
                Ask::Never => false,
            };
            if wanted && let Some(v) = prompt(field, from.ask == Ask::Secrets)? {
                values.insert(field.name.clone(), v);
            }
        }
    }
    let missing: Vec<&str> = fields
        .iter()
        .filter(|f| f.required && !values.contains_key(&f.name) && !from.present.contains(&f.name))
        .map(|f| f.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(usage(format!(
            "missing required field(s) {}: give {} NAME=VALUE (NAME=@FILE for secrets), or run on a terminal to be asked",
            missing.join(", "),
            from.flag
        )));
    }
    Ok(values)
}

/// Asks for one field on the terminal: secret ones without echo (Ctrl-C
/// there cancels the command, see [`secret`]).
fn prompt(field: &Field, keep_if_empty: bool) -> Result<Option<Value>, Failure> {
    let mut label = field.name.clone();
    if !field.description.is_empty() {
        label = format!("{label} ({})", field.description);
    }
    if !field.options.is_empty() {
        label = format!("{label} [{}]", field.options.join("/"));
    }
    if keep_if_empty {
        label.push_str(" (empty keeps the current value)");
    }
    if field.secret {
        let text = secret::ask(&label, keep_if_empty || !field.required, &field.name)?;
        return field.value(&text).map_err(Failure::Usage);
    }
    let failed = |e: dialoguer::Error| Failure::Usage(format!("reading {}: {e}", field.name));
    let text: String = dialoguer::Input::new()
        .with_prompt(label)
        .allow_empty(!field.required)
        .validate_with(|s: &String| field.value(s).map(|_| ()))
        .interact_text()
        .map_err(failed)?;
    field.value(&text).map_err(Failure::Usage)
}

/// A file's text without its final line break.
fn read_file(name: &str, path: &str) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("{name}: reading {path}: {e}")))?;
    Ok(strip_newline(text))
}

/// Standard input's text without its final line break.
fn read_stdin() -> Result<String, Failure> {
    let text = std::io::read_to_string(std::io::stdin())
        .map_err(|e| Failure::Usage(format!("--password-stdin: reading standard input: {e}")))?;
    Ok(strip_newline(text))
}

fn strip_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn catalog() -> Vec<Field> {
        Field::all(&json!([
            {"name": "host", "type": "string", "required": true, "secret": false},
            {"name": "port", "type": "number", "required": false, "secret": false},
            {"name": "password", "type": "password", "required": true, "secret": true},
            {"name": "sslmode", "type": "string", "required": false, "secret": false,
             "options": ["disable", "require"]},
            {"name": "schemas", "type": "array", "required": false, "secret": false},
        ]))
    }

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    }

    fn from<'a>(given: &'a [(String, String)], present: &'a [String]) -> Sources<'a> {
        Sources {
            given,
            flag: "--field",
            secret_stdin: false,
            present,
            ask: Ask::Never,
        }
    }

    #[test]
    fn values_take_the_catalogs_types() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "s3cret\n").unwrap();
        let g = given(&[
            ("host", "db"),
            ("port", "5432"),
            ("password", &format!("@{}", pw.display())),
            ("schemas", "public, sales"),
        ]);
        let v = collect(&catalog(), from(&g, &[])).unwrap();
        assert_eq!(
            Value::Object(v),
            json!({"host": "db", "port": 5432, "password": "s3cret", "schemas": ["public", "sales"]})
        );
    }

    #[test]
    fn bad_values_are_usage_errors_that_name_the_field() {
        let cases = [
            (
                given(&[("host", "db"), ("port", "x")]),
                "port must be a number",
            ),
            (
                given(&[("host", "db"), ("password", "inline")]),
                "password is secret",
            ),
            (
                given(&[("hots", "db")]),
                "--field hots: no such field; this source type takes host, port",
            ),
            (
                given(&[("host", "db"), ("sslmode", "on")]),
                "sslmode must be one of disable, require",
            ),
            (
                given(&[("host", "db")]),
                "missing required field(s) password",
            ),
        ];
        for (g, want) in cases {
            let err = collect(&catalog(), from(&g, &[])).err().unwrap();
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().contains(want), "{err} / {want}");
            assert!(!err.to_string().contains("inline"), "{err}");
        }
    }

    #[test]
    fn present_fields_need_not_be_given_again() {
        let present = vec!["host".to_owned(), "password".to_owned()];
        let g = given(&[("port", "6432")]);
        let v = collect(&catalog(), from(&g, &present)).unwrap();
        assert_eq!(Value::Object(v), json!({"port": 6432}));
    }

    #[test]
    fn pairs() {
        assert_eq!(pair("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert_eq!(pair("a=").unwrap(), ("a".into(), String::new()));
        assert!(pair("novalue").is_err());
        assert!(pair("=x").is_err());
    }
}
