//! The SDK's one error type, seen by JavaScript as an `Error` named `CrosspassError`
//! whose `code` is one of the protocol's stable strings.

use crosspass_protocol::text::{write_parts, Describe, Sink};
use crosspass_protocol::{ErrorCode, RpcError};
use js_sys::Reflect;
use std::fmt;
use wasm_bindgen::JsValue;

/// Everything the SDK reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SdkError {
    /// The hub answered with an error.
    Hub(RpcError),
    /// The caller passed something unusable.
    InvalidArgument(String),
    /// The hub did not answer in time.
    Timeout(String),
    /// No session, and no way to start one.
    LoginRequired(String),
    /// A request to the XYZ API failed before any response.
    Network,
    /// `destroy()` was called.
    Destroyed,
    /// The hub sent something this SDK cannot read.
    Protocol(String),
}

impl Describe for SdkError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        match self {
            SdkError::Hub(e) => f.write_str(&e.message),
            SdkError::InvalidArgument(m) | SdkError::Timeout(m) | SdkError::LoginRequired(m) => {
                f.write_str(m)
            }
            SdkError::Network => f.write_str("the XYZ API could not be reached"),
            SdkError::Destroyed => f.write_str("this Crosspass connection was destroyed"),
            SdkError::Protocol(m) => write_parts(f, &["unexpected message from the hub: ", m]),
        }
    }
}

crosspass_protocol::display_by_describe!(SdkError);

impl std::error::Error for SdkError {}

impl SdkError {
    /// `what: why`, for an argument its type refused.
    pub fn invalid(what: &str, why: &dyn Describe) -> Self {
        SdkError::InvalidArgument([what, ": ", &why.text()].concat())
    }

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
        let error = js_sys::Error::new(&self.text());
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
