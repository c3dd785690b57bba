//! Identifiers that name registry entries: clients, tenants and downstream APIs.

use crate::text::{Describe, Sink};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest identifier accepted.
pub const MAX_ID_LEN: usize = 64;

/// Why an identifier was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdError {
    /// Empty or longer than [`MAX_ID_LEN`].
    Length,
    /// A character outside `A-Z a-z 0-9 . _ -`.
    Charset,
}

impl Describe for IdError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        f.write_str(match self {
            // A literal, free of formatting code; a test ties it to the constant.
            IdError::Length => "identifier must be 1 to 64 characters",
            IdError::Charset => "identifier may only contain letters, digits, '.', '_' and '-'",
        })
    }
}

crate::display_by_describe!(IdError);

impl std::error::Error for IdError {}

fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() || s.len() > MAX_ID_LEN {
        return Err(IdError::Length);
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(IdError::Charset);
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an identifier.
            pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                check_id(&s)?;
                Ok(Self(s))
            }

            /// The identifier as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        crate::json_text_member!($name, $name::new, as_str);

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A registered partner client, e.g. `abc`.
    ClientId
);
id_type!(
    /// A tenant: the business customer that owns one or more clients.
    TenantId
);
id_type!(
    /// A downstream API outside XYZ that accepts XYZ-issued tokens, e.g. `myhealth`.
    DownstreamId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_message_names_the_limit() {
        let message = IdError::Length.to_string();
        assert!(message.contains(&MAX_ID_LEN.to_string()), "{message}");
    }

    #[test]
    fn accepts_plain_ids_and_rejects_others() {
        assert_eq!(
            ClientId::new("abc-web_1.0").unwrap().as_str(),
            "abc-web_1.0"
        );
        assert_eq!(ClientId::new(""), Err(IdError::Length));
        assert_eq!(ClientId::new("a".repeat(65)), Err(IdError::Length));
        assert_eq!(ClientId::new("a b"), Err(IdError::Charset));
        assert_eq!(TenantId::new("ä"), Err(IdError::Charset));
        assert!(serde_json::from_str::<ClientId>("\"../x\"").is_err());
        assert!(serde_json::from_str::<ClientId>("1").is_err());
    }
}
