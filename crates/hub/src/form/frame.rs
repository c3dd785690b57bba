//! The form frame's links to the outside: the handshake and private port to the
//! partner page (events out, `form.mount`/`form.update` in), and the token it asks the
//! hub frame for over XYZ's own `BroadcastChannel`.

use crate::config::HubConfig;
use crate::error::HubError;
use crate::hub::{session_channel_name, token_channel_name};
use crate::js;
use crate::store::MIN_REMAINING_SECS;
use crosspass_protocol::rpc::{
    Call, Event, HubMessage, Method, Ready, Request, RequestId, Response, SessionChanged,
    StorageRung, StorageStatus, TokenGetParams, TokenGrant, MAX_MESSAGE_BYTES, PROTOCOL_VERSION,
};
use crosspass_protocol::{AccessToken, ErrorCode};
use crosspass_web::Oneshot;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent, MessagePort};

/// How long the form waits for a hub frame to answer `token.get`.
const TOKEN_WAIT_MS: u32 = 3_000;

type Listener = Closure<dyn FnMut(MessageEvent)>;
/// Token requests on the channel still waiting for an answer.
type Waiting = Rc<RefCell<Vec<(RequestId, Oneshot<Result<TokenGrant, ErrorCode>>)>>>;

/// The partner page's port, once the handshake passed.
#[derive(Default)]
pub struct PagePort {
    port: RefCell<Option<(MessagePort, Listener)>>,
}

impl std::fmt::Debug for PagePort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PagePort")
    }
}

impl PagePort {
    /// Answers a `hello` from a registered origin for this client with `ready` and
    /// keeps its port. One page owns a form frame: once a handshake passed, later ones
    /// (the SDK's retries while the frame was starting) get no answer, so the page's
    /// first answered port is the one that stays. Anything else gets no answer either.
    /// Returns whether the handshake passed.
    pub fn accept(
        &self,
        config: &HubConfig,
        event: &MessageEvent,
        on_request: impl FnMut(&MessagePort, MessageEvent) + 'static,
    ) -> bool {
        if self.port.borrow().is_some() || !config.origins.allows_serialized(&event.origin()) {
            return false;
        }
        let Some(port) = event.ports().get(0).dyn_into::<MessagePort>().ok() else {
            return false;
        };
        let Some(request) = event
            .data()
            .as_string()
            .and_then(|text| Request::decode(&text).ok())
        else {
            return false;
        };
        match request.call {
            Call::Hello(params) if params.client_id == config.client_id => {}
            _ => return false,
        }
        let ready = Ready {
            protocol: PROTOCOL_VERSION,
            hub_version: env!("CARGO_PKG_VERSION").into(),
            methods: vec![Method::FormMount, Method::FormUpdate],
            // The form frame keeps no session of its own: it asks the hub frame.
            storage: StorageStatus {
                rung: StorageRung::Memory,
                can_request: false,
            },
            expose_tokens: false,
        };
        let mut on_request = on_request;
        let reply_port = port.clone();
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            on_request(&reply_port, e);
        });
        port.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        self.port.replace(Some((port.clone(), listener)));
        reply(&port, Response::ok(request.id, &ready));
        true
    }

    /// Pushes an event to the page, if one is connected.
    pub fn push(&self, event: &Event) {
        if let Some((port, _)) = self.port.borrow().as_ref() {
            let _ = port.post_message(&event.encode().into());
        }
    }
}

/// Posts `response` on `port`.
pub fn reply(port: &MessagePort, response: Response) {
    let _ = port.post_message(&response.encode().into());
}

/// The form's token: asked of the client's hub frame on the token channel, kept until
/// shortly before it expires.
pub struct Tokens {
    channel: Option<BroadcastChannel>,
    waiting: Waiting,
    cached: RefCell<Option<TokenGrant>>,
    _on_message: Option<Listener>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens")
    }
}

impl Tokens {
    /// Opens the token channel of `config`'s client.
    pub fn open(config: &HubConfig) -> Self {
        let waiting: Waiting = Rc::default();
        let Ok(channel) = BroadcastChannel::new(&token_channel_name(config)) else {
            return Self {
                channel: None,
                waiting,
                cached: RefCell::new(None),
                _on_message: None,
            };
        };
        let pending = waiting.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(HubMessage::Response(response)) = e
                .data()
                .as_string()
                .filter(|t| t.len() <= MAX_MESSAGE_BYTES)
                .and_then(|t| HubMessage::decode(&t).ok())
            else {
                return;
            };
            let Some(id) = response.id.clone() else {
                return;
            };
            let mut pending = pending.borrow_mut();
            if let Some(at) = pending.iter().position(|(i, _)| *i == id) {
                let (_, slot) = pending.remove(at);
                slot.fill(response.into_result::<TokenGrant>().map_err(|e| e.code));
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self {
            channel: Some(channel),
            waiting,
            cached: RefCell::new(None),
            _on_message: Some(on_message),
        }
    }

    /// A token with time to live: the cached one, or a fresh one from a hub frame.
    pub async fn get(&self) -> Result<AccessToken, HubError> {
        let now = js::now_secs();
        if let Some(t) = self.cached.borrow().as_ref() {
            if t.expires_at > now.saturating_add(MIN_REMAINING_SECS) {
                return Ok(t.access_token.clone());
            }
        }
        let channel = self.channel.as_ref().ok_or(HubError::StorageUnavailable)?;
        let id = RequestId::new(random_id()).map_err(|_| HubError::LoginRequired)?;
        let slot = Oneshot::new();
        self.waiting.borrow_mut().push((id.clone(), slot.clone()));
        let request = Request {
            id: id.clone(),
            call: Call::TokenGet(TokenGetParams::default()),
        };
        let _ = channel.post_message(&request.encode().into());
        let outcome = crosspass_web::with_timeout(slot, TOKEN_WAIT_MS).await;
        self.waiting.borrow_mut().retain(|(i, _)| *i != id);
        let grant = outcome
            .flatten()
            .and_then(Result::ok)
            .ok_or(HubError::LoginRequired)?;
        let token = grant.access_token.clone();
        *self.cached.borrow_mut() = Some(grant);
        Ok(token)
    }

    /// Forgets the cached token (the API refused it, or the session ended).
    pub fn forget(&self) {
        self.cached.borrow_mut().take();
    }
}

/// Request ids on the token channel: only for telling answers apart, not secret.
fn random_id() -> String {
    let n = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
    ["form-", &n.to_string()].concat()
}

/// Listens for the tenant's `session.changed` announcements from the hub frames.
pub fn on_session_changed(
    config: &HubConfig,
    mut f: impl FnMut(SessionChanged) + 'static,
) -> Option<(BroadcastChannel, Listener)> {
    let channel = BroadcastChannel::new(&session_channel_name(config)).ok()?;
    let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let data = e
            .data()
            .as_string()
            .filter(|t| t.len() <= 256)
            .and_then(|t| {
                use crosspass_protocol::json::Json;
                SessionChanged::from_json(&t).ok()
            });
        if let Some(data) = data {
            f(data);
        }
    });
    channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
    Some((channel, listener))
}
