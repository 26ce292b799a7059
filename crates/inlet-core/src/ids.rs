//! Typed identifiers. The store keys every object with an integer (what 001
//! shows); the core API renders it with a type prefix (`sc_12`, `col_3`, what
//! 003 shows). Parsing accepts either form, so clients of both work.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The prefix used in the core API's string form.
            pub const PREFIX: &'static str = $prefix;

            /// Parses `"<prefix>_<n>"` or a bare positive integer.
            pub fn parse(s: &str) -> Option<Self> {
                let digits = s
                    .strip_prefix(concat!($prefix, "_"))
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
    }
}
