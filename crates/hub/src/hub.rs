//! The hub itself: the handshake on `window`, RPC on each page's private port, the
//! session methods, storage consent and `session.changed` across tabs.

use crate::config::HubConfig;
use crate::error::HubError;
use crate::js;
use crate::ladder::{self, Access, ClickAction, Probe, StartPlan};
use crate::popup::{self, PopupMessage};
use crate::store::{Backend, TokenStore};
use crate::token;
use crosspass_protocol::json::Json;
use crosspass_protocol::rpc::{
    Call, Diagnosis, Ended, Event, FetchParams, FetchResult, Method, Ready, Request, Response,
    SessionChanged, SessionInfo, SignIn, StorageRung, StorageStatus, TokenGrant, MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
};
use crosspass_protocol::{ErrorCode, RpcError, ScopeSet};
use crosspass_web::Slot;
use js_sys::Object;
use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent, MessagePort};

/// Most pages (ports) one hub serves at once; the oldest is dropped beyond it. Each
/// page holds one live port, but its handshake retries may open a few more.
const MAX_PORTS: usize = 16;
/// Id of the consent button in the hub page.
const BUTTON_ID: &str = "continue";
/// Attribute of the button holding its label for the popup step.
const POPUP_LABEL_ATTR: &str = "data-popup-label";
/// How often the hub checks whether the user closed the popup.
const POPUP_POLL_MS: u32 = 500;
/// How often the hub re-reads its store for changes made elsewhere.
const WATCH_MS: u32 = 2_000;
/// How long a storage access request may stay unanswered before the button offers the
/// popup instead: a browser prompt the user ignores (or that never shows, as in
/// WebKit under automation) must not leave them without a way on.
const ACCESS_PATIENCE_MS: u32 = 3_000;

type Listener = Closure<dyn FnMut(MessageEvent)>;

struct Port {
    port: MessagePort,
    _on_message: Listener,
}

struct Channel {
    channel: BroadcastChannel,
    _on_message: Listener,
}

/// How a storage consent ended, for every call waiting on it (`Copy`: each gets one).
type ConsentOutcome = Result<StorageStatus, ConsentFailure>;

#[derive(Clone, Copy, Debug)]
enum ConsentFailure {
    PopupBlocked,
    NotGranted,
}

impl From<ConsentFailure> for HubError {
    fn from(f: ConsentFailure) -> Self {
        match f {
            ConsentFailure::PopupBlocked => HubError::PopupBlocked,
            ConsentFailure::NotGranted => HubError::ConsentRequired,
        }
    }
}

#[derive(Default)]
struct Consent {
    waiters: Vec<Slot<ConsentOutcome>>,
    access_refused: bool,
    popup: Option<web_sys::Window>,
}

/// One hub instance: the configuration, the token store and the connected pages.
pub struct Hub {
    config: HubConfig,
    probe: Probe,
    store: RefCell<TokenStore>,
    ports: RefCell<Vec<Port>>,
    channel: RefCell<Option<Channel>>,
    tokens: RefCell<Option<Channel>>,
    consent: RefCell<Consent>,
    signed_in: Cell<bool>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("client_id", &self.config.client_id)
            .field("rung", &self.store.borrow().rung())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Probes storage, picks the first rung and starts listening.
    pub async fn start(config: HubConfig) -> Result<Rc<Self>, JsValue> {
        let probe = ladder::probe().await;
        let store = initial_store(&config, &probe).await;
        let hub = Rc::new(Hub {
            signed_in: Cell::new(!store.load().tokens.is_empty()),
            config,
            probe,
            store: RefCell::new(store),
            ports: RefCell::new(Vec::new()),
            channel: RefCell::new(None),
            tokens: RefCell::new(None),
            consent: RefCell::new(Consent::default()),
        });
        hub.open_channel();
        hub.open_token_channel();
        hub.listen()?;
        hub.watch();
        if hub.store.borrow().rung() == StorageRung::FirstPartyCookie && !hub.signed_in.get() {
            let h = hub.clone();
            crosspass_web::spawn(async move {
                h.sign_in_from_cookie().await;
            });
        }
        Ok(hub)
    }

    fn listen(self: &Rc<Self>) -> Result<(), JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let hub = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            hub.on_window_message(&e);
        });
        window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref())?;
        // The hub lives as long as its page, and so do both listeners.
        crosspass_web::for_page_lifetime(on_message);
        if let Some(button) = window
            .document()
            .and_then(|d| d.get_element_by_id(BUTTON_ID))
        {
            let hub = self.clone();
            let on_click = Closure::<dyn FnMut()>::new(move || hub.on_click());
            button.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
            crosspass_web::for_page_lifetime(on_click);
        }
        Ok(())
    }

    fn status(&self) -> StorageStatus {
        ladder::status(self.store.borrow().rung(), self.probe.access_api)
    }

    fn on_window_message(self: &Rc<Self>, event: &MessageEvent) {
        let popup = self.consent.borrow().popup.clone();
        if let Some(popup) = popup {
            let from_popup = event.source().is_some_and(|s| Object::is(&s, &popup));
            if from_popup {
                if popup::own_origin().as_deref() == Some(event.origin().as_str()) {
                    self.on_popup_message(&popup, event);
                }
                return;
            }
        }
        self.on_hello(event);
    }

    /// The handshake. Only a well-formed `hello` for this client, from a registered
    /// origin, carrying a port, gets an answer (`ready`, on that port); anything else
    /// sent to the window is ignored without a word.
    fn on_hello(self: &Rc<Self>, event: &MessageEvent) {
        if !self.config.origins.allows_serialized(&event.origin()) {
            return;
        }
        let Some(port) = event.ports().get(0).dyn_into::<MessagePort>().ok() else {
            return;
        };
        let Some(request) = event
            .data()
            .as_string()
            .and_then(|text| Request::decode(&text).ok())
        else {
            return;
        };
        match request.call {
            Call::Hello(params) if params.client_id == self.config.client_id => {}
            _ => return,
        }
        let ready = Ready {
            protocol: PROTOCOL_VERSION,
            hub_version: env!("CARGO_PKG_VERSION").into(),
            methods: Method::ALL
                .iter()
                .copied()
                .filter(|m| !matches!(m, Method::Hello | Method::FormMount | Method::FormUpdate))
                .collect(),
            storage: self.status(),
            expose_tokens: self.config.expose_tokens,
        };
        self.attach(port.clone());
        reply(&port, Response::ok(request.id, &ready));
    }

    fn attach(self: &Rc<Self>, port: MessagePort) {
        let hub = self.clone();
        let reply_port = port.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            hub.on_port_message(&reply_port, &e);
        });
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let mut ports = self.ports.borrow_mut();
        if ports.len() >= MAX_PORTS {
            let oldest = ports.remove(0);
            oldest.port.set_onmessage(None);
            oldest.port.close();
        }
        ports.push(Port {
            port,
            _on_message: on_message,
        });
    }

    fn on_port_message(self: &Rc<Self>, port: &MessagePort, event: &MessageEvent) {
        let Some(text) = event.data().as_string() else {
            reply(port, not_text());
            return;
        };
        match Request::decode(&text) {
            Err(f) => reply(port, Response::err(f.id, f.error.to_rpc_error())),
            Ok(request) => {
                let hub = self.clone();
                let port = port.clone();
                crosspass_web::spawn(async move {
                    let response = hub.dispatch(request).await;
                    reply(&port, response);
                });
            }
        }
    }

    async fn dispatch(self: &Rc<Self>, request: Request) -> Response {
        let id = request.id;
        let method = request.call.method();
        let outcome = match request.call {
            Call::Hello(_) => {
                return Response::err(
                    Some(id),
                    RpcError::new(ErrorCode::InvalidRequest, "already connected"),
                )
            }
            Call::SessionGet(p) => self
                .token_or_cookie(&p.scope)
                .await
                .map(|g| Response::ok(id.clone(), &info(&g))),
            Call::TokenGet(p) if self.config.expose_tokens => self
                .token_or_cookie(&p.scope)
                .await
                .map(|g| Response::ok(id.clone(), &g)),
            Call::TokenGet(_) => Err(HubError::TokenNotExposed),
            Call::SessionBegin(p) => self
                .session_begin(p)
                .await
                .map(|g| Response::ok(id.clone(), &info(&g))),
            Call::SessionEnd => {
                self.session_end().await;
                Ok(Response::ok(id.clone(), &Ended {}))
            }
            Call::Fetch(p) => self.fetch(p).await.map(|r| Response::ok(id.clone(), &r)),
            Call::StorageStatus => Ok(Response::ok(id.clone(), &self.status())),
            Call::StorageRequest => self
                .storage_request()
                .await
                .map(|s| Response::ok(id.clone(), &s)),
            Call::Diagnose => {
                let clock_skew_seconds = crate::api::clock_skew().await;
                Ok(Response::ok(
                    id.clone(),
                    &Diagnosis {
                        storage: self.status(),
                        clock_skew_seconds,
                    },
                ))
            }
            Call::FormMount(_) | Call::FormUpdate(_) => Err(HubError::NotHere(method.as_str())),
        };
        outcome.unwrap_or_else(|e| Response::err(Some(id), e.to_rpc_error()))
    }

    fn token_get(&self, scope: &ScopeSet) -> Result<TokenGrant, HubError> {
        let now = js::now_secs();
        let session = self.store.borrow().load();
        session
            .candidates(&self.config.client_id, scope, now)
            .into_iter()
            .find(|t| token::check_claims(&self.config, &t.claims, scope, now).is_ok())
            .map(|t| grant(t.clone()))
            .ok_or(HubError::LoginRequired)
    }

    async fn session_begin(self: &Rc<Self>, params: SignIn) -> Result<TokenGrant, HubError> {
        let access_token = match params {
            SignIn::Assertion { assertion, scope } => {
                token::redeem(&self.config, &assertion, scope.as_ref()).await?
            }
            SignIn::AccessToken { access_token } => access_token,
            SignIn::Session { session, scope } => {
                token::redeem_session(&self.config, &session, scope.as_ref()).await?
            }
        };
        let now = js::now_secs();
        let stored =
            token::check_access_token(&self.config, &access_token, &ScopeSet::default(), now)?;
        {
            let mut store = self.store.borrow_mut();
            let mut session = store.load();
            session.insert(stored.clone(), now);
            store.save(&session);
        }
        self.changed(true);
        if self.store.borrow().rung() == StorageRung::FirstPartyCookie {
            // The page has its token either way; sites signed in later share it then.
            let _ = token::keep_browser_session(&stored).await;
        }
        Ok(grant(stored))
    }

    /// On the cookie rung: signs this hub in from the browser's XYZ session, if there
    /// is one; true when it did.
    async fn sign_in_from_cookie(self: &Rc<Self>) -> bool {
        let Ok(access_token) = token::from_browser_session(&self.config).await else {
            return false;
        };
        let now = js::now_secs();
        let Ok(stored) =
            token::check_access_token(&self.config, &access_token, &ScopeSet::default(), now)
        else {
            return false;
        };
        {
            let mut store = self.store.borrow_mut();
            let mut session = store.load();
            session.insert(stored, now);
            store.save(&session);
        }
        self.changed(true);
        true
    }

    /// `token_get`, and on the cookie rung, when nothing is held, a token from the
    /// browser session: a site reached through it renews without an assertion.
    async fn token_or_cookie(self: &Rc<Self>, scope: &ScopeSet) -> Result<TokenGrant, HubError> {
        match self.token_get(scope) {
            Err(HubError::LoginRequired)
                if self.store.borrow().rung() == StorageRung::FirstPartyCookie
                    && self.sign_in_from_cookie().await =>
            {
                self.token_get(scope)
            }
            other => other,
        }
    }

    /// Carries out a request to XYZ's API with the session's token. A 401 means the
    /// token is no good any more: it is dropped, and the caller signs in again.
    async fn fetch(self: &Rc<Self>, params: FetchParams) -> Result<FetchResult, HubError> {
        let token = self
            .token_or_cookie(&crosspass_protocol::ScopeSet::default())
            .await?;
        let result = crate::api::fetch(&params, &token.access_token).await?;
        if result.status == 401 {
            self.drop_token(&token.access_token);
            return Err(HubError::LoginRequired);
        }
        Ok(result)
    }

    fn drop_token(&self, token: &crosspass_protocol::AccessToken) {
        let signed_in = {
            let mut store = self.store.borrow_mut();
            let mut session = store.load();
            session.tokens.retain(|t| &t.access_token != token);
            store.save(&session);
            !session.tokens.is_empty()
        };
        self.changed(signed_in);
    }

    /// Signs out here at once, then revokes the tokens so their sessions end on the
    /// server too. A revocation that fails (offline) leaves a token that dies at its
    /// expiry, a few minutes on; the browser no longer has it either way.
    async fn session_end(&self) {
        let ended = {
            let mut store = self.store.borrow_mut();
            let session = store.load();
            store.save(&Default::default());
            session.tokens
        };
        self.changed(false);
        if self.store.borrow().rung() == StorageRung::FirstPartyCookie {
            let _ = token::end_browser_session().await;
        }
        for t in &ended {
            let _ = token::revoke(&self.config, t).await;
        }
    }

    /// Tells this hub's pages, and the hubs in other tabs, that the session changed.
    fn changed(&self, signed_in: bool) {
        self.signed_in.set(signed_in);
        let data = SessionChanged { signed_in };
        if let Some(c) = self.channel.borrow().as_ref() {
            let _ = c.channel.post_message(&data.to_json().into());
        }
        self.push(data);
    }

    fn push(&self, data: SessionChanged) {
        let text = Event::SessionChanged(data).encode();
        for p in self.ports.borrow().iter() {
            let _ = p.port.post_message(&text.as_str().into());
        }
    }

    /// A `BroadcastChannel` per tenant: instant `session.changed` between the tabs
    /// that share this hub's storage partition.
    fn open_channel(self: &Rc<Self>) {
        let Ok(channel) = BroadcastChannel::new(&session_channel_name(&self.config)) else {
            return;
        };
        let hub = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e
                .data()
                .as_string()
                .filter(|t| t.len() <= 256)
                .and_then(|t| SessionChanged::from_json(&t).ok());
            if let Some(data) = data {
                hub.signed_in.set(data.signed_in);
                hub.push(data);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *self.channel.borrow_mut() = Some(Channel {
            channel,
            _on_message: on_message,
        });
    }

    /// The channel XYZ's form frames ask for tokens on: same origin and same storage
    /// partition as this hub, so no partner script can join it. Every `token.get` on
    /// it is answered, whatever the client's token exposure.
    fn open_token_channel(self: &Rc<Self>) {
        let Ok(channel) = BroadcastChannel::new(&token_channel_name(&self.config)) else {
            return;
        };
        let hub = self.clone();
        let reply_to = channel.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let request = e
                .data()
                .as_string()
                .filter(|t| t.len() <= MAX_MESSAGE_BYTES)
                .and_then(|t| Request::decode(&t).ok());
            if let Some(Request {
                id,
                call: Call::TokenGet(p),
            }) = request
            {
                let response = match hub.token_get(&p.scope) {
                    Ok(grant) => Response::ok(id, &grant),
                    Err(e) => Response::err(Some(id), e.to_rpc_error()),
                };
                let _ = reply_to.post_message(&response.encode().into());
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *self.tokens.borrow_mut() = Some(Channel {
            channel,
            _on_message: on_message,
        });
    }

    /// Re-reads the store every [`WATCH_MS`]: tabs of other sites share first-party
    /// storage but no channel, and tokens expire without anyone writing. A task that
    /// runs as long as the page.
    fn watch(self: &Rc<Self>) {
        let hub = self.clone();
        crosspass_web::spawn(async move {
            loop {
                crosspass_web::sleep(WATCH_MS).await;
                hub.refresh_signed_in();
            }
        });
    }

    /// Pushes `session.changed` to this hub's pages when whether a session is stored
    /// no longer matches what they were last told. A token that merely expires is
    /// still a session: the page renews it through `getAssertion` without a sign-out.
    /// Announces a session that appeared or ended without this hub's doing (another
    /// site's hub wrote first-party storage, a token expired, storage access arrived),
    /// to its pages and to the frames beside it (the form frame listens on the channel).
    fn refresh_signed_in(&self) {
        let now = !self.store.borrow().load().tokens.is_empty();
        if now != self.signed_in.get() {
            self.changed(now);
        }
    }

    async fn storage_request(self: &Rc<Self>) -> Result<StorageStatus, HubError> {
        if !self.status().can_request {
            return Ok(self.status());
        }
        let slot = Slot::new();
        self.consent.borrow_mut().waiters.push(slot.clone());
        self.show_button(true);
        Ok(slot.await?)
    }

    fn finish_consent(&self, outcome: ConsentOutcome) {
        self.show_button(false);
        let waiters = std::mem::take(&mut self.consent.borrow_mut().waiters);
        for w in waiters {
            w.fill(outcome);
        }
    }

    fn button(&self) -> Option<web_sys::Element> {
        web_sys::window()?.document()?.get_element_by_id(BUTTON_ID)
    }

    fn show_button(&self, show: bool) {
        if let Some(b) = self.button() {
            let _ = if show {
                b.remove_attribute("hidden")
            } else {
                b.set_attribute("hidden", "")
            };
        }
    }

    fn on_click(self: &Rc<Self>) {
        let refused = self.consent.borrow().access_refused;
        match ladder::click_action(self.probe.access_api, refused) {
            ClickAction::RequestAccess => {
                // Started synchronously: the request needs this click's activation.
                let Some(request) = ladder::request_access() else {
                    self.access_refused();
                    return;
                };
                let hub = self.clone();
                crosspass_web::spawn(async move {
                    let mut access = pin!(ladder::finish_access(request, None));
                    // Past the patience the button offers the popup, and the request
                    // still counts if answered later.
                    let access = match crosspass_web::with_timeout(
                        access.as_mut(),
                        ACCESS_PATIENCE_MS,
                    )
                    .await
                    {
                        Some(access) => access,
                        None => {
                            hub.access_refused();
                            access.await
                        }
                    };
                    match access {
                        Some(access) => hub.granted(access),
                        None => hub.access_refused(),
                    }
                });
            }
            ClickAction::OpenPopup => self.open_popup(),
        }
    }

    fn granted(self: &Rc<Self>, access: Access) {
        match access {
            Access::Handle(storage) => {
                self.store.borrow_mut().upgrade(
                    Backend::Web(storage),
                    StorageRung::Unpartitioned,
                    js::now_secs(),
                );
                self.refresh_signed_in();
                self.finish_consent(Ok(self.status()));
            }
            Access::CookiesOnly => {
                self.store
                    .borrow_mut()
                    .set_rung(StorageRung::FirstPartyCookie);
                let hub = self.clone();
                crosspass_web::spawn(async move {
                    hub.share_through_cookie().await;
                    hub.finish_consent(Ok(hub.status()));
                });
            }
        }
    }

    /// Reaching the cookie rung: a hub signed in here stores its sign-in as the
    /// browser's XYZ session; one that is not signs in from it.
    async fn share_through_cookie(self: &Rc<Self>) {
        let now = js::now_secs();
        let held = self
            .store
            .borrow()
            .load()
            .candidates(&self.config.client_id, &ScopeSet::default(), now)
            .first()
            .map(|t| (*t).clone());
        match held {
            Some(t) => {
                let _ = token::keep_browser_session(&t).await;
            }
            None => {
                self.sign_in_from_cookie().await;
            }
        }
    }

    /// After access was refused the next click opens the popup; the button says so.
    fn access_refused(&self) {
        self.consent.borrow_mut().access_refused = true;
        if let Some(b) = self.button() {
            if let Some(label) = b.get_attribute(POPUP_LABEL_ATTR) {
                b.set_text_content(Some(&label));
            }
        }
    }

    fn open_popup(self: &Rc<Self>) {
        let url = [
            "/hub/popup?",
            &token::form_encode(&[("client_id", self.config.client_id.as_str())]),
        ]
        .concat();
        // A name of its own each time: a fixed one would let any page that knows it
        // target the window (`window.open(url, name)`) or reuse one already open.
        let name = format!(
            "crosspass-{:x}",
            (js_sys::Math::random() * 2f64.powi(52)) as u64
        );
        let opened = web_sys::window()
            .and_then(|w| {
                w.open_with_url_and_target_and_features(&url, &name, "popup,width=480,height=600")
                    .ok()
            })
            .flatten();
        match opened {
            Some(popup) => {
                self.consent.borrow_mut().popup = Some(popup.clone());
                let hub = self.clone();
                crosspass_web::spawn(async move { hub.watch_popup(popup).await });
            }
            None => self.finish_consent(Err(ConsentFailure::PopupBlocked)),
        }
    }

    /// Ends the consent when the user closes the popup before it reported back.
    async fn watch_popup(self: Rc<Self>, popup: web_sys::Window) {
        loop {
            crosspass_web::sleep(POPUP_POLL_MS).await;
            let current = self.consent.borrow().popup.clone();
            match current {
                Some(p) if Object::is(&p, &popup) => {
                    if popup.closed().unwrap_or(true) {
                        self.consent.borrow_mut().popup = None;
                        self.finish_consent(Err(ConsentFailure::NotGranted));
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    fn on_popup_message(self: &Rc<Self>, popup: &web_sys::Window, event: &MessageEvent) {
        match event
            .data()
            .as_string()
            .as_deref()
            .and_then(PopupMessage::decode)
        {
            Some(PopupMessage::Ready) => {
                let session = self.store.borrow().load();
                popup::post(popup, &PopupMessage::Sync { session });
            }
            Some(PopupMessage::Result { session }) => {
                self.consent.borrow_mut().popup = None;
                {
                    let mut store = self.store.borrow_mut();
                    let mut merged = store.load();
                    merged.merge(session, js::now_secs());
                    store.set_rung(StorageRung::FirstPartyPopup);
                    store.save(&merged);
                }
                self.refresh_signed_in();
                self.finish_consent(Ok(self.status()));
            }
            _ => {}
        }
    }
}

async fn initial_store(config: &HubConfig, probe: &Probe) -> TokenStore {
    let window_storage = || {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .filter(crate::store::is_usable)
    };
    let mut plan = ladder::start_plan(probe);
    if plan == StartPlan::RequestHandle {
        match ladder::reclaim_access().await {
            Some(Access::Handle(storage)) => {
                return TokenStore::new(
                    &config.tenant,
                    Backend::Web(storage),
                    StorageRung::Unpartitioned,
                );
            }
            Some(Access::CookiesOnly) => {
                let mut store = match window_storage() {
                    Some(s) => {
                        TokenStore::new(&config.tenant, Backend::Web(s), StorageRung::Partitioned)
                    }
                    None => TokenStore::memory(&config.tenant),
                };
                store.set_rung(StorageRung::FirstPartyCookie);
                return store;
            }
            None => plan = ladder::fallback_plan(probe),
        }
    }
    match (plan, window_storage()) {
        (StartPlan::WindowStorage, Some(s)) => {
            TokenStore::new(&config.tenant, Backend::Web(s), StorageRung::Unpartitioned)
        }
        (StartPlan::Partitioned, Some(s)) => {
            TokenStore::new(&config.tenant, Backend::Web(s), StorageRung::Partitioned)
        }
        _ => TokenStore::memory(&config.tenant),
    }
}

/// The `BroadcastChannel` between a client's hub and form frames.
pub fn token_channel_name(config: &HubConfig) -> String {
    ["crosspass.tokens.", config.client_id.as_str()].concat()
}

/// The `BroadcastChannel` on which a tenant's hubs announce session changes.
pub fn session_channel_name(config: &HubConfig) -> String {
    ["crosspass.", config.tenant.as_str()].concat()
}

fn info(g: &TokenGrant) -> SessionInfo {
    SessionInfo {
        expires_at: g.expires_at,
        scope: g.scope.clone(),
    }
}

fn grant(t: crate::store::StoredToken) -> TokenGrant {
    TokenGrant {
        access_token: t.access_token,
        token_type: "Bearer".into(),
        expires_at: t.claims.exp,
        scope: t.claims.scope.clone(),
    }
}

fn not_text() -> Response {
    Response::err(
        None,
        RpcError::new(ErrorCode::InvalidRequest, "messages are JSON text"),
    )
}

fn reply(port: &MessagePort, response: Response) {
    let _ = port.post_message(&response.encode().into());
}
