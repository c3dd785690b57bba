//! The hub RPC: envelopes, methods, their parameters and results, pushed events.
//!
//! Every message is the JSON text of one envelope, sent as a string through
//! `postMessage`. A string (rather than a structured-clone object) gives an exact size
//! cap before any parsing, one strict decoder on both sides, and nothing for a
//! hostile page to smuggle through getters or prototypes.
//!
//! ```text
//! → {"crosspass":1,"id":"7","method":"token.get","params":{"scope":"form.read"}}
//! ← {"crosspass":1,"id":"7","result":{"access_token":"…","token_type":"Bearer",…}}
//! ← {"crosspass":1,"id":"7","error":{"code":"login_required","message":"…"}}
//! ← {"crosspass":1,"event":"session.changed","data":{"signed_in":false}}
//! ```

use crate::error::{ErrorCode, RpcError};
use crate::ids::ClientId;
use crate::scope::ScopeSet;
use crate::secret::{AccessToken, Assertion};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::fmt;

/// The protocol version carried in every envelope's `crosspass` member.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest message accepted, in bytes of JSON text, checked before parsing.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest request id.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Why a message was refused. Maps to [`ErrorCode::InvalidRequest`] except for a
/// version mismatch.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Longer than [`MAX_MESSAGE_BYTES`].
    #[error("message of {0} bytes exceeds the cap")]
    TooLarge(usize),
    /// Not valid JSON, not an object, a member of the wrong type, an unknown or
    /// duplicate member.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The `crosspass` member names another version.
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(u64),
    /// The request id is empty, too long or has odd characters.
    #[error("invalid request id")]
    InvalidId,
    /// The method is not one of [`Method::ALL`].
    #[error("unknown method")]
    UnknownMethod,
    /// The parameters do not fit the method.
    #[error("invalid params for {method}: {reason}")]
    InvalidParams {
        /// The method.
        method: Method,
        /// What was wrong.
        reason: String,
    },
}

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
        RpcError::new(self.code(), self.to_string())
    }
}

fn malformed(e: serde_json::Error) -> DecodeError {
    DecodeError::Malformed(e.to_string())
}

/// A request id chosen by the caller: 1–64 characters of `A-Z a-z 0-9 . _ : -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestId(String);

impl RequestId {
    /// Validates an id.
    pub fn new(s: impl Into<String>) -> Result<Self, DecodeError> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.len() <= MAX_REQUEST_ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        if ok {
            Ok(Self(s))
        } else {
            Err(DecodeError::InvalidId)
        }
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RequestId {
    type Error = DecodeError;
    fn try_from(s: String) -> Result<Self, DecodeError> {
        Self::new(s)
    }
}

impl From<RequestId> for String {
    fn from(id: RequestId) -> String {
        id.0
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
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Method {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
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
    /// First message, posted to the hub window with a transferred `MessagePort`.
    Hello => "hello",
    /// A stored token valid for the requested scopes.
    TokenGet => "token.get",
    /// Store a session from an assertion or a server-issued access token.
    SessionBegin => "session.begin",
    /// Forget the session.
    SessionEnd => "session.end",
    /// Which storage rung the hub is on.
    StorageStatus => "storage.status",
    /// Ask for unpartitioned storage (shows the hub's button, or opens the popup).
    StorageRequest => "storage.request",
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `hello` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelloParams {
    /// The client the page belongs to; must match the hub's `client_id`.
    pub client_id: ClientId,
    /// The SDK's version, for diagnostics.
    pub sdk_version: String,
}

/// `token.get` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenGetParams {
    /// Scopes the token must carry.
    pub scope: ScopeSet,
}

/// `session.begin` parameters: exactly one of the two credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionBeginParams {
    /// Browser path: a partner assertion the hub redeems at the token endpoint.
    Assertion {
        /// The assertion.
        assertion: Assertion,
        /// Scopes to request (default: all the client may have).
        scope: Option<ScopeSet>,
    },
    /// Server path: an access token the partner backend already redeemed.
    AccessToken {
        /// The token.
        access_token: AccessToken,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBeginWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assertion: Option<Assertion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<ScopeSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<AccessToken>,
}

impl Serialize for SessionBeginParams {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let wire = match self.clone() {
            SessionBeginParams::Assertion { assertion, scope } => SessionBeginWire {
                assertion: Some(assertion),
                scope,
                access_token: None,
            },
            SessionBeginParams::AccessToken { access_token } => SessionBeginWire {
                assertion: None,
                scope: None,
                access_token: Some(access_token),
            },
        };
        wire.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SessionBeginParams {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match SessionBeginWire::deserialize(d)? {
            SessionBeginWire {
                assertion: Some(assertion),
                scope,
                access_token: None,
            } => Ok(SessionBeginParams::Assertion { assertion, scope }),
            SessionBeginWire {
                assertion: None,
                scope: None,
                access_token: Some(access_token),
            } => Ok(SessionBeginParams::AccessToken { access_token }),
            _ => Err(D::Error::custom(
                "exactly one of `assertion` or `access_token` is required (`scope` only with `assertion`)",
            )),
        }
    }
}

/// Parameters of the methods that take none: only `{}` or an absent `params`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// A method with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `hello`
    Hello(HelloParams),
    /// `token.get`
    TokenGet(TokenGetParams),
    /// `session.begin`
    SessionBegin(SessionBeginParams),
    /// `session.end`
    SessionEnd,
    /// `storage.status`
    StorageStatus,
    /// `storage.request`
    StorageRequest,
}

impl Call {
    /// The method this call invokes.
    pub fn method(&self) -> Method {
        match self {
            Call::Hello(_) => Method::Hello,
            Call::TokenGet(_) => Method::TokenGet,
            Call::SessionBegin(_) => Method::SessionBegin,
            Call::SessionEnd => Method::SessionEnd,
            Call::StorageStatus => Method::StorageStatus,
            Call::StorageRequest => Method::StorageRequest,
        }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestWire<'a> {
    crosspass: u64,
    id: RequestId,
    method: String,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct RequestOut<'a, P: Serialize> {
    crosspass: u32,
    id: &'a RequestId,
    method: Method,
    params: P,
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

impl Request {
    /// Decodes one request message. Unknown members, wrong types, duplicate members,
    /// unknown methods and oversize messages are all refused.
    pub fn decode(text: &str) -> Result<Self, DecodeFailure> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(DecodeFailure {
                id: None,
                error: DecodeError::TooLarge(text.len()),
            });
        }
        Self::decode_strict(text).map_err(|error| DecodeFailure {
            id: recover_id(text),
            error,
        })
    }

    fn decode_strict(text: &str) -> Result<Self, DecodeError> {
        let wire: RequestWire<'_> = serde_json::from_str(text).map_err(malformed)?;
        if wire.crosspass != u64::from(PROTOCOL_VERSION) {
            return Err(DecodeError::UnsupportedVersion(wire.crosspass));
        }
        let method = Method::from_name(&wire.method).ok_or(DecodeError::UnknownMethod)?;
        let params = wire.params.map_or("{}", RawValue::get);
        let call = match method {
            Method::Hello => Call::Hello(params_of(method, params)?),
            Method::TokenGet => Call::TokenGet(params_of(method, params)?),
            Method::SessionBegin => Call::SessionBegin(params_of(method, params)?),
            Method::SessionEnd => {
                params_of::<NoParams>(method, params).map(|_| Call::SessionEnd)?
            }
            Method::StorageStatus => {
                params_of::<NoParams>(method, params).map(|_| Call::StorageStatus)?
            }
            Method::StorageRequest => {
                params_of::<NoParams>(method, params).map(|_| Call::StorageRequest)?
            }
        };
        Ok(Request { id: wire.id, call })
    }

    /// Encodes this request as JSON text.
    pub fn encode(&self) -> String {
        fn out<P: Serialize>(id: &RequestId, method: Method, params: P) -> String {
            to_json(&RequestOut {
                crosspass: PROTOCOL_VERSION,
                id,
                method,
                params,
            })
        }
        let (id, method) = (&self.id, self.call.method());
        match &self.call {
            Call::Hello(p) => out(id, method, p),
            Call::TokenGet(p) => out(id, method, p),
            Call::SessionBegin(p) => out(id, method, p),
            Call::SessionEnd | Call::StorageStatus | Call::StorageRequest => {
                out(id, method, NoParams {})
            }
        }
    }
}

fn params_of<T: DeserializeOwned>(method: Method, raw: &str) -> Result<T, DecodeError> {
    // serde would accept `[]` for a struct; params are always an object.
    if !raw.trim_start().starts_with('{') {
        return Err(DecodeError::InvalidParams {
            method,
            reason: "params must be an object".into(),
        });
    }
    serde_json::from_str(raw).map_err(|e| DecodeError::InvalidParams {
        method,
        reason: e.to_string(),
    })
}

fn recover_id(text: &str) -> Option<RequestId> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<RequestId>,
    }
    serde_json::from_str::<IdOnly>(text).ok().and_then(|w| w.id)
}

fn to_json<T: Serialize>(v: &T) -> String {
    // Serialising these types cannot fail: no maps with non-string keys, no floats.
    serde_json::to_string(v).unwrap_or_default()
}

/// Where the hub keeps tokens (DESIGN.md flow E), best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageRung {
    /// XYZ's first-party storage, through storage access (granted or requested).
    Unpartitioned,
    /// First-party storage reached through a popup on XYZ's own origin.
    FirstPartyPopup,
    /// Storage partitioned by the top-level site: shared by one partner site's pages.
    Partitioned,
    /// Nothing persists beyond this hub instance.
    Memory,
}

/// The answer to `storage.status` and `storage.request`, and part of `ready`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageStatus {
    /// The rung in use.
    pub rung: StorageRung,
    /// True when `storage.request` could move to a better rung.
    pub can_request: bool,
}

/// The `hello` result: the hub is ready on this port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ready {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The hub build's version.
    pub hub_version: String,
    /// Methods the hub answers.
    pub methods: Vec<Method>,
    /// Current storage.
    pub storage: StorageStatus,
}

/// The result of `token.get` and `session.begin`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenGrant {
    /// The bearer token.
    pub access_token: AccessToken,
    /// Always `Bearer`.
    pub token_type: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// Scopes it carries.
    pub scope: ScopeSet,
}

/// The result of `session.end`.
pub type Ended = NoParams;

/// A reply: the id of the request and its outcome.
#[derive(Clone, Debug)]
pub struct Response {
    /// The request's id (`None` when the request had none that could be read).
    pub id: Option<RequestId>,
    /// Result JSON, or a typed error.
    pub outcome: Result<Box<RawValue>, RpcError>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseWire {
    crosspass: u64,
    id: Option<RequestId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result: Option<Box<RawValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<RpcError>,
}

impl Response {
    /// A success reply (or a `server_error` reply, should `result` fail to encode).
    pub fn ok<T: Serialize>(id: RequestId, result: &T) -> Self {
        let outcome = serde_json::value::to_raw_value(result)
            .map_err(|_| RpcError::new(ErrorCode::ServerError, "result could not be encoded"));
        Self {
            id: Some(id),
            outcome,
        }
    }

    /// An error reply.
    pub fn err(id: Option<RequestId>, error: RpcError) -> Self {
        Self {
            id,
            outcome: Err(error),
        }
    }

    /// Encodes as JSON text.
    pub fn encode(&self) -> String {
        let (result, error) = match &self.outcome {
            Ok(r) => (Some(r.clone()), None),
            Err(e) => (None, Some(e.clone())),
        };
        to_json(&ResponseWire {
            crosspass: u64::from(PROTOCOL_VERSION),
            id: self.id.clone(),
            result,
            error,
        })
    }

    /// Reads the result as `T`; an error reply, or a result of the wrong shape, is an
    /// [`RpcError`].
    pub fn into_result<T: DeserializeOwned>(self) -> Result<T, RpcError> {
        let raw = self.outcome?;
        serde_json::from_str(raw.get()).map_err(|e| {
            RpcError::new(ErrorCode::InvalidRequest, format!("unexpected result: {e}"))
        })
    }
}

/// An event the hub pushes without a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A token was stored or cleared, in this or another tab.
    SessionChanged(SessionChanged),
}

/// `session.changed` data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionChanged {
    /// Whether a session is now stored.
    pub signed_in: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventWire {
    crosspass: u64,
    event: String,
    data: SessionChanged,
}

impl Event {
    /// Encodes as JSON text.
    pub fn encode(&self) -> String {
        match self {
            Event::SessionChanged(data) => to_json(&EventWire {
                crosspass: u64::from(PROTOCOL_VERSION),
                event: "session.changed".into(),
                data: data.clone(),
            }),
        }
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
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(DecodeError::TooLarge(text.len()));
        }
        let value: &RawValue = serde_json::from_str(text).map_err(malformed)?;
        #[derive(Deserialize)]
        struct Probe {
            crosspass: Option<u64>,
            event: Option<String>,
        }
        let probe: Probe = serde_json::from_str(value.get()).map_err(malformed)?;
        match probe.crosspass {
            Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
            Some(v) => return Err(DecodeError::UnsupportedVersion(v)),
            None => return Err(DecodeError::Malformed("missing `crosspass`".into())),
        }
        if probe.event.is_some() {
            let wire: EventWire = serde_json::from_str(text).map_err(malformed)?;
            return match wire.event.as_str() {
                "session.changed" => Ok(HubMessage::Event(Event::SessionChanged(wire.data))),
                _ => Err(DecodeError::Malformed("unknown event".into())),
            };
        }
        let wire: ResponseWire = serde_json::from_str(text).map_err(malformed)?;
        let outcome = match (wire.result, wire.error) {
            (Some(r), None) => Ok(r),
            (None, Some(e)) => Err(e),
            _ => {
                return Err(DecodeError::Malformed(
                    "exactly one of `result` or `error` is required".into(),
                ))
            }
        };
        Ok(HubMessage::Response(Response {
            id: wire.id,
            outcome,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> RequestId {
        RequestId::new(s).unwrap()
    }

    fn decode_err(text: &str) -> DecodeFailure {
        Request::decode(text).unwrap_err()
    }

    #[test]
    fn every_call_round_trips() {
        let calls = [
            Call::Hello(HelloParams {
                client_id: ClientId::new("abc").unwrap(),
                sdk_version: "0.1.0".into(),
            }),
            Call::TokenGet(TokenGetParams {
                scope: ScopeSet::parse("form.read").unwrap(),
            }),
            Call::SessionBegin(SessionBeginParams::Assertion {
                assertion: Assertion::new("a.b.c"),
                scope: Some(ScopeSet::parse("form.read form.write").unwrap()),
            }),
            Call::SessionBegin(SessionBeginParams::Assertion {
                assertion: Assertion::new("a.b.c"),
                scope: None,
            }),
            Call::SessionBegin(SessionBeginParams::AccessToken {
                access_token: AccessToken::new("x.y.z"),
            }),
            Call::SessionEnd,
            Call::StorageStatus,
            Call::StorageRequest,
        ];
        for call in calls {
            let req = Request {
                id: id("r-1"),
                call,
            };
            let text = req.encode();
            assert_eq!(Request::decode(&text).unwrap(), req, "{text}");
        }
    }

    #[test]
    fn wire_shape_is_the_documented_one() {
        let req = Request {
            id: id("7"),
            call: Call::TokenGet(TokenGetParams {
                scope: ScopeSet::parse("form.read").unwrap(),
            }),
        };
        assert_eq!(
            req.encode(),
            r#"{"crosspass":1,"id":"7","method":"token.get","params":{"scope":"form.read"}}"#
        );
        let no_params =
            Request::decode(r#"{"crosspass":1,"id":"8","method":"session.end"}"#).unwrap();
        assert_eq!(no_params.call, Call::SessionEnd);
    }

    #[test]
    fn refuses_bad_envelopes_with_typed_errors() {
        let big = format!(
            r#"{{"crosspass":1,"id":"1","method":"hello","params":{{"pad":"{}"}}}}"#,
            "x".repeat(MAX_MESSAGE_BYTES)
        );
        assert!(matches!(decode_err(&big).error, DecodeError::TooLarge(_)));

        let f = decode_err(r#"{"crosspass":2,"id":"1","method":"session.end"}"#);
        assert_eq!(f.error, DecodeError::UnsupportedVersion(2));
        assert_eq!(f.error.code(), ErrorCode::UnsupportedVersion);
        assert_eq!(f.id, Some(id("1")));

        let f = decode_err(r#"{"crosspass":1,"id":"2","method":"token.steal"}"#);
        assert_eq!(f.error, DecodeError::UnknownMethod);
        assert_eq!(f.error.code(), ErrorCode::InvalidRequest);
        assert_eq!(f.id, Some(id("2")));

        for text in [
            "",
            "null",
            "[]",
            "\"hello\"",
            r#"{"crosspass":1,"id":"3","method":"session.end","extra":true}"#,
            r#"{"crosspass":1,"id":"3","method":"session.end","__proto__":{"admin":true}}"#,
            r#"{"crosspass":"1","id":"3","method":"session.end"}"#,
            r#"{"crosspass":1,"id":3,"method":"session.end"}"#,
            r#"{"crosspass":1,"id":"3","method":"session.end","method":"token.get"}"#,
            r#"{"id":"3","method":"session.end"}"#,
        ] {
            assert!(
                matches!(decode_err(text).error, DecodeError::Malformed(_)),
                "{text}"
            );
        }

        for text in [
            r#"{"crosspass":1,"id":"","method":"session.end"}"#,
            r#"{"crosspass":1,"id":"a b","method":"session.end"}"#,
        ] {
            assert!(
                matches!(decode_err(text).error, DecodeError::Malformed(_)),
                "{text}"
            );
            assert_eq!(decode_err(text).id, None);
        }

        for text in [
            r#"{"crosspass":1,"id":"4","method":"token.get","params":{}}"#,
            r#"{"crosspass":1,"id":"4","method":"token.get","params":{"scope":"a","x":1}}"#,
            r#"{"crosspass":1,"id":"4","method":"token.get","params":{"scope":"a","__proto__":1}}"#,
            r#"{"crosspass":1,"id":"4","method":"token.get","params":{"scope":["a"]}}"#,
            r#"{"crosspass":1,"id":"4","method":"token.get","params":{"scope":"a  b"}}"#,
            r#"{"crosspass":1,"id":"4","method":"session.end","params":{"x":1}}"#,
            r#"{"crosspass":1,"id":"4","method":"session.end","params":[]}"#,
            r#"{"crosspass":1,"id":"4","method":"session.begin","params":{}}"#,
            r#"{"crosspass":1,"id":"4","method":"session.begin","params":{"assertion":"a","access_token":"b"}}"#,
            r#"{"crosspass":1,"id":"4","method":"session.begin","params":{"access_token":"b","scope":"x"}}"#,
            r#"{"crosspass":1,"id":"4","method":"hello","params":{"client_id":"../abc","sdk_version":"1"}}"#,
        ] {
            let f = decode_err(text);
            assert!(
                matches!(f.error, DecodeError::InvalidParams { .. }),
                "{text}: {:?}",
                f.error
            );
            assert_eq!(f.id, Some(id("4")));
        }
    }

    #[test]
    fn responses_and_events_round_trip() {
        let grant = TokenGrant {
            access_token: AccessToken::new("x.y.z"),
            token_type: "Bearer".into(),
            expires_at: 1_800_000_000,
            scope: ScopeSet::parse("form.read").unwrap(),
        };
        let text = Response::ok(id("9"), &grant).encode();
        match HubMessage::decode(&text).unwrap() {
            HubMessage::Response(r) => {
                assert_eq!(r.id, Some(id("9")));
                assert_eq!(r.into_result::<TokenGrant>().unwrap(), grant);
            }
            HubMessage::Event(_) => panic!("not an event"),
        }

        let err = RpcError::new(ErrorCode::LoginRequired, "sign in first");
        let text = Response::err(Some(id("10")), err.clone()).encode();
        assert_eq!(
            text,
            r#"{"crosspass":1,"id":"10","error":{"code":"login_required","message":"sign in first"}}"#
        );
        match HubMessage::decode(&text).unwrap() {
            HubMessage::Response(r) => assert_eq!(r.into_result::<TokenGrant>(), Err(err)),
            HubMessage::Event(_) => panic!("not an event"),
        }

        let ev = Event::SessionChanged(SessionChanged { signed_in: false });
        let text = ev.encode();
        assert_eq!(
            text,
            r#"{"crosspass":1,"event":"session.changed","data":{"signed_in":false}}"#
        );
        assert!(matches!(HubMessage::decode(&text).unwrap(), HubMessage::Event(e) if e == ev));
    }

    #[test]
    fn refuses_bad_hub_messages() {
        for text in [
            r#"{"crosspass":1,"id":"1"}"#,
            r#"{"crosspass":1,"id":"1","result":{},"error":{"code":"timeout","message":""}}"#,
            r#"{"crosspass":1,"id":"1","result":{},"extra":1}"#,
            r#"{"crosspass":1,"event":"session.stolen","data":{"signed_in":true}}"#,
            r#"{"crosspass":1,"event":"session.changed","data":{"signed_in":"yes"}}"#,
            r#"{"id":"1","result":{}}"#,
            "[1]",
        ] {
            assert!(HubMessage::decode(text).is_err(), "{text}");
        }
        assert_eq!(
            HubMessage::decode(r#"{"crosspass":3,"id":"1","result":{}}"#).unwrap_err(),
            DecodeError::UnsupportedVersion(3)
        );
        let ok = Response::ok(id("1"), &NoParams {}).encode();
        let HubMessage::Response(r) = HubMessage::decode(&ok).unwrap() else {
            panic!()
        };
        assert!(r
            .into_result::<TokenGrant>()
            .unwrap_err()
            .message
            .starts_with("unexpected result"));
    }
}
