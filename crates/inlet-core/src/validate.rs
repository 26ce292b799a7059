//! Validated input: names, descriptions, tags, e-mails, and credential or
//! configuration objects checked against a source type's field specs.

use serde_json::{Map, Value};

use crate::error::{CoreError, CoreResult};
use crate::model::catalog::{FieldSpec, FieldType};

/// Longest name accepted.
pub const MAX_NAME_LEN: usize = 200;
/// Longest description accepted.
pub const MAX_DESCRIPTION_LEN: usize = 4000;
/// Most tags on one connection.
pub const MAX_TAGS: usize = 32;
/// Longest tag.
pub const MAX_TAG_LEN: usize = 64;

/// A trimmed, non-empty name of at most [`MAX_NAME_LEN`] characters, without control characters.
pub fn name(field: &str, raw: &str) -> CoreResult<String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(CoreError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > MAX_NAME_LEN {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// A description of at most [`MAX_DESCRIPTION_LEN`] characters.
pub fn description(field: &str, raw: &str) -> CoreResult<String> {
    if raw.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    Ok(raw.trim().to_owned())
}

/// Tags: each trimmed, non-empty, short; duplicates dropped, order kept.
pub fn tags(field: &str, raw: &[String]) -> CoreResult<Vec<String>> {
    if raw.len() > MAX_TAGS {
        return Err(CoreError::invalid(
            field,
            format!("at most {MAX_TAGS} tags are allowed"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > MAX_TAG_LEN || t.chars().any(char::is_control) {
            return Err(CoreError::invalid(
                format!("{field}[{i}]"),
                format!("a tag is 1 to {MAX_TAG_LEN} printable characters"),
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// A plausible e-mail address, lowercased.
pub fn email(field: &str, raw: &str) -> CoreResult<String> {
    let v = raw.trim().to_lowercase();
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(v)
    } else {
        Err(CoreError::invalid(field, "must be an e-mail address"))
    }
}

/// The outcome of checking an object against field specs: non-secret values
/// and secret values, split so secrets can be sealed apart.
#[derive(Debug, Default)]
pub struct CheckedFields {
    /// Values of non-secret fields.
    pub plain: Map<String, Value>,
    /// Values of secret fields.
    pub secret: Map<String, Value>,
}

/// Checks `values` against `specs`: unknown fields, missing required fields
/// and wrong types are errors naming `<prefix>.<field>`. A required secret
/// listed in `secrets_already_set` may be omitted (it keeps its stored value).
/// Error messages never include a submitted value.
pub fn fields(
    prefix: &str,
    specs: &[FieldSpec],
    values: &Map<String, Value>,
    secrets_already_set: &[String],
) -> CoreResult<CheckedFields> {
    let mut out = CheckedFields::default();
    for key in values.keys() {
        if !specs.iter().any(|s| s.name == key) {
            let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
            return Err(CoreError::invalid(
                format!("{prefix}.{key}"),
                format!("unknown field; expected one of: {}", known.join(", ")),
            ));
        }
    }
    for spec in specs {
        let path = format!("{prefix}.{}", spec.name);
        match values.get(spec.name) {
            None | Some(Value::Null) => {
                let kept = spec.secret && secrets_already_set.iter().any(|s| s == spec.name);
                if spec.required && !kept {
                    return Err(CoreError::invalid(path, "is required"));
                }
            }
            Some(v) => {
                check_type(&path, spec, v)?;
                let target = if spec.secret {
                    &mut out.secret
                } else {
                    &mut out.plain
                };
                target.insert(spec.name.to_owned(), v.clone());
            }
        }
    }
    Ok(out)
}

fn check_type(path: &str, spec: &FieldSpec, v: &Value) -> CoreResult<()> {
    let wrong = |what: &str| CoreError::invalid(path, format!("must be {what}"));
    match spec.kind {
        FieldType::String | FieldType::Password => {
            let s = v.as_str().ok_or_else(|| wrong("a string"))?;
            if spec.required && s.trim().is_empty() && !spec.secret {
                return Err(CoreError::invalid(path, "must not be empty"));
            }
            if s.len() > 64 * 1024 {
                return Err(CoreError::invalid(path, "is too long"));
            }
            if !spec.options.is_empty() && !spec.options.contains(&s) {
                return Err(wrong(&format!("one of: {}", spec.options.join(", "))));
            }
        }
        FieldType::Number | FieldType::Integer => {
            let n = if spec.kind == FieldType::Integer || spec.range.is_some() {
                v.as_i64().ok_or_else(|| wrong("an integer"))?
            } else {
                v.as_f64().ok_or_else(|| wrong("a number"))? as i64
            };
            if let Some((lo, hi)) = spec.range
                && !(lo..=hi).contains(&n)
            {
                return Err(wrong(&format!("between {lo} and {hi}")));
            }
        }
        FieldType::Boolean => {
            v.as_bool().ok_or_else(|| wrong("a boolean"))?;
        }
        FieldType::Array => {
            let items = v.as_array().ok_or_else(|| wrong("an array of strings"))?;
            if items.iter().any(|i| !i.is_string()) {
                return Err(wrong("an array of strings"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn specs() -> Vec<FieldSpec> {
        vec![
            FieldSpec::new("host", FieldType::String, true),
            FieldSpec::new("port", FieldType::Number, true).between(1, 65535),
            FieldSpec::new("password", FieldType::Password, true),
            FieldSpec::new("sslmode", FieldType::String, false).one_of(&["disable", "require"]),
        ]
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn splits_secret_from_plain() {
        let c = fields(
            "credentials",
            &specs(),
            &obj(json!({"host": "h", "port": 5432, "password": "pw"})),
            &[],
        )
        .unwrap();
        assert_eq!(c.plain.len(), 2);
        assert_eq!(c.secret["password"], "pw");
    }

    #[test]
    fn names_the_field_and_never_the_value() {
        let err = fields(
            "credentials",
            &specs(),
            &obj(json!({"host": "h", "port": "5432", "password": "topsecret"})),
            &[],
        )
        .unwrap_err();
        assert!(matches!(&err, CoreError::Invalid { field, .. } if field == "credentials.port"));
        assert!(!err.to_string().contains("topsecret"));

        let err = fields(
            "credentials",
            &specs(),
            &obj(json!({"host": "h", "port": 1})),
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("credentials.password"));

        let err = fields(
            "credentials",
            &specs(),
            &obj(json!({"host": "h", "port": 1, "password": "p", "bogus": 1})),
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("credentials.bogus"));

        let err = fields(
            "credentials",
            &specs(),
            &obj(json!({"host": "h", "port": 70000, "password": "p"})),
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("between 1 and 65535"));
        let err = fields(
            "credentials",
            &specs(),
            &obj(json!({"host": "h", "port": 1, "password": "p", "sslmode": "x"})),
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("one of"));
    }

    #[test]
    fn stored_secret_satisfies_required() {
        let c = fields(
            "credentials",
            &specs(),
            &obj(json!({"host": "h", "port": 1})),
            &["password".into()],
        )
        .unwrap();
        assert!(c.secret.is_empty());
    }

    #[test]
    fn simple_validators() {
        assert_eq!(name("name", "  a  ").unwrap(), "a");
        assert!(name("name", " ").is_err());
        assert!(name("name", &"x".repeat(201)).is_err());
        assert!(email("email", "A@B.io").is_ok());
        assert!(email("email", "nope").is_err());
        assert_eq!(
            tags("tags", &["a".into(), "a".into(), "b".into()]).unwrap(),
            vec!["a", "b"]
        );
        assert!(tags("tags", &["".into()]).is_err());
    }
}
