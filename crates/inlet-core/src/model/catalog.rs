//! The catalog of source types: what each connector needs to be configured.

use serde::Serialize;

/// The JSON type a field takes; `password` is a string that is secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// A JSON string.
    String,
    /// A JSON number (integers included).
    Number,
    /// A JSON integer.
    Integer,
    /// A JSON boolean.
    Boolean,
    /// A secret string; never returned.
    Password,
    /// A JSON array of strings.
    Array,
}

impl FieldType {
    /// The type of a wire name (`number`, …).
    pub fn from_wire(name: &str) -> Option<Self> {
        [
            Self::String,
            Self::Number,
            Self::Integer,
            Self::Boolean,
            Self::Password,
            Self::Array,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }

    /// Typed text (a form field, a command-line value) as this type's
    /// JSON: whole numbers stay whole, booleans accept true/false, yes/no,
    /// 1/0 and on (a checked checkbox), arrays are comma-separated. The
    /// error says what the text must be.
    pub fn parse_text(self, text: &str) -> Result<serde_json::Value, &'static str> {
        use serde_json::Value;
        match self {
            Self::Integer => text
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| "a whole number"),
            Self::Number => match text.trim().parse::<i64>() {
                Ok(n) => Ok(Value::from(n)),
                Err(_) => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or("a number"),
            },
            Self::Boolean => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" => Ok(Value::Bool(true)),
                "false" | "no" | "0" | "off" => Ok(Value::Bool(false)),
                _ => Err("true or false"),
            },
            Self::Array => Ok(Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            )),
            Self::String | Self::Password => Ok(Value::String(text.to_owned())),
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Password => "password",
            Self::Array => "array",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::FieldType;

    #[test]
    fn text_takes_the_fields_type() {
        assert_eq!(FieldType::Number.parse_text("5432"), Ok(json!(5432)));
        assert_eq!(FieldType::Number.parse_text("1.5"), Ok(json!(1.5)));
        assert_eq!(FieldType::Integer.parse_text("1.5"), Err("a whole number"));
        assert_eq!(FieldType::Boolean.parse_text("on"), Ok(json!(true)));
        assert_eq!(FieldType::Array.parse_text("a, b,"), Ok(json!(["a", "b"])));
        assert_eq!(FieldType::Password.parse_text(" x "), Ok(json!(" x ")));
        assert_eq!(FieldType::from_wire("array"), Some(FieldType::Array));
        assert_eq!(FieldType::from_wire("blob"), None);
    }
}

/// One credential or configuration field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    /// Field name as sent by clients.
    pub name: &'static str,
    /// JSON type.
    pub kind: FieldType,
    /// Whether a value must be given.
    pub required: bool,
    /// Whether the value is secret (encrypted at rest, never returned).
    pub secret: bool,
    /// One-line help.
    pub description: &'static str,
    /// Allowed values, for enumerations.
    pub options: &'static [&'static str],
    /// Inclusive bounds, for numbers.
    pub range: Option<(i64, i64)>,
    /// For a secret: the credential fields that decide where it is sent
    /// (host, port, URL, the user it is sent with). Changing any of them
    /// without giving this secret again is refused, so a stored secret can
    /// never be sent somewhere new by whoever edits the connection.
    pub bound_to: &'static [&'static str],
}

impl FieldSpec {
    /// A field of `kind`; `password` fields are secret.
    pub const fn new(name: &'static str, kind: FieldType, required: bool) -> Self {
        Self {
            name,
            kind,
            required,
            secret: matches!(kind, FieldType::Password),
            description: "",
            options: &[],
            range: None,
            bound_to: &[],
        }
    }

    /// Binds a secret to the fields that decide where it is sent.
    pub const fn bound_to(mut self, fields: &'static [&'static str]) -> Self {
        self.bound_to = fields;
        self
    }

    /// Adds a description.
    pub const fn describe(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// Restricts a string to `options`.
    pub const fn one_of(mut self, options: &'static [&'static str]) -> Self {
        self.options = options;
        self
    }

    /// Restricts a number to `lo..=hi`.
    pub const fn between(mut self, lo: i64, hi: i64) -> Self {
        self.range = Some((lo, hi));
        self
    }
}

/// A source type: a connector's catalog entry.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceType {
    /// Stable catalog id (`src_postgresql`).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Short name used in URLs and requests.
    pub short_name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// How it authenticates (`credentials`, `none`, `token`, `ssh_key`).
    pub auth_methods: &'static [&'static str],
    /// Labels (`database`, `file`, `code`).
    pub labels: &'static [&'static str],
    /// Whether it can sync continuously.
    pub supports_continuous: bool,
    /// Credential fields (secret ones are `password` typed).
    pub auth_fields: Vec<FieldSpec>,
    /// Configuration fields.
    pub config_fields: Vec<FieldSpec>,
}
