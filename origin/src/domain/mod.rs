//! Types and rules of the affiliate program, free of I/O.

/// A closed set of values with one stored and wire form each: the same text in the database,
/// in the API (and its OpenAPI schema) and in CSV.
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
        $(#[$m])*
        pub enum $name { $($(#[$vm])* #[oai(rename = $text)] $variant),+ }

        impl $name {
            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses the stored and wire form.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            /// Reads the stored form (a row's column).
            fn try_from(stored: String) -> Result<Self, String> {
                Self::parse(&stored).ok_or_else(|| format!("{stored:?} is not a {}", stringify!($name)))
            }
        }
    };
}

/// A field of a form or request that is not right, and what to do about it: the API answers
/// the message, a page shows it beside the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, as the form and the API name it.
    pub field: &'static str,
    /// What to fix.
    pub message: String,
}

impl FieldError {
    /// `message` about `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

pub mod account;
pub mod affiliate;
pub mod api_key;
pub mod attribution;
pub mod calendar;
pub mod campaign;
pub mod click;
pub mod commission;
pub mod csv;
pub mod ids;
pub mod lead;
pub mod link;
pub mod money;
pub mod period;
pub mod redact;
pub mod retry;
pub mod secrets;
pub mod stats;
pub mod throttle;
