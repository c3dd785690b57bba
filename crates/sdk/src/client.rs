//! The API behind the `Crosspass` class: tokens, sign-in shared between concurrent
//! callers, sign-out, authenticated `fetch`, storage and session events.

use crate::connection::{Connection, HubTarget};
use crate::error::SdkError;
use crosspass_protocol::rpc::{
    Call, Ended, SessionBeginParams, SessionChanged, StorageStatus, TokenGetParams, TokenGrant,
};
use crosspass_protocol::text::Describe;
use crosspass_protocol::{AccessToken, Assertion, ClientId, ErrorCode, ScopeSet};
use crosspass_web::Slot;
use js_sys::{Function, Object, Promise, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Default per-call time limit.
pub const DEFAULT_TIMEOUT_MS: i32 = 10_000;
/// Time a user has to answer the storage consent (button or popup).
const CONSENT_TIMEOUT_MS: i32 = 300_000;

/// Reads `obj[key]`; `undefined` for anything that is not an object.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn string_option(obj: &JsValue, key: &str) -> Result<Option<String>, SdkError> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| SdkError::InvalidArgument(["`", key, "` must be a string"].concat()))
}

fn scope_option(obj: &JsValue) -> Result<Option<ScopeSet>, SdkError> {
    string_option(obj, "scope")?
        .map(|s| ScopeSet::parse(&s).map_err(|e| SdkError::invalid("scope", &e)))
        .transpose()
}

/// `Crosspass.connect` options.
#[derive(Debug)]
pub struct ConnectOptions {
    /// The hub page, e.g. `https://sso.xyz/hub`.
    pub hub_url: String,
    /// The partner's client.
    pub client_id: ClientId,
    /// Mints a partner assertion (browser path).
    pub get_assertion: Option<Function>,
    /// Per-call time limit.
    pub timeout_ms: i32,
    /// Scopes `getToken()` and `fetch()` ask for when none are named.
    pub scope: ScopeSet,
    /// The hub frame the package's JS entry started loading early (`frame`, internal).
    pub frame: Option<web_sys::HtmlIFrameElement>,
}

impl ConnectOptions {
    /// Reads and checks the options object.
    pub fn from_js(options: &JsValue) -> Result<Self, SdkError> {
        if !options.is_object() {
            return Err(SdkError::InvalidArgument(
                "connect() takes an options object".into(),
            ));
        }
        let hub_url = string_option(options, "hubUrl")?
            .ok_or_else(|| SdkError::InvalidArgument("`hubUrl` is required".into()))?;
        let client_id = string_option(options, "clientId")?
            .ok_or_else(|| SdkError::InvalidArgument("`clientId` is required".into()))
            .and_then(|c| ClientId::new(c).map_err(|e| SdkError::invalid("clientId", &e)))?;
        let get_assertion = match get(options, "getAssertion") {
            v if v.is_undefined() || v.is_null() => None,
            v => Some(v.dyn_into::<Function>().map_err(|_| {
                SdkError::InvalidArgument("`getAssertion` must be a function".into())
            })?),
        };
        let timeout_ms = match get(options, "timeoutMs") {
            v if v.is_undefined() => DEFAULT_TIMEOUT_MS,
            v => match v.as_f64() {
                Some(ms) if (1.0..=600_000.0).contains(&ms) => ms as i32,
                _ => {
                    return Err(SdkError::InvalidArgument(
                        "`timeoutMs` must be a number of milliseconds (1 to 600000)".into(),
                    ))
                }
            },
        };
        Ok(Self {
            hub_url,
            client_id,
            get_assertion,
            timeout_ms,
            scope: scope_option(options)?.unwrap_or_default(),
            frame: get(options, "frame").dyn_into().ok(),
        })
    }
}

type Listeners = Rc<RefCell<Vec<(u32, Function)>>>;

/// One connected SDK instance.
pub struct Client {
    conn: Connection,
    target: HubTarget,
    get_assertion: Option<Function>,
    scope: ScopeSet,
    signing_in: RefCell<Option<Slot<Result<TokenGrant, SdkError>>>>,
    listeners: Listeners,
    next_listener: Cell<u32>,
    destroyed: Cell<bool>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("hub", &self.target.origin)
            .field("client_id", &self.target.client_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Opens the hub connection.
    pub async fn connect(options: ConnectOptions) -> Result<Rc<Self>, SdkError> {
        Self::connect_in(options, true).await
    }

    /// Connects to a hub in a new iframe (`in_frame`), or to one running in this very
    /// window (a page that hosts the hub itself, and the tests).
    pub async fn connect_in(options: ConnectOptions, in_frame: bool) -> Result<Rc<Self>, SdkError> {
        let target = HubTarget::new(&options.hub_url, options.client_id)?;
        let listeners: Listeners = Rc::default();
        let for_events = listeners.clone();
        let on_event = move |e: SessionChanged| emit(&for_events, e.signed_in);
        let conn = if in_frame {
            Connection::open(&target, options.timeout_ms, options.frame, on_event).await?
        } else {
            Connection::open_in(None, &target, options.timeout_ms, on_event).await?
        };
        Ok(Rc::new(Self {
            conn,
            target,
            get_assertion: options.get_assertion,
            scope: options.scope,
            signing_in: RefCell::new(None),
            listeners,
            next_listener: Cell::new(1),
            destroyed: Cell::new(false),
        }))
    }

    /// A token carrying `scope` (default: the connection's), signing in through
    /// `getAssertion` when the hub has none. Concurrent callers share one sign-in.
    pub async fn get_token(&self, scope: Option<ScopeSet>) -> Result<TokenGrant, SdkError> {
        let scope = scope.unwrap_or_else(|| self.scope.clone());
        let params = TokenGetParams {
            scope: scope.clone(),
        };
        match self
            .conn
            .call::<TokenGrant>(Call::TokenGet(params.clone()))
            .await
        {
            Err(SdkError::Hub(e)) if e.code == ErrorCode::LoginRequired => {
                let grant = self.sign_in_shared().await?;
                if scope.is_subset(&grant.scope) {
                    Ok(grant)
                } else {
                    self.conn.call(Call::TokenGet(params)).await
                }
            }
            other => other,
        }
    }

    /// Signs in through `getAssertion`, joining a sign-in already under way.
    pub async fn sign_in_shared(&self) -> Result<TokenGrant, SdkError> {
        let joined = self.signing_in.borrow().clone();
        if let Some(slot) = joined {
            return slot.await;
        }
        let slot = Slot::new();
        *self.signing_in.borrow_mut() = Some(slot.clone());
        let result = self.sign_in_with_callback().await;
        *self.signing_in.borrow_mut() = None;
        slot.fill(result.clone());
        result
    }

    async fn sign_in_with_callback(&self) -> Result<TokenGrant, SdkError> {
        let Some(callback) = &self.get_assertion else {
            return Err(SdkError::LoginRequired(
                "no session: call signIn(), or pass getAssertion to connect()".into(),
            ));
        };
        let failed = || SdkError::LoginRequired("getAssertion did not give an assertion".into());
        let value = callback.call0(&JsValue::NULL).map_err(|_| failed())?;
        let value = match value.dyn_into::<Promise>() {
            Ok(p) => crosspass_web::wait(&p).await.map_err(|_| failed())?,
            Err(v) => v,
        };
        let assertion = value
            .as_string()
            .filter(|a| !a.is_empty())
            .ok_or_else(failed)?;
        self.begin(SessionBeginParams::Assertion {
            assertion: Assertion::new(assertion),
            scope: None,
        })
        .await
    }

    /// `session.begin` with an assertion or an access token.
    pub async fn begin(&self, params: SessionBeginParams) -> Result<TokenGrant, SdkError> {
        self.conn.call(Call::SessionBegin(params)).await
    }

    /// Reads `{assertion, scope?}` or `{accessToken}`.
    pub fn credential_from_js(credential: &JsValue) -> Result<SessionBeginParams, SdkError> {
        let assertion = string_option(credential, "assertion")?;
        let access_token = string_option(credential, "accessToken")?;
        let scope = scope_option(credential)?;
        match (assertion, access_token, scope) {
            (Some(a), None, scope) if !a.is_empty() => Ok(SessionBeginParams::Assertion {
                assertion: Assertion::new(a),
                scope,
            }),
            (None, Some(t), None) if !t.is_empty() => Ok(SessionBeginParams::AccessToken {
                access_token: AccessToken::new(t),
            }),
            _ => Err(SdkError::InvalidArgument(
                "signIn() takes { assertion, scope? } or { accessToken }".into(),
            )),
        }
    }

    /// Forgets the session in the hub (for every tab of the tenant).
    pub async fn sign_out(&self) -> Result<(), SdkError> {
        self.conn.call::<Ended>(Call::SessionEnd).await.map(|_| ())
    }

    /// The hub's storage rung.
    pub async fn storage(&self) -> Result<StorageStatus, SdkError> {
        self.conn.call(Call::StorageStatus).await
    }

    /// Shows the hub's consent button until the user has answered, then reports the
    /// rung reached.
    pub async fn request_storage_access(&self) -> Result<StorageStatus, SdkError> {
        let status = self.storage().await?;
        if !status.can_request {
            return Ok(status);
        }
        self.conn.show(true);
        let result = self
            .conn
            .call_with_timeout(Call::StorageRequest, CONSENT_TIMEOUT_MS)
            .await;
        if !self.destroyed.get() {
            self.conn.show(false);
        }
        result
    }

    /// `fetch` to the XYZ API with the bearer token; on a 401, signs in afresh once
    /// and retries. Only the hub's own origin is reachable: the token goes nowhere else.
    pub async fn fetch(&self, path: &str, init: &JsValue) -> Result<web_sys::Response, SdkError> {
        let url = web_sys::Url::new_with_base(path, &self.target.origin)
            .map_err(|_| SdkError::InvalidArgument("fetch() needs a path or URL".into()))?;
        if url.origin() != self.target.origin {
            return Err(SdkError::InvalidArgument(
                "fetch() only reaches the XYZ API origin".into(),
            ));
        }
        let window = web_sys::window().ok_or(SdkError::Network)?;
        let mut grant = self.get_token(None).await?;
        let mut retried = false;
        loop {
            let request_init = with_bearer(init, &grant.access_token)?;
            // `fetch` fulfils with a Response or rejects.
            let response: web_sys::Response = crosspass_web::wait(
                &window.fetch_with_str_and_init(&url.href(), request_init.unchecked_ref()),
            )
            .await
            .map_err(|_| SdkError::Network)?
            .unchecked_into();
            if response.status() != 401 || retried || self.get_assertion.is_none() {
                return Ok(response);
            }
            retried = true;
            grant = self.sign_in_shared().await?;
        }
    }

    /// Adds a `session` listener; returns its id for [`off`](Self::off).
    pub fn on_session(&self, callback: Function) -> u32 {
        let id = self.next_listener.get();
        self.next_listener.set(id.wrapping_add(1));
        self.listeners.borrow_mut().push((id, callback));
        id
    }

    /// Removes a listener.
    pub fn off(&self, id: u32) {
        self.listeners.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// True after [`destroy`](Self::destroy).
    pub fn is_destroyed(&self) -> bool {
        self.destroyed.get()
    }

    /// Removes the iframe and listeners; later calls fail with `destroyed`.
    pub fn destroy(&self) {
        self.destroyed.set(true);
        self.listeners.borrow_mut().clear();
        self.conn.close();
    }
}

fn emit(listeners: &Listeners, signed_in: bool) {
    let callbacks: Vec<Function> = listeners.borrow().iter().map(|(_, f)| f.clone()).collect();
    let event = Object::new();
    let _ = Reflect::set(&event, &"signedIn".into(), &signed_in.into());
    for f in callbacks {
        // A throwing listener must not stop the others.
        let _ = f.call1(&JsValue::NULL, &event);
    }
}

/// A copy of `init` with `Authorization: Bearer …` and no cookies.
fn with_bearer(init: &JsValue, token: &AccessToken) -> Result<Object, SdkError> {
    let copy = Object::new();
    if init.is_object() {
        Object::assign(&copy, init.unchecked_ref());
    }
    let headers = match get(init, "headers") {
        h if h.is_undefined() => web_sys::Headers::new(),
        h => web_sys::Headers::new_with_headers(h.unchecked_ref()),
    }
    .map_err(|_| SdkError::InvalidArgument("fetch(): unusable headers".into()))?;
    headers
        .set(
            "Authorization",
            &["Bearer ", token.expose_secret()].concat(),
        )
        .map_err(|_| SdkError::InvalidArgument("fetch(): unusable headers".into()))?;
    let _ = Reflect::set(&copy, &"headers".into(), &headers);
    let _ = Reflect::set(&copy, &"credentials".into(), &"omit".into());
    Ok(copy)
}

/// The JS form of a token: `{ accessToken, tokenType, expiresAt, scope }`.
pub fn grant_to_js(g: &TokenGrant) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(
        &o,
        &"accessToken".into(),
        &g.access_token.expose_secret().into(),
    );
    let _ = Reflect::set(&o, &"tokenType".into(), &g.token_type.as_str().into());
    // Unix seconds fit an f64 exactly.
    let _ = Reflect::set(&o, &"expiresAt".into(), &(g.expires_at as f64).into());
    let _ = Reflect::set(&o, &"scope".into(), &g.scope.text().into());
    o.into()
}

/// The JS form of a storage status: `{ rung, canRequest }`.
pub fn status_to_js(s: &StorageStatus) -> JsValue {
    let o = Object::new();
    // The wire name, e.g. "first_party_popup", exactly as the protocol spells it.
    let _ = Reflect::set(&o, &"rung".into(), &s.rung.as_str().into());
    let _ = Reflect::set(&o, &"canRequest".into(), &s.can_request.into());
    o.into()
}
