//! Enums with a fixed wire (and store) name per value, spelled in one place.

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
