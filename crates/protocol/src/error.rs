//! Stable error codes seen unchanged by Rust and JavaScript callers.

use crate::text::write_parts;
use std::fmt;

/// An enum of stable wire strings: each variant, its string, and the lookups both ways.
macro_rules! wire_codes {
    (
        $(#[$enum_doc:meta])* $name:ident {
            $($(#[$doc:meta])* $variant:ident => $code:literal,)*
        }
    ) => {
        $(#[$enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$doc])* $variant,)*
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code's wire string.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            /// Looks a wire string up; `None` for anything not in `ALL`.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_codes;

wire_codes! {
    /// A stable string code carried by every error the hub and SDK report.
    ///
    /// The strings never change once published: JavaScript code switches on them
    /// (`ALL` generates the TypeScript union).
    ErrorCode {
        /// No stored token satisfies the request; the caller must sign in.
        LoginRequired => "login_required",
        /// Unpartitioned storage needs a user gesture or consent first.
        ConsentRequired => "consent_required",
        /// The caller's origin is not registered for this client.
        OriginNotAllowed => "origin_not_allowed",
        /// The message or its parameters are malformed.
        InvalidRequest => "invalid_request",
        /// The envelope names a protocol version this side does not speak.
        UnsupportedVersion => "unsupported_version",
        /// The other side did not answer in time.
        Timeout => "timeout",
        /// No storage is usable for this operation.
        StorageUnavailable => "storage_unavailable",
        /// The authorization server rejected the assertion.
        InvalidGrant => "invalid_grant",
        /// The requested scope exceeds what the client may have.
        InvalidScope => "invalid_scope",
        /// An access token failed its checks.
        InvalidToken => "invalid_token",
        /// The browser blocked the first-party popup.
        PopupBlocked => "popup_blocked",
        /// The server could not be reached.
        NetworkError => "network_error",
        /// The server failed in a way the caller cannot fix.
        ServerError => "server_error",
        /// The connection was destroyed; create a new one.
        Destroyed => "destroyed",
        /// The partner is not registered to receive raw tokens (`--expose-tokens`).
        TokenNotExposed => "token_not_exposed",
        /// An `appearance` variable is unknown or its value breaks its grammar.
        InvalidAppearance => "invalid_appearance",
        /// The page's CSP or the frame's `frame-ancestors` kept XYZ's frame from loading.
        FrameBlocked => "frame_blocked",
        /// The partner's `getAssertion` or `getSession` failed (its error is the cause).
        AssertionFailed => "assertion_failed",
        /// The tenant has no form schema yet (`crosspass form set` makes one).
        FormNotConfigured => "form_not_configured",
    }
}

/// An error as it travels in an RPC reply: a stable code and a human-readable message.
///
/// Messages never contain tokens or assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    /// The stable code.
    pub code: ErrorCode,
    /// A short explanation for developers.
    pub message: String,
}

impl RpcError {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

crate::json_text_member!(
    ErrorCode,
    |c| ErrorCode::from_code(c).ok_or("unknown error code"),
    as_str,
    "ErrorCode"
);
crate::json_object!(RpcError, "error", deny_unknown { code, message });

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_parts(f, &[self.code.as_str(), ": ", &self.message])
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(*code));
            let e = RpcError::new(*code, "m");
            assert_eq!(
                e.to_json(),
                format!(r#"{{"code":"{}","message":"m"}}"#, code.as_str())
            );
            assert_eq!(RpcError::from_json(&e.to_json()).unwrap(), e);
        }
        assert_eq!(ErrorCode::from_code("LOGIN_REQUIRED"), None);
    }

    #[test]
    fn rpc_error_rejects_unknown_codes_and_fields() {
        assert!(RpcError::from_json(r#"{"code":"nope","message":""}"#).is_err());
        assert!(RpcError::from_json(r#"{"code":"timeout","message":"","extra":1}"#).is_err());
    }
}
