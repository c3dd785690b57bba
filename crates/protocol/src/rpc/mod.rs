//! The hub RPC: envelopes, methods, their parameters and results, pushed events.
//! This file holds the envelopes and the methods; `params.rs` what calls carry,
//! `fetch.rs` the API requests the hub relays, `answers.rs` what it answers, and
//! `events.rs` what the frames push.
//!
//! Every message is the JSON text of one envelope, sent as a string through
//! `postMessage`. A string (rather than a structured-clone object) gives an exact size
//! cap before any parsing, one strict decoder on both sides, and nothing for a
//! hostile page to smuggle through getters or prototypes.
//!
//! ```text
//! → {"crosspass":2,"id":"7","method":"token.get","params":{"scope":"form.read"}}
//! ← {"crosspass":2,"id":"7","result":{"access_token":"…","token_type":"Bearer",…}}
//! ← {"crosspass":2,"id":"7","error":{"code":"login_required","message":"…"}}
//! ← {"crosspass":2,"event":"session.changed","data":{"signed_in":false}}
//! ```

use crate::error::{ErrorCode, RpcError};
use crate::ids::ClientId;
use crate::json::{self, Json, JsonError, Member, Members, Value};
use crate::scope::ScopeSet;
use crate::secret::{AccessToken, Assertion};
use crate::text::{self, write_parts, Describe, Sink};
use std::fmt;

/// The protocol version carried in every envelope's `crosspass` member.
pub const PROTOCOL_VERSION: u32 = 2;
/// Largest message accepted, in bytes of JSON text, checked before parsing.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest request id.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Why a message was refused. Maps to [`ErrorCode::InvalidRequest`] except for a
/// version mismatch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Longer than [`MAX_MESSAGE_BYTES`].
    TooLarge(usize),
    /// Not valid JSON, not an object, a member of the wrong type, an unknown or
    /// duplicate member.
    Malformed(JsonError),
    /// The `crosspass` member names another version.
    UnsupportedVersion(i64),
    /// The method is not one of [`Method::ALL`].
    UnknownMethod,
    /// The parameters do not fit the method.
    InvalidParams {
        /// The method.
        method: Method,
        /// What was wrong.
        reason: JsonError,
    },
}

impl Describe for DecodeError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        match self {
            DecodeError::TooLarge(n) => write_parts(
                f,
                &[
                    "message of ",
                    &text::decimal(*n as i64),
                    " bytes exceeds the cap",
                ],
            ),
            DecodeError::Malformed(e) => {
                f.write_str("malformed message: ")?;
                e.describe(f)
            }
            DecodeError::UnsupportedVersion(v) => {
                write_parts(f, &["unsupported protocol version ", &text::decimal(*v)])
            }
            DecodeError::UnknownMethod => f.write_str("unknown method"),
            DecodeError::InvalidParams { method, reason } => {
                write_parts(f, &["invalid params for ", method.as_str(), ": "])?;
                reason.describe(f)
            }
        }
    }
}

crate::display_by_describe!(DecodeError);

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// The stable code reported for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            DecodeError::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            _ => ErrorCode::InvalidRequest,
        }
    }

    /// The failure as an RPC error.
    pub fn to_rpc_error(&self) -> RpcError {
        RpcError::new(self.code(), self.text())
    }
}

impl From<JsonError> for DecodeError {
    fn from(e: JsonError) -> Self {
        DecodeError::Malformed(e)
    }
}

/// A request id chosen by the caller: 1–64 characters of `A-Z a-z 0-9 . _ : -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(String);

/// Why a request id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidId;

impl Describe for InvalidId {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        f.write_str("ids are 1-64 characters of A-Z a-z 0-9 . _ : -")
    }
}

crate::display_by_describe!(InvalidId);

impl std::error::Error for InvalidId {}

impl RequestId {
    /// Validates an id.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidId> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.len() <= MAX_REQUEST_ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        if ok {
            Ok(Self(s))
        } else {
            Err(InvalidId)
        }
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! methods {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// An RPC method name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Method {
            $($(#[$doc])* $variant,)*
        }

        impl Method {
            /// Every method, in declaration order.
            pub const ALL: &'static [Method] = &[$(Method::$variant,)*];

            /// The wire name, e.g. `"token.get"`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Method::$variant => $name,)* }
            }

            /// Looks a wire name up.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Method::$variant),)* _ => None }
            }
        }
    };
}

methods! {
    /// First message, posted to the frame's window with a transferred `MessagePort`.
    Hello => "hello",
    /// Whether a session valid for the requested scopes is stored (no token).
    SessionGet => "session.get",
    /// Store a session from an assertion or a server-issued access token.
    SessionBegin => "session.begin",
    /// Forget the session.
    SessionEnd => "session.end",
    /// A stored token itself: only for partners registered to receive tokens, and
    /// between XYZ's own frames.
    TokenGet => "token.get",
    /// A request to XYZ's API carried out by the hub, with the token added there.
    Fetch => "fetch",
    /// Which storage rung the hub is on.
    StorageStatus => "storage.status",
    /// Ask for unpartitioned storage (shows the hub's button, or opens the popup).
    StorageRequest => "storage.request",
    /// Storage and clock facts for a setup report.
    Diagnose => "diagnose",
    /// Form frame: render the form with this appearance and these texts.
    FormMount => "form.mount",
    /// Form frame: change appearance or texts of the mounted form.
    FormUpdate => "form.update",
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

mod answers;
mod events;
mod fetch;
mod params;
#[cfg(test)]
mod tests;

pub use answers::*;
pub use events::*;
pub use fetch::*;
pub use params::*;

/// A method with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `hello`
    Hello(HelloParams),
    /// `session.get`
    SessionGet(TokenGetParams),
    /// `session.begin`
    SessionBegin(SignIn),
    /// `session.end`
    SessionEnd,
    /// `token.get`
    TokenGet(TokenGetParams),
    /// `fetch`
    Fetch(FetchParams),
    /// `storage.status`
    StorageStatus,
    /// `storage.request`
    StorageRequest,
    /// `diagnose`
    Diagnose,
    /// `form.mount`
    FormMount(FormParams),
    /// `form.update`
    FormUpdate(FormParams),
}

impl Call {
    /// The method this call invokes.
    pub fn method(&self) -> Method {
        match self {
            Call::Hello(_) => Method::Hello,
            Call::SessionGet(_) => Method::SessionGet,
            Call::SessionBegin(_) => Method::SessionBegin,
            Call::SessionEnd => Method::SessionEnd,
            Call::TokenGet(_) => Method::TokenGet,
            Call::Fetch(_) => Method::Fetch,
            Call::StorageStatus => Method::StorageStatus,
            Call::StorageRequest => Method::StorageRequest,
            Call::Diagnose => Method::Diagnose,
            Call::FormMount(_) => Method::FormMount,
            Call::FormUpdate(_) => Method::FormUpdate,
        }
    }

    fn params(&self) -> Value {
        match self {
            Call::Hello(p) => p.to_value(),
            Call::SessionGet(p) | Call::TokenGet(p) => p.to_value(),
            Call::SessionBegin(p) => p.to_value(),
            Call::Fetch(p) => p.to_value(),
            Call::FormMount(p) | Call::FormUpdate(p) => p.to_value(),
            Call::SessionEnd | Call::StorageStatus | Call::StorageRequest | Call::Diagnose => {
                NoParams {}.to_value()
            }
        }
    }

    fn decode(method: Method, params: &Value) -> Result<Self, JsonError> {
        Ok(match method {
            Method::Hello => Call::Hello(HelloParams::from_value(params)?),
            Method::SessionGet => Call::SessionGet(TokenGetParams::from_value(params)?),
            Method::SessionBegin => Call::SessionBegin(SignIn::from_value(params)?),
            Method::SessionEnd => NoParams::from_value(params).map(|_| Call::SessionEnd)?,
            Method::TokenGet => Call::TokenGet(TokenGetParams::from_value(params)?),
            Method::Fetch => Call::Fetch(FetchParams::from_value(params)?),
            Method::StorageStatus => NoParams::from_value(params).map(|_| Call::StorageStatus)?,
            Method::StorageRequest => NoParams::from_value(params).map(|_| Call::StorageRequest)?,
            Method::Diagnose => NoParams::from_value(params).map(|_| Call::Diagnose)?,
            Method::FormMount => Call::FormMount(FormParams::from_value(params)?),
            Method::FormUpdate => Call::FormUpdate(FormParams::from_value(params)?),
        })
    }
}

/// A request envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Caller-chosen id, echoed in the response.
    pub id: RequestId,
    /// What to do.
    pub call: Call,
}

/// A request that could not be decoded, with its id when one could be recovered, so
/// that an error reply can still be correlated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The request's id, if the message had a valid one.
    pub id: Option<RequestId>,
    /// Why it was refused.
    pub error: DecodeError,
}

/// Parses a message within the size cap.
fn parse_message(text: &str) -> Result<Value, DecodeError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(DecodeError::TooLarge(text.len()));
    }
    Ok(json::parse(text)?)
}

/// Checks the `crosspass` member.
fn check_version(m: &mut Members<'_>) -> Result<(), DecodeError> {
    match m.int("crosspass")? {
        v if v == i64::from(PROTOCOL_VERSION) => Ok(()),
        v => Err(DecodeError::UnsupportedVersion(v)),
    }
}

fn request_id(m: &mut Members<'_>) -> Result<RequestId, JsonError> {
    m.parsed("id", |s| RequestId::new(s))
}

impl Request {
    /// Decodes one request message. Unknown members, wrong types, duplicate members,
    /// unknown methods and oversize messages are all refused.
    pub fn decode(text: &str) -> Result<Self, DecodeFailure> {
        let value = parse_message(text).map_err(|error| DecodeFailure { id: None, error })?;
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| RequestId::new(s).ok());
        Self::decode_value(&value).map_err(|error| DecodeFailure { id, error })
    }

    fn decode_value(value: &Value) -> Result<Self, DecodeError> {
        let mut m = Members::of(value, "message")?;
        check_version(&mut m)?;
        let id = request_id(&mut m)?;
        let method = m.str("method")?;
        let params = m.take("params");
        m.finish()?;
        let method = Method::from_name(method).ok_or(DecodeError::UnknownMethod)?;
        let empty = Value::Object(Vec::new());
        let call = Call::decode(method, params.unwrap_or(&empty))
            .map_err(|reason| DecodeError::InvalidParams { method, reason })?;
        Ok(Request { id, call })
    }

    /// Encodes this request as JSON text.
    pub fn encode(&self) -> String {
        Value::object([
            ("crosspass", Some(PROTOCOL_VERSION.into())),
            ("id", Some(self.id.as_str().into())),
            ("method", Some(self.call.method().as_str().into())),
            ("params", Some(self.call.params())),
        ])
        .to_json()
    }
}

/// A reply: the id of the request and its outcome.
#[derive(Clone, Debug)]
pub struct Response {
    /// The request's id (`None` when the request had none that could be read).
    pub id: Option<RequestId>,
    /// Result JSON, or a typed error.
    pub outcome: Result<Value, RpcError>,
}

impl Response {
    /// A success reply.
    pub fn ok<T: Json>(id: RequestId, result: &T) -> Self {
        Self {
            id: Some(id),
            outcome: Ok(result.to_value()),
        }
    }

    /// An error reply.
    pub fn err(id: Option<RequestId>, error: RpcError) -> Self {
        Self {
            id,
            outcome: Err(error),
        }
    }

    /// Encodes as JSON text (consumed: the result is moved into the text, not copied).
    pub fn encode(self) -> String {
        let (result, error) = match self.outcome {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e.to_value())),
        };
        Value::object([
            ("crosspass", Some(PROTOCOL_VERSION.into())),
            (
                "id",
                Some(self.id.as_ref().map_or(Value::Null, |i| i.as_str().into())),
            ),
            ("result", result),
            ("error", error),
        ])
        .to_json()
    }

    /// Reads the result as `T`; an error reply, or a result of the wrong shape, is an
    /// [`RpcError`].
    pub fn into_result<T: Json>(self) -> Result<T, RpcError> {
        T::from_value(&self.outcome?).map_err(|e| {
            RpcError::new(
                ErrorCode::InvalidRequest,
                ["unexpected result: ", &e.text()].concat(),
            )
        })
    }
}

/// Anything the hub sends on the port.
#[derive(Clone, Debug)]
pub enum HubMessage {
    /// A reply to a request.
    Response(Response),
    /// A pushed event.
    Event(Event),
}

impl HubMessage {
    /// Decodes a message from the hub, as strictly as the hub decodes requests.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        let value = parse_message(text)?;
        let mut m = Members::of(&value, "message")?;
        check_version(&mut m)?;
        if let Some(event) = m.opt_str("event")? {
            let data = m.required("data")?;
            m.finish()?;
            return Ok(HubMessage::Event(Event::decode_data(event, data)?));
        }
        let id = m
            .take("id")
            .map(|v| {
                v.as_str()
                    .ok_or(JsonError::Type("id", "a string"))
                    .and_then(|s| RequestId::new(s).map_err(|e| JsonError::Invalid("id", e.text())))
            })
            .transpose()?;
        let result = m.take("result").cloned();
        let error = m.take("error").map(RpcError::from_value).transpose()?;
        m.finish()?;
        let outcome = match (result, error) {
            (Some(r), None) => Ok(r),
            (None, Some(e)) => Err(e),
            _ => {
                return Err(JsonError::Invalid(
                    "message",
                    "exactly one of `result` or `error` is required".into(),
                )
                .into())
            }
        };
        Ok(HubMessage::Response(Response { id, outcome }))
    }
}
