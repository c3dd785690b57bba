//! Credentials that must never reach a log line, an error message or a URL.
//!
//! `Debug` and `Display` print `[redacted]`; the only way to the text is
//! [`expose_secret`](AccessToken::expose_secret), which makes every use easy to find.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a credential.
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            /// The credential's text. Call only where it is sent on its way.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        crate::json_text_member!(
            $name,
            |s: &str| Ok::<_, &'static str>($name::new(s)),
            expose_secret
        );

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

secret_type!(
    /// A partner-signed assertion (an ID-JAG), redeemable once at the token endpoint.
    Assertion
);
secret_type!(
    /// An XYZ access token (RFC 9068 JWT), presented as a bearer credential.
    AccessToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_secret() {
        let t = AccessToken::new("eyJhbGciOi.secret.sig");
        assert_eq!(format!("{t:?}"), "AccessToken([redacted])");
        assert_eq!(t.to_string(), "[redacted]");
        let a = Assertion::new("s3cr3t");
        assert!(!format!("{a:?} {a}").contains("s3cr3t"));
        assert_eq!(a.expose_secret(), "s3cr3t");
    }

    #[test]
    fn serialises_as_a_plain_string() {
        let t = AccessToken::new("x.y.z");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"x.y.z\"");
        assert_eq!(serde_json::from_str::<AccessToken>("\"x.y.z\"").unwrap(), t);
    }
}
