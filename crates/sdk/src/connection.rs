//! The connection to the hub: a hidden iframe on XYZ's origin, a handshake that
//! retries until the hub answers, then request/response RPC and pushed events over a
//! private `MessagePort`.
//!
//! The page never listens on `window` for hub traffic. `hello` is posted to the
//! iframe's window with the hub's exact origin as `targetOrigin`, so only a document
//! of that origin in that frame can receive the transferred port; afterwards the port
//! itself is the authenticated channel (only its other end can post to it).

use crate::error::SdkError;
use crate::js;
use crosspass_protocol::json::{Json, Value};
use crosspass_protocol::rpc::{
    Call, HelloParams, HubMessage, Method, Ready, Request, RequestId, SessionChanged,
    PROTOCOL_VERSION,
};
use crosspass_protocol::text::{self, Describe};
use crosspass_protocol::{ClientId, ErrorCode, RpcError};
use crosspass_web::{Oneshot, Slot};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlIFrameElement, MessageChannel, MessageEvent, MessagePort};

/// Pause between handshake attempts while the hub page loads.
/// Pause between handshake attempts once the hub has been slow for a while.
const HELLO_RETRY_MS: i32 = 200;
/// Pause before the first retry; later ones double it up to [`HELLO_FAST_RETRY_MS`]:
/// the hub is usually a few tens of milliseconds from listening when its frame fires
/// `load`, and each attempt it misses costs the page that long.
const HELLO_FIRST_RETRY_MS: i32 = 5;
/// Longest pause of the first [`HELLO_FAST_ATTEMPTS`] attempts.
const HELLO_FAST_RETRY_MS: i32 = 25;
/// Attempts (about a second's worth) before the pause grows to [`HELLO_RETRY_MS`].
const HELLO_FAST_ATTEMPTS: u32 = 40;

type Outcome = Result<Value, RpcError>;

/// A call awaiting its answer.
struct Waiting {
    id: String,
    slot: Oneshot<Outcome>,
    /// When it times out, in `Date.now()` milliseconds.
    deadline: f64,
    method: Method,
}

/// Calls awaiting their answer (a handful at a time: a list is enough) and the one
/// timer that expires them. A call costs no timer of its own: the timer is set for the
/// earliest deadline and moved only when a call with an earlier one comes.
#[derive(Default)]
struct Pending {
    calls: Vec<Waiting>,
    /// The set timer's id and when it fires.
    armed: Option<(i32, f64)>,
    /// The connection's sweep callback, which the timer runs.
    sweep: Option<js_sys::Function>,
}

impl Pending {
    fn remove(&mut self, id: &str) -> Option<Oneshot<Outcome>> {
        let at = self.calls.iter().position(|w| w.id == id)?;
        Some(self.calls.swap_remove(at).slot)
    }

    /// Every waiting call's slot; the timer is cleared.
    fn drain(&mut self) -> Vec<Oneshot<Outcome>> {
        self.disarm();
        self.calls.drain(..).map(|w| w.slot).collect()
    }

    /// Takes the calls whose deadline has passed.
    fn overdue(&mut self, now: f64) -> Vec<Waiting> {
        let (late, waiting) = std::mem::take(&mut self.calls)
            .into_iter()
            .partition(|w| w.deadline <= now);
        self.calls = waiting;
        late
    }

    /// Sets the timer for the earliest deadline, unless it already fires by then.
    fn arm(&mut self, now: f64) {
        let Some(next) = self.calls.iter().map(|w| w.deadline).reduce(f64::min) else {
            return;
        };
        if matches!(self.armed, Some((_, at)) if at <= next) {
            return;
        }
        self.disarm();
        let (Some(window), Some(sweep)) = (web_sys::window(), &self.sweep) else {
            return;
        };
        // Whole milliseconds, rounded up so the timer never fires before the deadline.
        let ms = (next - now).max(0.0).ceil() as i32;
        if let Ok(id) = window.set_timeout_with_callback_and_timeout_and_arguments_0(sweep, ms) {
            self.armed = Some((id, next));
        }
    }

    fn disarm(&mut self) {
        if let (Some((id, _)), Some(window)) = (self.armed.take(), web_sys::window()) {
            window.clear_timeout_with_handle(id);
        }
    }
}

type Listener = Closure<dyn FnMut(MessageEvent)>;

/// Where the hub is and who we are.
#[derive(Clone, Debug)]
pub struct HubTarget {
    /// The iframe URL, with `client_id` in the query.
    pub frame_url: String,
    /// The hub's exact origin.
    pub origin: String,
    /// The client.
    pub client_id: ClientId,
}

impl HubTarget {
    /// Resolves `hub_url` against the page and checks it names an http(s) origin.
    pub fn new(hub_url: &str, client_id: ClientId) -> Result<Self, SdkError> {
        let base = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        let url = web_sys::Url::new_with_base(hub_url, &base)
            .map_err(|_| SdkError::InvalidArgument("hubUrl is not a URL".into()))?;
        // An http(s) URL's origin is its scheme, host and port, never "null".
        if !matches!(url.protocol().as_str(), "https:" | "http:") {
            return Err(SdkError::InvalidArgument(
                "hubUrl must be an http or https URL".into(),
            ));
        }
        let origin = url.origin();
        url.search_params().set("client_id", client_id.as_str());
        url.set_hash("");
        Ok(Self {
            frame_url: url.href(),
            origin,
            client_id,
        })
    }
}

/// An open hub connection.
pub struct Connection {
    iframe: Option<HtmlIFrameElement>,
    port: MessagePort,
    timeout_ms: i32,
    pending: Rc<RefCell<Pending>>,
    next_id: Cell<u64>,
    destroyed: Cell<bool>,
    _on_message: Listener,
    _sweep: Closure<dyn FnMut()>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Adds the hub iframe and completes the handshake within `timeout_ms`.
    /// `on_event` receives every `session.changed`. `early` is a frame the package's JS
    /// entry already started loading (hidden) while this module loaded: it is adopted,
    /// and pointed at the hub page should it show anything else.
    pub async fn open(
        target: &HubTarget,
        timeout_ms: i32,
        early: Option<HtmlIFrameElement>,
        on_event: impl Fn(SessionChanged) + 'static,
    ) -> Result<Self, SdkError> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or_else(|| SdkError::InvalidArgument("no document".into()))?;
        let adopted = early.is_some();
        let iframe: HtmlIFrameElement = match early {
            Some(frame) => frame,
            None => document
                .create_element("iframe")
                .map_err(|_| SdkError::InvalidArgument("cannot create the hub frame".into()))?
                .unchecked_into(),
        };
        let _ = iframe.set_attribute("allow", "storage-access");
        let _ = iframe.set_attribute("title", "XYZ session");
        let _ = iframe.set_attribute("aria-hidden", "true");
        let _ = iframe.set_attribute("tabindex", "-1");
        let _ = iframe.set_attribute("data-crosspass-hub", "");
        set_visible(&iframe, false);
        let _ = iframe.remove_attribute("hidden");
        let loaded: Slot<()> = Slot::new();
        let on_load = {
            let loaded = loaded.clone();
            Closure::<dyn FnMut()>::new(move || loaded.fill(()))
        };
        // An adopted frame may have loaded already: its handshake just retries until
        // the hub answers, rather than wait for a `load` that has passed.
        let wait_for_load = !adopted || iframe.src() != target.frame_url;
        if wait_for_load {
            iframe.set_onload(Some(on_load.as_ref().unchecked_ref()));
            iframe.set_src(&target.frame_url);
        }
        if !iframe.is_connected() {
            let parent = document
                .body()
                .map(web_sys::Element::from)
                .or_else(|| document.document_element())
                .ok_or_else(|| SdkError::InvalidArgument("no document body".into()))?;
            let _ = parent.append_child(&iframe);
        }
        let loaded = wait_for_load.then_some(loaded);
        let result = match handshake(Some(&iframe), loaded, target, timeout_ms).await {
            Ok(port) => Ok(Self::on_port(
                Some(iframe.clone()),
                port,
                timeout_ms,
                on_event,
            )),
            Err(e) => Err(e),
        };
        iframe.set_onload(None);
        drop(on_load);
        if result.is_err() {
            iframe.remove();
        }
        result
    }

    /// Completes the handshake with a hub in `frame`'s window, or, without a frame,
    /// in this very window (a page that hosts the hub itself, and the tests).
    pub async fn open_in(
        frame: Option<HtmlIFrameElement>,
        target: &HubTarget,
        timeout_ms: i32,
        on_event: impl Fn(SessionChanged) + 'static,
    ) -> Result<Self, SdkError> {
        let port = handshake(frame.as_ref(), None, target, timeout_ms).await?;
        Ok(Self::on_port(frame, port, timeout_ms, on_event))
    }

    fn on_port(
        iframe: Option<HtmlIFrameElement>,
        port: MessagePort,
        timeout_ms: i32,
        on_event: impl Fn(SessionChanged) + 'static,
    ) -> Self {
        let pending: Rc<RefCell<Pending>> = Rc::default();
        let table = pending.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(message) = e
                .data()
                .as_string()
                .and_then(|t| HubMessage::decode(&t).ok())
            else {
                return;
            };
            match message {
                HubMessage::Response(r) => {
                    let slot =
                        r.id.as_ref()
                            .and_then(|id| table.borrow_mut().remove(id.as_str()));
                    if let Some(slot) = slot {
                        slot.fill(r.outcome);
                    }
                }
                HubMessage::Event(crosspass_protocol::rpc::Event::SessionChanged(data)) => {
                    on_event(data)
                }
            }
        });
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // Weak: the table holds this callback's JS function, not the other way round.
        let weak = Rc::downgrade(&pending);
        let sweep = Closure::<dyn FnMut()>::new(move || {
            let Some(table) = weak.upgrade() else {
                return;
            };
            let now = js_sys::Date::now();
            let late = {
                let mut table = table.borrow_mut();
                table.armed = None;
                let late = table.overdue(now);
                table.arm(now);
                late
            };
            for call in late {
                call.slot.fill(Err(RpcError::new(
                    ErrorCode::Timeout,
                    ["the hub did not answer ", call.method.as_str(), " in time"].concat(),
                )));
            }
        });
        pending.borrow_mut().sweep =
            Some(sweep.as_ref().unchecked_ref::<js_sys::Function>().clone());
        Self {
            iframe,
            port,
            timeout_ms,
            pending,
            next_id: Cell::new(1),
            destroyed: Cell::new(false),
            _on_message: on_message,
            _sweep: sweep,
        }
    }

    /// Calls a hub method and reads its result as `T`.
    pub async fn call<T: Json>(&self, call: Call) -> Result<T, SdkError> {
        read(self.send(call, self.timeout_ms)?.await)
    }

    /// As [`call`](Self::call), with its own time limit.
    pub async fn call_with_timeout<T: Json>(
        &self,
        call: Call,
        timeout_ms: i32,
    ) -> Result<T, SdkError> {
        read(self.send(call, timeout_ms)?.await)
    }

    /// Posts a request; the slot receives its answer, or a timeout after `timeout_ms`.
    /// Not generic, so the typed calls above share it.
    fn send(&self, call: Call, timeout_ms: i32) -> Result<Oneshot<Outcome>, SdkError> {
        if self.destroyed.get() {
            return Err(SdkError::Destroyed);
        }
        let n = self.next_id.get();
        self.next_id.set(n.wrapping_add(1));
        let id = RequestId::new(["r", &text::decimal(n as i64)].concat())
            .map_err(|_| SdkError::Protocol("request id".into()))?;
        let method = call.method();
        let text = Request {
            id: id.clone(),
            call,
        }
        .encode();
        let slot = Oneshot::new();
        let now = js_sys::Date::now();
        {
            let mut table = self.pending.borrow_mut();
            table.calls.push(Waiting {
                id: id.as_str().to_owned(),
                slot: slot.clone(),
                deadline: now + f64::from(timeout_ms),
                method,
            });
            table.arm(now);
        }
        if self.port.post_message(&text.into()).is_err() {
            self.pending.borrow_mut().remove(id.as_str());
            return Err(SdkError::Protocol("the hub port is closed".into()));
        }
        Ok(slot)
    }

    /// Shows the hub frame (for its consent button) or hides it again.
    pub fn show(&self, visible: bool) {
        let Some(iframe) = &self.iframe else {
            return;
        };
        set_visible(iframe, visible);
        let _ = if visible {
            iframe.remove_attribute("aria-hidden")
        } else {
            iframe.set_attribute("aria-hidden", "true")
        };
    }

    /// Closes the port, removes the iframe and fails every pending call.
    pub fn close(&self) {
        if self.destroyed.replace(true) {
            return;
        }
        self.port.set_onmessage(None);
        self.port.close();
        if let Some(iframe) = &self.iframe {
            iframe.remove();
        }
        let pending = self.pending.borrow_mut().drain();
        for slot in pending {
            slot.fill(Err(RpcError::new(
                ErrorCode::Destroyed,
                "this Crosspass connection was destroyed",
            )));
        }
    }
}

/// Reads a hub answer as `T`.
fn read<T: Json>(outcome: Option<Outcome>) -> Result<T, SdkError> {
    // `None` only for an answer awaited twice, which `call` never does.
    let outcome = outcome.ok_or_else(|| SdkError::Protocol("answer already taken".into()))?;
    let raw = outcome.map_err(|e| match e.code {
        ErrorCode::Timeout => SdkError::Timeout(e.message),
        ErrorCode::Destroyed => SdkError::Destroyed,
        _ => SdkError::Hub(e),
    })?;
    T::from_value(&raw).map_err(|e| SdkError::Protocol(e.text()))
}

impl Drop for Connection {
    /// A connection freed from JS without `destroy()` still detaches its listener,
    /// which is about to be dropped.
    fn drop(&mut self) {
        self.close();
    }
}

fn set_visible(iframe: &HtmlIFrameElement, visible: bool) {
    let style = iframe.style();
    let props: &[(&str, &str)] = if visible {
        &[
            ("position", "fixed"),
            ("right", "16px"),
            ("bottom", "16px"),
            ("width", "320px"),
            ("height", "72px"),
            ("opacity", "1"),
            ("pointer-events", "auto"),
            ("z-index", "2147483647"),
        ]
    } else {
        &[
            ("position", "fixed"),
            ("right", "0"),
            ("bottom", "0"),
            ("width", "1px"),
            ("height", "1px"),
            ("opacity", "0"),
            ("pointer-events", "none"),
            ("z-index", "-1"),
        ]
    };
    let _ = style.set_property("border", "0");
    let _ = style.set_property("color-scheme", "normal");
    for (name, value) in props {
        let _ = style.set_property(name, value);
    }
}

/// Posts `hello` with a fresh port, again after [`HELLO_FIRST_RETRY_MS`] and then after
/// pauses doubling up to [`HELLO_FAST_RETRY_MS`] (later [`HELLO_RETRY_MS`]), until one
/// is answered:
/// messages posted before the hub page has loaded (or before its module listens) are
/// dropped by the browser, so there is no race with the iframe's load.
async fn handshake(
    iframe: Option<&HtmlIFrameElement>,
    loaded: Option<Slot<()>>,
    target: &HubTarget,
    timeout_ms: i32,
) -> Result<MessagePort, SdkError> {
    let answered: Slot<Result<MessagePort, SdkError>> = Slot::new();
    let mut attempts: Vec<(MessagePort, Listener)> = Vec::new();
    let expired = answered.clone();
    let timer = js::after(timeout_ms, move || {
        expired.fill(Err(SdkError::Timeout(
            "the hub did not answer; is this page's origin registered for the client?".into(),
        )))
    });
    // Before the frame's first load its window is still the initial about:blank of
    // this page's origin, which the browser refuses to post to; wait for the hub page.
    if let Some(loaded) = loaded {
        if let Some(result) = (Race {
            a: answered.clone(),
            b: loaded,
        })
        .await
        {
            drop(timer);
            return result;
        }
    }
    let mut n = 0u32;
    let mut pause = HELLO_FIRST_RETRY_MS;
    let outcome = loop {
        n = n.wrapping_add(1);
        if let Some(attempt) = post_hello(iframe, target, n, &answered) {
            attempts.push(attempt);
        }
        let tick: Slot<()> = Slot::new();
        let t = tick.clone();
        let tick_timer = js::after(pause, move || t.fill(()));
        pause = if n < HELLO_FAST_ATTEMPTS {
            pause.saturating_mul(2).min(HELLO_FAST_RETRY_MS)
        } else {
            HELLO_RETRY_MS
        };
        // Wake on whichever comes first: an answer, the deadline or the next retry.
        let done = Race {
            a: answered.clone(),
            b: tick,
        }
        .await;
        drop(tick_timer);
        if let Some(result) = done {
            break result;
        }
    };
    drop(timer);
    let winner = outcome.as_ref().ok().cloned();
    for (port, _listener) in attempts {
        let keep = winner
            .as_ref()
            .is_some_and(|w| js_sys::Object::is(w, &port));
        port.set_onmessage(None);
        if !keep {
            port.close();
        }
    }
    outcome
}

/// Posts one `hello` carrying a new port whose first answer settles `answered`.
fn post_hello(
    iframe: Option<&HtmlIFrameElement>,
    target: &HubTarget,
    attempt: u32,
    answered: &Slot<Result<MessagePort, SdkError>>,
) -> Option<(MessagePort, Listener)> {
    let hub = match iframe {
        Some(frame) => frame.content_window()?,
        None => web_sys::window()?,
    };
    let channel = MessageChannel::new().ok()?;
    let id = RequestId::new(["hello-", &text::decimal(i64::from(attempt))].concat()).ok()?;
    let text = Request {
        id: id.clone(),
        call: Call::Hello(HelloParams {
            client_id: target.client_id.clone(),
            sdk_version: env!("CARGO_PKG_VERSION").into(),
        }),
    }
    .encode();
    let port = channel.port1();
    let slot = answered.clone();
    let reply_port = port.clone();
    let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(HubMessage::Response(r)) = e
            .data()
            .as_string()
            .and_then(|t| HubMessage::decode(&t).ok())
        else {
            return;
        };
        if r.id.as_ref() != Some(&id) {
            return;
        }
        let result = r
            .into_result::<Ready>()
            .map_err(SdkError::Hub)
            .and_then(|ready| {
                if ready.protocol == PROTOCOL_VERSION {
                    Ok(reply_port.clone())
                } else {
                    Err(SdkError::Hub(RpcError::new(
                        ErrorCode::UnsupportedVersion,
                        "the hub speaks another protocol version",
                    )))
                }
            });
        slot.fill(result);
    });
    port.set_onmessage(Some(listener.as_ref().unchecked_ref()));
    let transfer = js_sys::Array::of1(&channel.port2());
    hub.post_message_with_transfer(&text.into(), &target.origin, &transfer)
        .ok()?;
    Some((port, listener))
}

/// The first of two slots to be filled: `Some` from `a`, `None` from `b`.
struct Race<T> {
    a: Slot<T>,
    b: Slot<()>,
}

impl<T: Clone> std::future::Future for Race<T> {
    type Output = Option<T>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<T>> {
        use std::task::Poll;
        if let Poll::Ready(v) = std::pin::Pin::new(&mut self.a).poll(cx) {
            return Poll::Ready(Some(v));
        }
        if let Poll::Ready(()) = std::pin::Pin::new(&mut self.b).poll(cx) {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}
