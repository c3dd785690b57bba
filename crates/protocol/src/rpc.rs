//! The hub RPC: envelopes, methods, their parameters and results, pushed events.
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

/// `hello` parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloParams {
    /// The client the page belongs to; must match the hub's `client_id`.
    pub client_id: ClientId,
    /// The SDK's version, for diagnostics.
    pub sdk_version: String,
}

crate::json_object!(
    HelloParams,
    "params",
    deny_unknown {
        client_id,
        sdk_version
    }
);

/// `token.get` and `session.get` parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenGetParams {
    /// Scopes the token must carry (none named: any).
    pub scope: ScopeSet,
}

crate::json_object!(
    TokenGetParams,
    "params",
    deny_unknown {
        #[default]
        scope
    }
);

/// Longest path `fetch` takes.
pub const MAX_FETCH_PATH_LEN: usize = 2048;
/// Most headers `fetch` takes or relays.
pub const MAX_FETCH_HEADERS: usize = 32;
/// The only paths `fetch` reaches: XYZ's API.
pub const FETCH_PATH_PREFIX: &str = "/api/";

/// An HTTP method `fetch` carries out (`GET` when none is named).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET`
    #[default]
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl HttpMethod {
    const ALL: [HttpMethod; 6] = [
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    /// The method's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// Looks a method up, ignoring case as `fetch` does for these names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }
}

crate::json_text_member!(
    HttpMethod,
    |s| HttpMethod::from_name(s).ok_or("one of GET, HEAD, POST, PUT, PATCH, DELETE"),
    as_str
);

/// Headers the page may not set on a `fetch` the hub carries out: the hub adds the
/// credential itself, and nothing else may claim to be one.
const FORBIDDEN_FETCH_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

fn header_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        && !FORBIDDEN_FETCH_HEADERS
            .iter()
            .any(|f| f.eq_ignore_ascii_case(name))
}

fn header_value_ok(value: &str) -> bool {
    value.len() <= 4096 && !value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

/// A JSON object of string members, each checked by `ok`, at most `max` of them.
fn string_pairs(
    v: Option<&Value>,
    what: &'static str,
    max: usize,
    ok: fn(&str, &str) -> bool,
) -> Result<Vec<(String, String)>, JsonError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let members = v
        .as_object()
        .ok_or(JsonError::Type(what, "an object of strings"))?;
    if members.len() > max {
        return Err(JsonError::Invalid(what, "too many members".into()));
    }
    members
        .iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .ok_or(JsonError::Type(what, "an object of strings"))?;
            if ok(k, v) {
                Ok((k.clone(), v.to_owned()))
            } else {
                Err(JsonError::Invalid(
                    what,
                    ["`", k, "` is not allowed"].concat(),
                ))
            }
        })
        .collect()
}

fn pairs_value(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// A JSON object of string members, each checked by `ok`, at most `max` of them.
macro_rules! string_pairs_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $ok:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name(pub Vec<(String, String)>);

        impl Member for $name {
            fn write(&self) -> Option<Value> {
                Some(pairs_value(&self.0))
            }
            fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
                string_pairs(value, name, $max, $ok).map($name)
            }
            fn ts() -> String {
                "Record<string, string>".into()
            }
        }
    };
}

string_pairs_type!(
    /// Headers of a `fetch` the page asks for: never a credential, no line breaks.
    RequestHeaders,
    MAX_FETCH_HEADERS,
    |k, v| header_name_ok(k) && header_value_ok(v)
);
string_pairs_type!(
    /// Headers of the API's answer, as the browser exposes them (lower-case names).
    ResponseHeaders,
    usize::MAX,
    |_, _| true
);
string_pairs_type!(
    /// `appearance` variables or `messages` of a form, by name.
    FormOptions,
    MAX_FORM_OPTIONS,
    |_, _| true
);

/// A path `fetch` reaches: under [`FETCH_PATH_PREFIX`], with its query, without dot
/// segments or backslashes, printable ASCII, at most [`MAX_FETCH_PATH_LEN`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchPath(String);

impl FetchPath {
    /// Checks `path`.
    pub fn parse(path: &str) -> Result<Self, &'static str> {
        let ok = path.len() <= MAX_FETCH_PATH_LEN
            && path.starts_with(FETCH_PATH_PREFIX)
            && !path
                .split(['/', '?', '#'])
                .any(|segment| segment == ".." || segment == "." || segment.contains('\\'))
            && path.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(path.to_owned()))
        } else {
            Err("a path under /api/ without dot segments")
        }
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::json_text_member!(FetchPath, FetchPath::parse, as_str);

/// `fetch` parameters: a request to XYZ's API on the hub's own origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchParams {
    /// The path, with its query.
    pub path: FetchPath,
    /// The method.
    pub method: HttpMethod,
    /// Request headers (never a credential: the hub adds the bearer token).
    pub headers: RequestHeaders,
    /// The body as text.
    pub body: Option<String>,
}

crate::json_object!(
    FetchParams,
    "params",
    deny_unknown {
        path,
        #[default]
        method,
        headers,
        body
    },
    check = FetchParams::check
);

impl FetchParams {
    fn check(&self) -> Result<(), JsonError> {
        if self.body.is_some() && matches!(self.method, HttpMethod::Get | HttpMethod::Head) {
            return Err(JsonError::Invalid("body", "GET and HEAD take none".into()));
        }
        Ok(())
    }
}

/// The result of `fetch`: the API's answer, relayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResult {
    /// HTTP status.
    pub status: u16,
    /// HTTP status text.
    pub status_text: String,
    /// Response headers the browser exposes (lower-case names).
    pub headers: ResponseHeaders,
    /// The body as text.
    pub body: String,
}

crate::json_object!(
    FetchResult,
    "result",
    deny_unknown {
        status,
        status_text,
        headers,
        body
    },
    check = FetchResult::check
);

impl FetchResult {
    fn check(&self) -> Result<(), JsonError> {
        if !(100..=599).contains(&self.status) {
            return Err(JsonError::Invalid("status", "an HTTP status".into()));
        }
        Ok(())
    }
}

/// `form.mount` and `form.update` parameters. Appearance and texts travel unchecked
/// here: the form frame checks them against its allowlist and catalogue, so that a bad
/// value is `invalid_appearance` rather than a malformed message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormParams {
    /// `appearance` variables by name.
    pub appearance: FormOptions,
    /// A locale tag such as `de`.
    pub locale: Option<String>,
    /// Texts by catalogue key, overriding the locale's.
    pub messages: FormOptions,
}

/// Most `appearance` variables or `messages` one form takes.
pub const MAX_FORM_OPTIONS: usize = 64;

crate::json_object!(
    FormParams,
    "params",
    deny_unknown {
        appearance,
        locale,
        messages
    },
    check = FormParams::check
);

impl FormParams {
    fn check(&self) -> Result<(), JsonError> {
        if self.locale.as_ref().is_some_and(|l| {
            l.is_empty()
                || l.len() > 35
                || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }) {
            return Err(JsonError::Invalid("locale", "a language tag".into()));
        }
        Ok(())
    }
}

/// What `session.begin` signs in with: exactly one of three credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
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
    /// An embed session the partner backend made with its client secret; the hub
    /// redeems it at the token endpoint.
    Session {
        /// The session secret.
        session: Assertion,
        /// Scopes to request (default: the session's).
        scope: Option<ScopeSet>,
    },
}

/// `session.begin` parameters as they travel: one member per credential, of which
/// [`SignIn`], the hub's view, lets exactly one through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionBeginParams {
    /// A partner assertion.
    pub assertion: Option<Assertion>,
    /// An embed session.
    pub session: Option<Assertion>,
    /// An access token the partner backend redeemed.
    pub access_token: Option<AccessToken>,
    /// Scopes to request (not with `access_token`).
    pub scope: Option<ScopeSet>,
}

crate::json_object!(
    SessionBeginParams,
    "params",
    deny_unknown {
        assertion,
        session,
        access_token,
        scope
    }
);

impl TryFrom<SessionBeginParams> for SignIn {
    type Error = JsonError;

    fn try_from(w: SessionBeginParams) -> Result<Self, JsonError> {
        match w {
            SessionBeginParams {
                assertion: Some(assertion),
                session: None,
                access_token: None,
                scope,
            } => Ok(Self::Assertion { assertion, scope }),
            SessionBeginParams {
                assertion: None,
                session: Some(session),
                access_token: None,
                scope,
            } => Ok(Self::Session { session, scope }),
            SessionBeginParams {
                assertion: None,
                session: None,
                access_token: Some(access_token),
                scope: None,
            } => Ok(Self::AccessToken { access_token }),
            _ => Err(JsonError::Invalid(
                "params",
                "exactly one of `assertion`, `access_token` or `session` is required (`scope` not with `access_token`)".into(),
            )),
        }
    }
}

impl From<&SignIn> for SessionBeginParams {
    fn from(p: &SignIn) -> Self {
        match p.clone() {
            SignIn::Assertion { assertion, scope } => Self {
                assertion: Some(assertion),
                scope,
                ..Self::default()
            },
            SignIn::Session { session, scope } => Self {
                session: Some(session),
                scope,
                ..Self::default()
            },
            SignIn::AccessToken { access_token } => Self {
                access_token: Some(access_token),
                ..Self::default()
            },
        }
    }
}

crate::json_via!(SignIn, SessionBeginParams);

/// Parameters of the methods that take none: only `{}` or an absent `params`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoParams {}

crate::json_object!(NoParams, "params", deny_unknown {});

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

/// Where the hub keeps tokens (SSO across a tenant's sites, docs/design.md), best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageRung {
    /// XYZ's first-party storage, through storage access (granted or requested).
    Unpartitioned,
    /// First-party storage reached through a popup on XYZ's own origin.
    FirstPartyPopup,
    /// Storage access unlocked cookies only (Firefox, Safari): the hub keeps tokens in
    /// partitioned storage and shares the sign-in through XYZ's first-party,
    /// `HttpOnly` browser-session cookie.
    FirstPartyCookie,
    /// Storage partitioned by the top-level site: shared by one partner site's pages.
    Partitioned,
    /// Nothing persists beyond this hub instance.
    Memory,
}

impl StorageRung {
    /// Every rung, best first.
    pub const ALL: &'static [StorageRung] = &[
        StorageRung::Unpartitioned,
        StorageRung::FirstPartyPopup,
        StorageRung::FirstPartyCookie,
        StorageRung::Partitioned,
        StorageRung::Memory,
    ];

    /// The wire name, e.g. `"first_party_popup"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StorageRung::Unpartitioned => "unpartitioned",
            StorageRung::FirstPartyPopup => "first_party_popup",
            StorageRung::FirstPartyCookie => "first_party_cookie",
            StorageRung::Partitioned => "partitioned",
            StorageRung::Memory => "memory",
        }
    }

    /// Looks a wire name up.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == name)
    }
}

/// The answer to `storage.status` and `storage.request`, and part of `ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageStatus {
    /// The rung in use.
    pub rung: StorageRung,
    /// True when `storage.request` could move to a better rung.
    pub can_request: bool,
}

crate::json_object!(StorageStatus, "storage", deny_unknown { rung, can_request });
crate::json_text_member!(
    StorageRung,
    |s| StorageRung::from_name(s).ok_or("unknown rung"),
    as_str,
    "StorageRung"
);

/// The `hello` result: the hub is ready on this port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ready {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The hub build's version.
    pub hub_version: String,
    /// Methods the hub answers.
    pub methods: Vec<Method>,
    /// Current storage.
    pub storage: StorageStatus,
    /// Whether `token.get` hands tokens to this page (the partner is registered to
    /// receive them).
    pub expose_tokens: bool,
}

crate::json_object!(
    Ready,
    "ready",
    deny_unknown {
        protocol,
        hub_version,
        methods,
        storage,
        expose_tokens,
    }
);
crate::json_text_member!(
    Method,
    |s| Method::from_name(s).ok_or("unknown method"),
    as_str,
    "Method"
);

/// The result of `token.get` and `session.begin`.
#[derive(Clone, Debug, PartialEq, Eq)]
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

crate::json_object!(
    TokenGrant,
    "grant",
    deny_unknown {
        access_token,
        token_type,
        expires_at,
        scope,
    }
);

/// The result of `session.end`, `form.mount` and `form.update`.
pub type Ended = NoParams;

/// The result of `session.get` and `session.begin`: a session exists, and until when.
/// No token: the page learns that it is signed in, not the credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// Unix seconds.
    pub expires_at: i64,
    /// Scopes the session's token carries.
    pub scope: ScopeSet,
}

crate::json_object!(SessionInfo, "session", deny_unknown { expires_at, scope });

/// The result of `diagnose`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// Current storage.
    pub storage: StorageStatus,
    /// Server clock minus browser clock, in seconds (`None` when the server could not
    /// be asked).
    pub clock_skew_seconds: Option<i64>,
}

crate::json_object!(
    Diagnosis,
    "diagnosis",
    deny_unknown {
        storage,
        clock_skew_seconds
    }
);

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

/// The form frame's states (`form.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormState {
    /// Fetching schema and record.
    Loading,
    /// No session: the SDK should sign in through the hub.
    SignedOut,
    /// Editable.
    Ready,
    /// A save is in flight.
    Saving,
    /// The last save succeeded.
    Saved,
    /// The server has a newer version; the user chooses.
    Conflict,
    /// Loading or saving failed.
    Error,
}

impl FormState {
    /// Every state.
    pub const ALL: &'static [FormState] = &[
        FormState::Loading,
        FormState::SignedOut,
        FormState::Ready,
        FormState::Saving,
        FormState::Saved,
        FormState::Conflict,
        FormState::Error,
    ];

    /// The wire name, e.g. `"signed_out"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FormState::Loading => "loading",
            FormState::SignedOut => "signed_out",
            FormState::Ready => "ready",
            FormState::Saving => "saving",
            FormState::Saved => "saved",
            FormState::Conflict => "conflict",
            FormState::Error => "error",
        }
    }

    /// Looks a wire name up.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == name)
    }
}

/// An event pushed without a request: by the hub frame (`session.changed`) or by the
/// form frame (the `form.*` events and `session.changed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A token was stored or cleared, in this or another tab.
    SessionChanged(SessionChanged),
    /// The form moved to another state (`code` says why, for `signed_out` and `error`).
    FormState(FormState, Option<ErrorCode>),
    /// The user changed a value (`dirty`: unsaved changes exist).
    FormChange(bool),
    /// A save succeeded.
    FormSaved,
    /// A save found a newer version on the server.
    FormConflict,
    /// Loading or saving failed.
    FormError(RpcError),
    /// The form's content height in CSS pixels.
    FormResize(u32),
}

/// `session.changed` data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionChanged {
    /// Whether a session is now stored.
    pub signed_in: bool,
}

crate::json_object!(SessionChanged, "data", deny_unknown { signed_in });

impl Event {
    /// The event's wire name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::SessionChanged(_) => "session.changed",
            Event::FormState(..) => "form.state",
            Event::FormChange(_) => "form.change",
            Event::FormSaved => "form.saved",
            Event::FormConflict => "form.conflict",
            Event::FormError(_) => "form.error",
            Event::FormResize(_) => "form.resize",
        }
    }

    fn data(&self) -> Value {
        match self {
            Event::SessionChanged(data) => data.to_value(),
            Event::FormState(state, code) => Value::object([
                ("state", Some(state.as_str().into())),
                ("code", code.map(|c| c.as_str().into())),
            ]),
            Event::FormChange(dirty) => Value::object([("dirty", Some((*dirty).into()))]),
            Event::FormSaved | Event::FormConflict => Value::Object(Vec::new()),
            Event::FormError(e) => e.to_value(),
            Event::FormResize(height) => Value::object([("height", Some((*height).into()))]),
        }
    }

    fn decode_data(name: &str, data: &Value) -> Result<Self, JsonError> {
        let mut m = Members::of(data, "data")?;
        let event = match name {
            "session.changed" => {
                return SessionChanged::from_value(data).map(Event::SessionChanged)
            }
            "form.error" => return RpcError::from_value(data).map(Event::FormError),
            "form.state" => Event::FormState(
                m.parsed("state", |s| FormState::from_name(s).ok_or("unknown state"))?,
                m.opt_parsed("code", |s| ErrorCode::from_code(s).ok_or("unknown code"))?,
            ),
            "form.change" => Event::FormChange(m.bool("dirty")?),
            "form.saved" => Event::FormSaved,
            "form.conflict" => Event::FormConflict,
            "form.resize" => Event::FormResize(
                u32::try_from(m.int("height")?)
                    .map_err(|_| JsonError::Type("height", "a pixel count"))?,
            ),
            _ => return Err(JsonError::Invalid("event", "unknown event".into())),
        };
        m.finish()?;
        Ok(event)
    }

    /// Encodes as JSON text.
    pub fn encode(&self) -> String {
        Value::object([
            ("crosspass", Some(PROTOCOL_VERSION.into())),
            ("event", Some(self.name().into())),
            ("data", Some(self.data())),
        ])
        .to_json()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_and_form_params_are_checked_as_they_are_read() {
        let ok = FetchParams::from_json(
            r#"{"path":"/api/v1/me/record?x=1","headers":{"If-Match":"\"v1\""},"body":null}"#,
        )
        .unwrap();
        assert_eq!(ok.method, HttpMethod::Get);
        assert_eq!(ok.path.as_str(), "/api/v1/me/record?x=1");
        assert_eq!(ok.headers.0, [("If-Match".to_owned(), "\"v1\"".to_owned())]);
        // Written back with GET and the absent body left out.
        assert_eq!(
            ok.to_json(),
            r#"{"path":"/api/v1/me/record?x=1","headers":{"If-Match":"\"v1\""}}"#
        );
        let put = r#"{"path":"/api/v1/me/record","method":"put","body":"{}"}"#;
        assert_eq!(FetchParams::from_json(put).unwrap().method, HttpMethod::Put);
        for bad in [
            r#"{"path":"/oauth/token"}"#,
            r#"{"path":"/api/v1/../admin"}"#,
            r#"{"path":"/api/./v1"}"#,
            r#"{"path":"/api/v1\\x"}"#,
            r#"{"path":"/api/v1 x"}"#,
            r#"{"path":"/api/v1","method":"TRACE"}"#,
            r#"{"path":"/api/v1","body":"x"}"#,
            r#"{"path":"/api/v1","method":"HEAD","body":""}"#,
            r#"{"path":"/api/v1","headers":{"Authorization":"Bearer x"}}"#,
            r#"{"path":"/api/v1","headers":{"x":"a\r\nb"}}"#,
            r#"{"path":"/api/v1","headers":["x"]}"#,
            r#"{"path":"/api/v1","extra":1}"#,
        ] {
            assert!(FetchParams::from_json(bad).is_err(), "{bad}");
        }
        let result = r#"{"status":204,"status_text":"No Content","headers":{},"body":""}"#;
        assert_eq!(FetchResult::from_json(result).unwrap().status, 204);
        assert!(FetchResult::from_json(&result.replace("204", "99")).is_err());
        assert!(FetchResult::from_json(&result.replace("204", "70000")).is_err());
        let form = FormParams::from_json(r#"{"appearance":{},"locale":"de-CH","messages":{}}"#);
        assert_eq!(form.unwrap().locale.as_deref(), Some("de-CH"));
        for bad in [
            r#"{"locale":""}"#,
            r#"{"locale":"de_CH"}"#,
            r#"{"messages":{"a":1}}"#,
        ] {
            assert!(FormParams::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decode_errors_read_as_one_sentence() {
        let invalid = DecodeError::InvalidParams {
            method: Method::TokenGet,
            reason: JsonError::Missing("scope"),
        };
        assert_eq!(
            invalid.to_string(),
            "invalid params for token.get: missing member `scope`"
        );
        assert_eq!(
            DecodeError::Malformed(JsonError::Syntax(7)).to_string(),
            "malformed message: invalid JSON at byte 7"
        );
        assert_eq!(
            DecodeError::TooLarge(70_000).to_string(),
            "message of 70000 bytes exceeds the cap"
        );
    }

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
            Call::SessionBegin(SignIn::Assertion {
                assertion: Assertion::new("a.b.c"),
                scope: Some(ScopeSet::parse("form.read form.write").unwrap()),
            }),
            Call::SessionBegin(SignIn::Assertion {
                assertion: Assertion::new("a.b.c"),
                scope: None,
            }),
            Call::SessionBegin(SignIn::AccessToken {
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
            r#"{"crosspass":2,"id":"7","method":"token.get","params":{"scope":"form.read"}}"#
        );
        let no_params =
            Request::decode(r#"{"crosspass":2,"id":"8","method":"session.end"}"#).unwrap();
        assert_eq!(no_params.call, Call::SessionEnd);
    }

    #[test]
    fn refuses_bad_envelopes_with_typed_errors() {
        let big = format!(
            r#"{{"crosspass":2,"id":"1","method":"hello","params":{{"pad":"{}"}}}}"#,
            "x".repeat(MAX_MESSAGE_BYTES)
        );
        assert!(matches!(decode_err(&big).error, DecodeError::TooLarge(_)));

        let f = decode_err(r#"{"crosspass":1,"id":"1","method":"session.end"}"#);
        assert_eq!(f.error, DecodeError::UnsupportedVersion(1));
        assert_eq!(f.error.code(), ErrorCode::UnsupportedVersion);
        assert_eq!(f.id, Some(id("1")));

        let f = decode_err(r#"{"crosspass":2,"id":"2","method":"token.steal"}"#);
        assert_eq!(f.error, DecodeError::UnknownMethod);
        assert_eq!(f.error.code(), ErrorCode::InvalidRequest);
        assert_eq!(f.id, Some(id("2")));

        for text in [
            "",
            "null",
            "[]",
            "\"hello\"",
            r#"{"crosspass":2,"id":"3","method":"session.end","extra":true}"#,
            r#"{"crosspass":2,"id":"3","method":"session.end","__proto__":{"admin":true}}"#,
            r#"{"crosspass":"1","id":"3","method":"session.end"}"#,
            r#"{"crosspass":2,"id":3,"method":"session.end"}"#,
            r#"{"crosspass":2,"id":"3","method":"session.end","method":"token.get"}"#,
            r#"{"id":"3","method":"session.end"}"#,
        ] {
            assert!(
                matches!(decode_err(text).error, DecodeError::Malformed(_)),
                "{text}"
            );
        }

        for text in [
            r#"{"crosspass":2,"id":"","method":"session.end"}"#,
            r#"{"crosspass":2,"id":"a b","method":"session.end"}"#,
        ] {
            assert!(
                matches!(decode_err(text).error, DecodeError::Malformed(_)),
                "{text}"
            );
            assert_eq!(decode_err(text).id, None);
        }

        for text in [
            r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":1}}"#,
            r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":"a","x":1}}"#,
            r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":"a","__proto__":1}}"#,
            r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":["a"]}}"#,
            r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":"a  b"}}"#,
            r#"{"crosspass":2,"id":"4","method":"session.end","params":{"x":1}}"#,
            r#"{"crosspass":2,"id":"4","method":"session.end","params":[]}"#,
            r#"{"crosspass":2,"id":"4","method":"session.begin","params":{}}"#,
            r#"{"crosspass":2,"id":"4","method":"session.begin","params":{"assertion":"a","access_token":"b"}}"#,
            r#"{"crosspass":2,"id":"4","method":"session.begin","params":{"access_token":"b","scope":"x"}}"#,
            r#"{"crosspass":2,"id":"4","method":"hello","params":{"client_id":"../abc","sdk_version":"1"}}"#,
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
            r#"{"crosspass":2,"id":"10","error":{"code":"login_required","message":"sign in first"}}"#
        );
        match HubMessage::decode(&text).unwrap() {
            HubMessage::Response(r) => assert_eq!(r.into_result::<TokenGrant>(), Err(err)),
            HubMessage::Event(_) => panic!("not an event"),
        }

        let ev = Event::SessionChanged(SessionChanged { signed_in: false });
        let text = ev.encode();
        assert_eq!(
            text,
            r#"{"crosspass":2,"event":"session.changed","data":{"signed_in":false}}"#
        );
        assert!(matches!(HubMessage::decode(&text).unwrap(), HubMessage::Event(e) if e == ev));
    }

    #[test]
    fn refuses_bad_hub_messages() {
        for text in [
            r#"{"crosspass":2,"id":"1"}"#,
            r#"{"crosspass":2,"id":"1","result":{},"error":{"code":"timeout","message":""}}"#,
            r#"{"crosspass":2,"id":"1","result":{},"extra":1}"#,
            r#"{"crosspass":2,"event":"session.stolen","data":{"signed_in":true}}"#,
            r#"{"crosspass":2,"event":"session.changed","data":{"signed_in":"yes"}}"#,
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
