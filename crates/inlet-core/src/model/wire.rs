//! Enums with a fixed wire (and store) name per value, spelled in one place,
//! and parsed with one error wording in every API.

use crate::error::{CoreError, CoreResult};

/// An enum whose values each have one wire (and store) name.
pub trait WireEnum: Copy + Sized + 'static {
    /// Every value, in the order error messages list them.
    const ALL: &'static [Self];

    /// The wire name.
    fn as_str(self) -> &'static str;

    /// The value named `s`, or `None`.
    fn from_wire(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }

    /// Parses input for `field`: case and camelCase are forgiven
    /// (`createdAt`, `CREATED_AT` and `created_at` are one value), and
    /// anything else is the one error every API gives, listing the values.
    fn parse_field(s: &str, field: &str) -> CoreResult<Self> {
        Self::from_wire(&snake_case(s.trim()))
            .ok_or_else(|| CoreError::invalid(field, format!("must be one of {}", Self::allowed())))
    }

    /// The wire names, comma-separated, for messages and documentation.
    fn allowed() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
        names.join(", ")
    }
}

/// `createdAt` → `created_at`, `ASC` → `asc`.
fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c);
        }
    }
    out
}

/// Implements [`WireEnum`] and `Display` for a fieldless enum from
/// `Variant => "name"` pairs.
#[macro_export]
macro_rules! wire_enum {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $crate::model::wire::WireEnum for $ty {
            const ALL: &'static [Self] = &[$(<$ty>::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $name),+ }
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::model::wire::WireEnum::as_str(*self))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Sort {
        CreatedAt,
        Name,
    }
    crate::wire_enum!(Sort { CreatedAt => "created_at", Name => "name" });

    #[test]
    fn spellings_are_forgiven_and_errors_list_the_values() {
        for s in ["created_at", "createdAt", "CREATED_AT", " created_at "] {
            assert_eq!(
                Sort::parse_field(s, "sort_by").unwrap(),
                Sort::CreatedAt,
                "{s}"
            );
        }
        let err = Sort::parse_field("size", "sort_by")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "sort_by: must be one of created_at, name");
    }
}
