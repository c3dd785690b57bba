//! The form frame (`/embed/form?client_id=…`): XYZ's form, rendered in XYZ's own frame.
//! It renders the tenant's form schema, loads and saves the user's record with
//! same-origin requests carrying a token it gets from the hub frame, shows the server's
//! per-field 422 errors inline, and resolves 412 conflicts without losing what the user
//! typed. The partner page sees events and the form's height; never the token.

mod frame;
pub mod schema;
mod view;

use crate::api;
use crate::config::HubConfig;
use crate::error::HubError;
use crosspass_protocol::appearance::Appearance;
use crosspass_protocol::rpc::{
    Call, Ended, Event, FormParams, FormState, HttpMethod, Request, Response,
};
use crosspass_protocol::text::Describe;
use crosspass_protocol::texts::{Locale, TextKey, Texts};
use crosspass_protocol::{ErrorCode, RpcError};
use crosspass_web::spawn;
use frame::{reply, PagePort, Tokens};
use js_sys::{Object, Reflect, JSON};
use schema::{Field, Kind};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use view::{display, el, show, View};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, Event as DomEvent, HtmlElement, HtmlInputElement, HtmlSelectElement,
    MessageEvent, MessagePort,
};

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
    on_hello.forget();
    let f = form.clone();
    if let Some((channel, listener)) = frame::on_session_changed(&form.config, move |s| {
        f.session_changed(s.signed_in);
    }) {
        std::mem::forget((channel, listener));
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
        let appearance = Appearance::parse(&params.appearance)
            .map_err(|e| RpcError::new(ErrorCode::InvalidAppearance, e.text()))?;
        let locale = params
            .locale
            .as_deref()
            .map_or(self.texts.borrow().locale(), Locale::for_tag);
        let texts = Texts::new(locale, &params.messages).map_err(|_| {
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

    fn status_for(&self, state: FormState) -> Option<TextKey> {
        Some(match state {
            FormState::Loading => TextKey::Loading,
            FormState::SignedOut => TextKey::SignedOut,
            FormState::Saving => TextKey::Saving,
            FormState::Saved => TextKey::Saved,
            FormState::Conflict => TextKey::ConflictStatus,
            FormState::Error => TextKey::Failed,
            FormState::Ready => return None,
        })
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
            self.page.push(&Event::FormChange(true));
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
        callback.forget();
        std::mem::forget(observer);
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
            self.page.push(&Event::FormResize(height));
        }
    }

    fn set_state(&self, state: FormState, status: Option<TextKey>, code: Option<ErrorCode>) {
        self.state.set(state);
        let _ = self.root.set_attribute("data-state", state.as_str());
        if let Some(v) = self.view.borrow().as_ref() {
            let busy = matches!(state, FormState::Loading | FormState::Saving);
            let _ = v
                .form
                .set_attribute("aria-busy", if busy { "true" } else { "false" });
            let text = status.map(|k| self.text(k)).unwrap_or_default();
            v.status.set_text_content(Some(&text));
            let editable = matches!(state, FormState::Ready | FormState::Saved);
            // Rendered fields stay on screen in every state: what the user typed is
            // never hidden or replaced behind their back.
            show(&v.fields, !self.fields.borrow().is_empty());
            show(
                &v.submit,
                editable || matches!(state, FormState::Saving | FormState::Conflict),
            );
            let _ = if editable {
                v.submit.remove_attribute("disabled")
            } else {
                v.submit.set_attribute("disabled", "")
            };
            show(&v.sign_in, state == FormState::SignedOut);
            show(&v.retry, state == FormState::Error);
            show(&v.conflict, state == FormState::Conflict);
            if !matches!(state, FormState::Conflict | FormState::Ready) {
                show(&v.alert, false);
            }
        }
        self.page.push(&Event::FormState(state, code));
        match state {
            FormState::Saved => self.page.push(&Event::FormSaved),
            FormState::Conflict => self.page.push(&Event::FormConflict),
            _ => {}
        }
    }

    fn alert(&self, message: Option<&str>) {
        if let Some(v) = self.view.borrow().as_ref() {
            v.alert.set_text_content(message);
            show(&v.alert, message.is_some());
        }
    }

    fn signed_out(&self, status: TextKey) {
        self.tokens.forget();
        self.set_state(
            FormState::SignedOut,
            Some(status),
            Some(ErrorCode::LoginRequired),
        );
    }

    fn fail(&self, e: &HubError) {
        match e.code() {
            ErrorCode::LoginRequired | ErrorCode::InvalidGrant => {
                self.signed_out(TextKey::SignedOut)
            }
            code => {
                self.set_state(FormState::Error, Some(TextKey::Failed), Some(code));
                self.alert(Some(&e.text()));
                self.page.push(&Event::FormError(e.to_rpc_error()));
            }
        }
    }

    fn failed_with(&self, status_key: TextKey, code: ErrorCode, message: String) {
        self.set_state(FormState::Error, Some(status_key), Some(code));
        self.alert(Some(&message));
        self.page
            .push(&Event::FormError(RpcError::new(code, message)));
    }

    fn session_changed(self: &Rc<Self>, signed_in: bool) {
        self.page.push(&Event::SessionChanged(
            crosspass_protocol::rpc::SessionChanged { signed_in },
        ));
        if !self.mounted.get() {
            return;
        }
        if !signed_in {
            // Signed out on purpose (here or in another tab): no code, so the page does
            // not sign the user straight back in; the Sign in button asks for that.
            self.tokens.forget();
            self.set_state(FormState::SignedOut, Some(TextKey::SignedOut), None);
        } else if self.state.get() == FormState::SignedOut {
            self.start_load();
        }
    }

    fn start_load(self: &Rc<Self>) {
        let form = self.clone();
        spawn(async move { form.load().await });
    }

    /// One API request with the form's token; a 401 is retried once with a fresh
    /// token from the hub (the cached one may have been replaced).
    async fn request(
        &self,
        method: HttpMethod,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, JsValue, Option<String>), HubError> {
        for attempt in 0..2 {
            let token = self.tokens.get().await?;
            let headers = Object::new();
            let set = |k: &str, v: &str| {
                let _ = Reflect::set(&headers, &k.into(), &v.into());
            };
            set("Accept", "application/json");
            set(
                "Authorization",
                &["Bearer ", token.expose_secret()].concat(),
            );
            if body.is_some() {
                set("Content-Type", "application/json");
            }
            if method == HttpMethod::Put {
                if let Some(etag) = self.etag.borrow().as_deref() {
                    set("If-Match", etag);
                }
            }
            let body_value = body
                .as_deref()
                .map_or(JsValue::UNDEFINED, JsValue::from_str);
            let response = api::send(method, path, &headers, &body_value).await?;
            let status = response.status();
            if status == 401 && attempt == 0 {
                self.tokens.forget();
                continue;
            }
            if status == 401 {
                return Err(HubError::LoginRequired);
            }
            let etag = response.headers().get("ETag").ok().flatten();
            let json = match response.json() {
                Ok(p) => crosspass_web::wait(&p).await.unwrap_or(JsValue::NULL),
                Err(_) => JsValue::NULL,
            };
            return Ok((status, json, etag));
        }
        Err(HubError::LoginRequired)
    }

    async fn load(self: &Rc<Self>) {
        self.set_state(FormState::Loading, Some(TextKey::Loading), None);
        // Schema and record at once: the cold start waits for the slower, not the sum.
        let [schema, record] = [SCHEMA_PATH, RECORD_PATH].map(|path| {
            let slot = crosspass_web::Oneshot::new();
            let (form, filled) = (self.clone(), slot.clone());
            spawn(async move { filled.fill(form.request(HttpMethod::Get, path, None).await) });
            slot
        });
        let (schema, record) = (
            schema.await.unwrap_or(Err(HubError::Network)),
            record.await.unwrap_or(Err(HubError::Network)),
        );
        let schema = match schema {
            Ok((200..=299, body, _)) => body,
            Ok((404, ..)) => {
                let tenant = self.config.tenant.as_str();
                return self.failed_with(
                    TextKey::NotConfigured,
                    ErrorCode::FormNotConfigured,
                    [
                        "tenant ",
                        tenant,
                        " has no form schema: an XYZ admin sets one with `crosspass form set --tenant ",
                        tenant,
                        " schema.json`",
                    ]
                    .concat(),
                );
            }
            Ok((status, ..)) => return self.load_failed(status),
            Err(e) => return self.fail(&e),
        };
        let (record, etag) = match record {
            Ok((200..=299, body, etag)) => match schema::record_of(&body) {
                Some(record) => (record, etag),
                None => return self.load_failed(200),
            },
            Ok((404, ..)) => (Object::new().into(), None),
            Ok((status, ..)) => return self.load_failed(status),
            Err(e) => return self.fail(&e),
        };
        if self.dirty.get() && !self.fields.borrow().is_empty() {
            // Unsaved edits survive a reload (after signing in again, say). The old
            // ETag is kept, so saving them over a newer version shows the conflict.
            return self.set_state(FormState::Ready, Some(TextKey::KeptEdits), None);
        }
        if let Some(v) = self.view.borrow().as_ref() {
            let title = schema::title(&schema);
            v.title.set_text_content(title.as_deref());
            show(&v.title, title.is_some());
        }
        *self.fields.borrow_mut() = schema::parse_schema(&schema);
        *self.record.borrow_mut() = record.clone();
        *self.etag.borrow_mut() = etag;
        if let Some(v) = self.view.borrow().as_ref() {
            v.render_fields(&self.doc, &self.fields.borrow());
        }
        self.fill(&record);
        self.set_state(FormState::Ready, None, None);
    }

    fn load_failed(&self, status: u16) {
        let message = [
            self.text(TextKey::HttpStatus),
            " ".into(),
            status.to_string(),
            ".".into(),
        ]
        .concat();
        self.failed_with(TextKey::LoadFailed, ErrorCode::ServerError, message);
    }

    fn control(&self, index: usize) -> Option<Element> {
        self.doc
            .get_element_by_id(&["f", &index.to_string()].concat())
    }

    /// Puts `record`'s values in the controls.
    fn fill(&self, record: &JsValue) {
        for (i, field) in self.fields.borrow().iter().enumerate() {
            let Some(control) = self.control(i) else {
                continue;
            };
            let value = get(record, &field.name);
            match &field.kind {
                Kind::Boolean => {
                    if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
                        input.set_checked(value.as_bool().unwrap_or(false));
                    }
                }
                Kind::Choice(_) => {
                    if let Some(select) = control.dyn_ref::<HtmlSelectElement>() {
                        select.set_value(&value.as_string().unwrap_or_default());
                    }
                }
                _ => {
                    if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
                        let text = value
                            .as_string()
                            .or_else(|| value.as_f64().map(crate::js::number_text))
                            .unwrap_or_default();
                        input.set_value(&text);
                    }
                }
            }
        }
    }

    /// The controls' values: `(name, value)` pairs, or per-field problems.
    fn values(&self) -> Result<Values, FieldErrors> {
        let mut values = Vec::new();
        let mut problems = Vec::new();
        for (i, field) in self.fields.borrow().iter().enumerate() {
            let Some(control) = self.control(i) else {
                continue;
            };
            let value: JsValue = match &field.kind {
                Kind::Boolean => control
                    .dyn_ref::<HtmlInputElement>()
                    .map(|c| c.checked())
                    .unwrap_or(false)
                    .into(),
                Kind::Choice(_) => {
                    let v = control
                        .dyn_ref::<HtmlSelectElement>()
                        .map(|s| s.value())
                        .unwrap_or_default();
                    if v.is_empty() {
                        JsValue::NULL
                    } else {
                        v.into()
                    }
                }
                kind => {
                    let Some(input) = control.dyn_ref::<HtmlInputElement>() else {
                        continue;
                    };
                    let text = input.value();
                    if text.is_empty() {
                        if input.validity().bad_input() {
                            problems.push((field.name.clone(), self.text(TextKey::InvalidValue)));
                        }
                        // Empty is "no value" (null), never an empty string that would
                        // have to pass the field's length and pattern rules.
                        JsValue::NULL
                    } else if *kind == Kind::Number {
                        match input.value_as_number() {
                            n if n.is_finite() => n.into(),
                            _ => {
                                problems
                                    .push((field.name.clone(), self.text(TextKey::InvalidNumber)));
                                continue;
                            }
                        }
                    } else {
                        text.into()
                    }
                }
            };
            let empty = value.is_null() || value.as_string().is_some_and(|s| s.trim().is_empty());
            if field.required && empty && !problems.iter().any(|(n, _)| *n == field.name) {
                problems.push((field.name.clone(), self.text(TextKey::Required)));
            }
            values.push((field.name.clone(), value));
        }
        if problems.is_empty() {
            Ok(values)
        } else {
            Err(problems)
        }
    }

    fn show_errors(&self, errors: &[(String, String)]) {
        let mut first: Option<Element> = None;
        for (i, field) in self.fields.borrow().iter().enumerate() {
            let message = errors
                .iter()
                .find(|(n, _)| *n == field.name)
                .map(|(_, m)| m.as_str());
            let Some(control) = self.control(i) else {
                continue;
            };
            let _ = control.set_attribute(
                "aria-invalid",
                if message.is_some() { "true" } else { "false" },
            );
            if let Some(error) = self
                .doc
                .get_element_by_id(&["f", &i.to_string(), "-error"].concat())
            {
                error.set_text_content(message);
                show(&error, message.is_some());
            }
            if message.is_some() && first.is_none() {
                first = Some(control);
            }
        }
        if let Some(control) = first.and_then(|c| c.dyn_into::<HtmlElement>().ok()) {
            let _ = control.focus();
        }
        let unmatched: Vec<&str> = errors
            .iter()
            .filter(|(n, _)| !self.fields.borrow().iter().any(|f| f.name == *n))
            .map(|(_, m)| m.as_str())
            .collect();
        if !unmatched.is_empty() {
            self.alert(Some(&unmatched.join(" ")));
        } else if !errors.is_empty() {
            self.alert(Some(&self.text(TextKey::FixFields)));
        } else {
            self.alert(None);
        }
    }

    /// The record to send: the last server record (members the form does not show are
    /// kept) with the form's values.
    fn merged(&self, values: &[(String, JsValue)]) -> JsValue {
        let out = Object::new();
        if let Some(o) = self.record.borrow().dyn_ref::<Object>() {
            Object::assign(&out, o);
        }
        for (name, value) in values {
            let _ = Reflect::set(&out, &name.into(), value);
        }
        out.into()
    }

    async fn save(self: &Rc<Self>) {
        if matches!(
            self.state.get(),
            FormState::Saving | FormState::Loading | FormState::SignedOut
        ) {
            return;
        }
        let values = match self.values() {
            Ok(v) => v,
            Err(problems) => return self.show_errors(&problems),
        };
        self.show_errors(&[]);
        let record = self.merged(&values);
        self.set_state(FormState::Saving, Some(TextKey::Saving), None);
        let body = JSON::stringify(&record).ok().and_then(|s| s.as_string());
        let (status, body, etag) = match self.request(HttpMethod::Put, RECORD_PATH, body).await {
            Ok(r) => r,
            Err(e) => return self.fail(&e),
        };
        match status {
            200..=299 => {
                *self.record.borrow_mut() = schema::record_of(&body).unwrap_or(record);
                if etag.is_some() {
                    *self.etag.borrow_mut() = etag;
                }
                self.dirty.set(false);
                self.set_state(FormState::Saved, Some(TextKey::Saved), None);
                self.page.push(&Event::FormChange(false));
            }
            422 | 400 => {
                let errors = schema::field_errors(&body);
                self.set_state(FormState::Ready, Some(TextKey::NotSaved), None);
                if errors.is_empty() {
                    self.alert(Some(&self.text(TextKey::Refused)));
                } else {
                    self.show_errors(&errors);
                }
            }
            412 => self.conflict(&body, etag).await,
            _ => {
                let message = [
                    self.text(TextKey::HttpStatus),
                    " ".into(),
                    status.to_string(),
                    ". ".into(),
                    self.text(TextKey::StillInForm),
                ]
                .concat();
                self.failed_with(TextKey::NotSaved, ErrorCode::ServerError, message);
            }
        }
    }

    async fn conflict(self: &Rc<Self>, body: &JsValue, etag: Option<String>) {
        let mut theirs = schema::conflict_record(body);
        let mut etag = schema::conflict_etag(body).or(etag);
        if theirs.is_none() || etag.is_none() {
            match self.request(HttpMethod::Get, RECORD_PATH, None).await {
                Ok((200..=299, current, current_etag)) => {
                    theirs = schema::record_of(&current);
                    etag = current_etag;
                }
                Ok(_) => {}
                Err(e) => return self.fail(&e),
            }
        }
        let Some(theirs) = theirs else {
            let message = self.text(TextKey::ConflictUnreadable);
            return self.failed_with(TextKey::NotSaved, ErrorCode::ServerError, message);
        };
        let mine = self.values().unwrap_or_default();
        if let Some(v) = self.view.borrow().as_ref() {
            v.conflict_list.replace_children_with_node_0();
            let texts = self.texts.borrow();
            for field in self.fields.borrow().iter() {
                let my = mine
                    .iter()
                    .find(|(n, _)| *n == field.name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(JsValue::NULL);
                let their = get(&theirs, &field.name);
                if same(&my, &their) {
                    continue;
                }
                let text = [
                    field.label.as_str(),
                    ": ",
                    texts.get(TextKey::Yours),
                    " “",
                    &display(&my, &texts),
                    "”, ",
                    texts.get(TextKey::Theirs),
                    " “",
                    &display(&their, &texts),
                    "”",
                ]
                .concat();
                if let Some(li) = el(&self.doc, "li", &[("data-field", &field.name)], Some(&text)) {
                    let _ = v.conflict_list.append_child(&li);
                }
            }
        }
        *self.theirs.borrow_mut() = Some((theirs, etag));
        self.set_state(FormState::Conflict, Some(TextKey::ConflictStatus), None);
    }

    /// Overwrites the newer version with the form's values (on purpose, now).
    fn keep_mine(self: &Rc<Self>) {
        let Some((theirs, etag)) = self.theirs.borrow_mut().take() else {
            return;
        };
        *self.record.borrow_mut() = theirs;
        *self.etag.borrow_mut() = etag;
        self.set_state(FormState::Ready, None, None);
        let form = self.clone();
        spawn(async move { form.save().await });
    }

    /// Replaces the form's values with the newer version.
    fn take_theirs(&self) {
        let Some((theirs, etag)) = self.theirs.borrow_mut().take() else {
            return;
        };
        self.fill(&theirs);
        self.dirty.set(false);
        *self.record.borrow_mut() = theirs;
        *self.etag.borrow_mut() = etag;
        self.show_errors(&[]);
        self.set_state(FormState::Ready, Some(TextKey::ShowingSaved), None);
        self.page.push(&Event::FormChange(false));
    }
}

fn get(v: &JsValue, key: &str) -> JsValue {
    if v.is_object() {
        Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn same(a: &JsValue, b: &JsValue) -> bool {
    let empty = |v: &JsValue| {
        v.is_undefined() || v.is_null() || v.as_string().is_some_and(|s| s.is_empty())
    };
    (empty(a) && empty(b)) || Object::is(a, b) || (a.as_f64().is_some() && a.as_f64() == b.as_f64())
}
