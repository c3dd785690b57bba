//! The SDK's one error type, seen by JavaScript as an `Error` named `CrosspassError`
//! whose `code` is one of the protocol's stable strings.

use crosspass_protocol::{ErrorCode, RpcError};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// Everything the SDK reports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SdkError {
    /// The hub answered with an error.
    #[error("{}", .0.message)]
    Hub(RpcError),
    /// The caller passed something unusable.
    #[error("{0}")]
    InvalidArgument(String),
    /// The hub did not answer in time.
    #[error("{0}")]
    Timeout(String),
    /// No session, and no way to start one.
    #[error("{0}")]
    LoginRequired(String),
    /// A request to the XYZ API failed before any response.
    #[error("the XYZ API could not be reached")]
    Network,
    /// `destroy()` was called.
    #[error("this Crosspass connection was destroyed")]
    Destroyed,
    /// The hub sent something this SDK cannot read.
    #[error("unexpected message from the hub: {0}")]
    Protocol(String),
}

impl SdkError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            SdkError::Hub(e) => e.code,
            SdkError::InvalidArgument(_) | SdkError::Protocol(_) => ErrorCode::InvalidRequest,
            SdkError::Timeout(_) => ErrorCode::Timeout,
            SdkError::LoginRequired(_) => ErrorCode::LoginRequired,
            SdkError::Network => ErrorCode::NetworkError,
            SdkError::Destroyed => ErrorCode::Destroyed,
        }
    }

    /// The JavaScript error: `Error` with `name = "CrosspassError"` and `code`.
    pub fn to_js(&self) -> JsValue {
        let error = js_sys::Error::new(&self.to_string());
        error.set_name("CrosspassError");
        let _ = Reflect::set(&error, &"code".into(), &self.code().as_str().into());
        error.into()
    }
}

impl From<SdkError> for JsValue {
    fn from(e: SdkError) -> JsValue {
        e.to_js()
    }
}

impl From<RpcError> for SdkError {
    fn from(e: RpcError) -> Self {
        SdkError::Hub(e)
    }
}
