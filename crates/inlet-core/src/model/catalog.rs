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
        }
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
