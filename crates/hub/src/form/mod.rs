//! The form frame (`/embed/form?client_id=…`): XYZ's form, rendered in XYZ's own frame.
//! It renders the tenant's form schema, loads and saves the user's record with
//! same-origin requests carrying a token it gets from the hub frame, shows the server's
//! per-field 422 errors inline, and resolves 412 conflicts without losing what the user
//! typed. The partner page sees events and the form's height; never the token.
//!
//! Its parts: `view` builds the DOM, `fields` moves values in and out of the controls,
//! `record` loads and saves through the API, `state` shows and announces each state,
//! `conflict` resolves a 412, `frame` talks to the page and the hub, and `schema`
//! reads the API's JSON.

mod conflict;
mod fields;
mod frame;
mod record;
pub mod schema;
mod state;
mod view;

use crate::config::HubConfig;
use crate::error::HubError;
use crosspass_protocol::appearance::Appearance;
use crosspass_protocol::rpc::{
    Call, Ended, Event, FormChange, FormParams, FormResize, FormState, Request, Response,
};
use crosspass_protocol::text::Describe;
use crosspass_protocol::texts::{Locale, TextKey, Texts};
use crosspass_protocol::{ErrorCode, RpcError};
use crosspass_web::spawn;
use frame::{reply, PagePort, Tokens};
use js_sys::Object;
use schema::Field;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use view::View;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event as DomEvent, HtmlElement, MessageEvent, MessagePort};

/// API path of the user's record.
pub const RECORD_PATH: &str = "/api/v1/me/record";
/// API path of the tenant's form schema.
pub const SCHEMA_PATH: &str = "/api/v1/form";
/// Id of the element the form renders into.
const ROOT_ID: &str = "form-root";

type Listener = (Element, &'static str, Closure<dyn FnMut(DomEvent)>);
/// `(field name, value)` pairs read from the controls.
type Values = Vec<(String, JsValue)>;
/// `(field name, message)` pairs.
type FieldErrors = Vec<(String, String)>;

/// The mounted form and everything it holds.
pub struct Form {
    config: HubConfig,
    doc: Document,
    root: Element,
    page: PagePort,
    tokens: Tokens,
    texts: RefCell<Texts>,
    state: Cell<FormState>,
    mounted: Cell<bool>,
    fields: RefCell<Vec<Field>>,
    record: RefCell<JsValue>,
    etag: RefCell<Option<String>>,
    theirs: RefCell<Option<(JsValue, Option<String>)>>,
    view: RefCell<Option<View>>,
    listeners: RefCell<Vec<Listener>>,
    dirty: Cell<bool>,
    height: Cell<u32>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Form")
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

/// Starts the form frame: waits for the partner page's handshake and `form.mount`.
pub fn start(config: HubConfig) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let doc = window.document().ok_or("no document")?;
    let root = doc
        .get_element_by_id(ROOT_ID)
        .ok_or("the form page has no root")?;
    let form = Rc::new(Form {
        tokens: Tokens::open(&config),
        config,
        doc,
        root,
        page: PagePort::default(),
        texts: RefCell::new(Texts::default()),
        state: Cell::new(FormState::Loading),
        mounted: Cell::new(false),
        fields: RefCell::new(Vec::new()),
        record: RefCell::new(Object::new().into()),
        etag: RefCell::new(None),
        theirs: RefCell::new(None),
        view: RefCell::new(None),
        listeners: RefCell::new(Vec::new()),
        dirty: Cell::new(false),
        height: Cell::new(0),
    });
    let f = form.clone();
    let on_hello = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let weak = Rc::downgrade(&f);
        f.page.accept(&f.config, &e, move |port, e| {
            if let Some(form) = weak.upgrade() {
                form.on_request(port, &e);
            }
        });
    });
    window.add_event_listener_with_callback("message", on_hello.as_ref().unchecked_ref())?;
    // Both live as long as the frame's document.
    crosspass_web::for_page_lifetime(on_hello);
    let f = form.clone();
    if let Some(channel) = frame::on_session_changed(&form.config, move |s| {
        f.session_changed(s.signed_in);
    }) {
        crosspass_web::for_page_lifetime(channel);
    }
    form.observe_size(&window)?;
    Ok(())
}

impl Form {
    fn on_request(self: &Rc<Self>, port: &MessagePort, event: &MessageEvent) {
        let request = event
            .data()
            .as_string()
            .ok_or_else(|| RpcError::new(ErrorCode::InvalidRequest, "messages are JSON text"))
            .and_then(|text| Request::decode(&text).map_err(|f| f.error.to_rpc_error()));
        let response = match request {
            Err(e) => Response::err(None, e),
            Ok(Request { id, call }) => match call {
                Call::FormMount(p) | Call::FormUpdate(p) => match self.configure(&p) {
                    Ok(()) => Response::ok(id, &Ended {}),
                    Err(e) => Response::err(Some(id), e),
                },
                other => Response::err(
                    Some(id),
                    HubError::NotHere(other.method().as_str()).to_rpc_error(),
                ),
            },
        };
        reply(port, response);
    }

    /// Applies appearance and texts, checked whole before any of it is used; builds
    /// and loads the form on the first call.
    fn configure(self: &Rc<Self>, params: &FormParams) -> Result<(), RpcError> {
        let appearance = Appearance::parse(&params.appearance.0)
            .map_err(|e| RpcError::new(ErrorCode::InvalidAppearance, e.text()))?;
        let locale = params
            .locale
            .as_deref()
            .map_or(self.texts.borrow().locale(), Locale::for_tag);
        let texts = Texts::new(locale, &params.messages.0).map_err(|_| {
            RpcError::new(
                ErrorCode::InvalidRequest,
                "messages: unknown key, or a text that is empty, too long or has control characters",
            )
        })?;
        let style = self
            .doc
            .document_element()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        if let Some(html) = &style {
            let css = html.style();
            for v in crosspass_protocol::appearance::Variable::ALL {
                let _ = css.remove_property(v.css_property());
            }
            for (v, value) in appearance.variables() {
                let _ = css.set_property(v.css_property(), value);
            }
            let _ = html.set_attribute("lang", locale.tag());
        }
        self.doc.set_title(texts.get(TextKey::FrameTitle));
        *self.texts.borrow_mut() = texts;
        if let Some(v) = self.view.borrow().as_ref() {
            v.label(&self.texts.borrow());
        }
        if !self.mounted.replace(true) {
            self.build();
            self.start_load();
        } else if self.state.get() == FormState::SignedOut {
            // The page has signed the user in through the hub since: load again.
            self.start_load();
        } else {
            // Re-announce the state in the new language.
            self.set_state(self.state.get(), self.status_for(self.state.get()), None);
        }
        Ok(())
    }

    fn text(&self, key: TextKey) -> String {
        self.texts.borrow().get(key).to_owned()
    }

    fn build(self: &Rc<Self>) {
        let Some(v) = View::build(&self.doc, &self.root, &self.texts.borrow()) else {
            return;
        };
        self.listen(&v.form, "input", |f, _| f.edited());
        self.listen(&v.form, "change", |f, _| f.edited());
        self.listen(&v.form, "submit", |f, e| {
            e.prevent_default();
            spawn(async move { f.save().await });
        });
        self.listen(&v.keep, "click", |f, _| f.keep_mine());
        self.listen(&v.take, "click", |f, _| f.take_theirs());
        // The partner page signs the user in (it alone can ask its backend): the form
        // announces it needs a session again, and the session arrives from the hub.
        self.listen(&v.sign_in, "click", |f, _| {
            f.set_state(
                FormState::SignedOut,
                Some(TextKey::SignedOut),
                Some(ErrorCode::LoginRequired),
            );
        });
        self.listen(&v.retry, "click", |f, _| f.start_load());
        *self.view.borrow_mut() = Some(v);
    }

    fn listen(
        self: &Rc<Self>,
        target: &Element,
        event: &'static str,
        f: impl Fn(Rc<Form>, DomEvent) + 'static,
    ) {
        let weak = Rc::downgrade(self);
        let closure = Closure::<dyn FnMut(DomEvent)>::new(move |e: DomEvent| {
            if let Some(form) = weak.upgrade() {
                f(form, e);
            }
        });
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        self.listeners
            .borrow_mut()
            .push((target.clone(), event, closure));
    }

    fn edited(&self) {
        if !self.dirty.replace(true) {
            self.page
                .push(&Event::FormChange(FormChange { dirty: true }));
        }
    }

    /// Posts the content's height to the page whenever it changes.
    fn observe_size(self: &Rc<Self>, window: &web_sys::Window) -> Result<(), JsValue> {
        let weak = Rc::downgrade(self);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(form) = weak.upgrade() {
                form.report_height();
            }
        });
        let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref())?;
        observer.observe(&self.root);
        // The observer and its callback live as long as the frame's document.
        crosspass_web::for_page_lifetime((observer, callback));
        let _ = window;
        Ok(())
    }

    fn report_height(&self) {
        let height = self.root.get_bounding_client_rect().height().ceil();
        // A height in CSS pixels: whole, non-negative and far below u32::MAX.
        let height = if height.is_finite() && height > 0.0 {
            height as u32
        } else {
            0
        };
        if height != self.height.replace(height) {
            self.page.push(&Event::FormResize(FormResize { height }));
        }
    }
}
