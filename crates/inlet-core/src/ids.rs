//! Typed identifiers. The store keys every object with an integer (what 001
//! shows); the core API renders it with a type prefix (`sc_12`, `col_3`, what
//! 003 shows). Parsing accepts either form, so clients of both work.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal $(, $alias:literal)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The prefix used in the core API's string form.
            pub const PREFIX: &'static str = $prefix;

            /// Parses `"<prefix>_<n>"` (or an alias prefix) or a bare positive integer.
            pub fn parse(s: &str) -> Option<Self> {
                let digits = s
                    .strip_prefix(concat!($prefix, "_"))
                    $(.or_else(|| s.strip_prefix(concat!($alias, "_"))))*
                    .unwrap_or(s);
                match digits.parse::<i64>() {
                    Ok(n) if n > 0 && !digits.starts_with('+') => Some(Self(n)),
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "_{}"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                Self::parse(s).ok_or(())
            }
        }
    };
}

id_type!(
    /// An organization (tenant).
    OrgId, "org");
id_type!(
    /// A user.
    UserId, "usr");
id_type!(
    /// An API key.
    ApiKeyId, "key");
id_type!(
    /// A collection of connections.
    CollectionId, "col");
id_type!(
    /// A source connection.
    ConnectionId, "sc");
id_type!(
    /// A background job. Sync jobs are shown as `sync_<n>` (003's `syncId`),
    /// other kinds as `job_<n>`; both forms parse.
    JobId, "job", "sync");
id_type!(
    /// An indexed document.
    DocumentId, "doc");

/// A job's id as shown to clients: `sync_<n>` for syncs (003's `syncId`),
/// `job_<n>` for other kinds.
pub fn job_label(id: JobId, kind: crate::model::job::JobKind) -> String {
    match kind {
        crate::model::job::JobKind::Sync => format!("sync_{}", id.0),
        crate::model::job::JobKind::SchemaRefresh => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_and_bare() {
        assert_eq!(ConnectionId::parse("sc_42"), Some(ConnectionId(42)));
        assert_eq!(ConnectionId::parse("42"), Some(ConnectionId(42)));
        assert_eq!(ConnectionId::parse("col_42"), None);
        assert_eq!(ConnectionId::parse("sc_0"), None);
        assert_eq!(ConnectionId::parse("sc_-1"), None);
        assert_eq!(ConnectionId::parse("+1"), None);
        assert_eq!(ConnectionId::parse(""), None);
        assert_eq!(CollectionId(7).to_string(), "col_7");
        assert_eq!(JobId::parse("sync_9"), Some(JobId(9)));
        assert_eq!(JobId::parse("job_9"), Some(JobId(9)));
        assert_eq!(JobId::parse("sc_9"), None);
    }
}
