//! The hub's one error type, mapped once to the protocol's stable codes.

use crosspass_protocol::claims::ClaimError;
use crosspass_protocol::jose::JoseError;
use crosspass_protocol::{ErrorCode, RpcError};

/// Everything a hub method can fail with. Messages never carry token text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// No stored token satisfies the request.
    #[error("no session for the requested scope; sign in first")]
    LoginRequired,
    /// An access token is not a readable JWT.
    #[error("access token is malformed: {0}")]
    MalformedToken(#[from] JoseError),
    /// An access token is bound to something else, or expired.
    #[error("access token rejected: {0}")]
    TokenRejected(#[from] ClaimError),
    /// The access token's `typ` is not `at+jwt`.
    #[error("not an access token (typ must be at+jwt)")]
    NotAnAccessToken,
    /// The token endpoint refused the assertion.
    #[error("the authorization server rejected the assertion")]
    InvalidGrant,
    /// The token endpoint refused the requested scope.
    #[error("the requested scope is not allowed for this client")]
    InvalidScope,
    /// The token endpoint refused the request itself.
    #[error("the authorization server rejected the request")]
    BadTokenRequest,
    /// The token endpoint could not be reached.
    #[error("the authorization server could not be reached")]
    Network,
    /// The token endpoint failed or answered something unreadable.
    #[error("the authorization server failed ({0})")]
    Server(String),
    /// No storage could hold the session.
    #[error("storage is unavailable")]
    StorageUnavailable,
    /// The browser blocked the first-party window.
    #[error("the browser blocked the XYZ window")]
    PopupBlocked,
    /// The user did not finish the storage consent.
    #[error("storage access was not granted")]
    ConsentRequired,
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
        }
    }

    /// The failure as it travels in an RPC reply.
    pub fn to_rpc_error(&self) -> RpcError {
        RpcError::new(self.code(), self.to_string())
    }
}
