//! The hub's one error type, mapped once to the protocol's stable codes.

use crosspass_protocol::claims::ClaimError;
use crosspass_protocol::jose::JoseError;
use crosspass_protocol::text::{write_parts, Describe, Sink};
use crosspass_protocol::{ErrorCode, RpcError};
use std::fmt;

/// Everything a hub method can fail with. Messages never carry token text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubError {
    /// No stored token satisfies the request.
    LoginRequired,
    /// An access token is not a readable JWT.
    MalformedToken(JoseError),
    /// An access token is bound to something else, or expired.
    TokenRejected(ClaimError),
    /// The access token's `typ` is not `at+jwt`.
    NotAnAccessToken,
    /// The token endpoint refused the assertion.
    InvalidGrant,
    /// The token endpoint refused the requested scope.
    InvalidScope,
    /// The token endpoint refused the request itself.
    BadTokenRequest,
    /// The token endpoint could not be reached.
    Network,
    /// The token endpoint failed or answered something unreadable.
    Server(String),
    /// No storage could hold the session.
    StorageUnavailable,
    /// The browser blocked the first-party window.
    PopupBlocked,
    /// The user did not finish the storage consent.
    ConsentRequired,
    /// The partner is not registered to receive raw tokens.
    TokenNotExposed,
    /// A method this frame does not answer (the hub frame has no form, the form frame
    /// no session methods).
    NotHere(&'static str),
}

impl Describe for HubError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        match self {
            HubError::LoginRequired => {
                f.write_str("no session for the requested scope; sign in first")
            }
            HubError::MalformedToken(e) => {
                f.write_str("access token is malformed: ")?;
                e.describe(f)
            }
            HubError::TokenRejected(e) => {
                f.write_str("access token rejected: ")?;
                e.describe(f)
            }
            HubError::NotAnAccessToken => f.write_str("not an access token (typ must be at+jwt)"),
            HubError::InvalidGrant => {
                f.write_str("the authorization server rejected the assertion")
            }
            HubError::InvalidScope => {
                f.write_str("the requested scope is not allowed for this client")
            }
            HubError::BadTokenRequest => {
                f.write_str("the authorization server rejected the request")
            }
            HubError::Network => f.write_str("the authorization server could not be reached"),
            HubError::Server(why) => {
                write_parts(f, &["the authorization server failed (", why, ")"])
            }
            HubError::StorageUnavailable => f.write_str("storage is unavailable"),
            HubError::PopupBlocked => f.write_str("the browser blocked the XYZ window"),
            HubError::ConsentRequired => f.write_str("storage access was not granted"),
            HubError::TokenNotExposed => f.write_str(
                "this client is not registered to receive tokens; use fetch() to call the API",
            ),
            HubError::NotHere(method) => {
                write_parts(f, &[method, " is not answered by this frame"])
            }
        }
    }
}

crosspass_protocol::display_by_describe!(HubError);

impl std::error::Error for HubError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HubError::MalformedToken(e) => Some(e),
            HubError::TokenRejected(e) => Some(e),
            _ => None,
        }
    }
}

impl From<JoseError> for HubError {
    fn from(e: JoseError) -> Self {
        HubError::MalformedToken(e)
    }
}

impl From<ClaimError> for HubError {
    fn from(e: ClaimError) -> Self {
        HubError::TokenRejected(e)
    }
}

impl HubError {
    /// The stable code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            HubError::LoginRequired => ErrorCode::LoginRequired,
            HubError::MalformedToken(_)
            | HubError::TokenRejected(_)
            | HubError::NotAnAccessToken => ErrorCode::InvalidToken,
            HubError::InvalidGrant => ErrorCode::InvalidGrant,
            HubError::InvalidScope => ErrorCode::InvalidScope,
            HubError::BadTokenRequest => ErrorCode::InvalidRequest,
            HubError::Network => ErrorCode::NetworkError,
            HubError::Server(_) => ErrorCode::ServerError,
            HubError::StorageUnavailable => ErrorCode::StorageUnavailable,
            HubError::PopupBlocked => ErrorCode::PopupBlocked,
            HubError::ConsentRequired => ErrorCode::ConsentRequired,
            HubError::TokenNotExposed => ErrorCode::TokenNotExposed,
            HubError::NotHere(_) => ErrorCode::InvalidRequest,
        }
    }

    /// The failure as it travels in an RPC reply.
    pub fn to_rpc_error(&self) -> RpcError {
        RpcError::new(self.code(), self.text())
    }
}
