//! The embeddable form widget: renders the tenant's form schema from the XYZ API in a
//! Shadow DOM, loads and saves the user's record with the bearer token, shows the
//! server's per-field 422 errors inline and resolves 412 conflicts without losing what
//! the user typed. Data only ever reaches the DOM as text nodes and attribute values.
//!
//! Hooks for pages and tests: the host element carries `data-state` (`loading`,
//! `ready`, `saving`, `saved`, `signed-out`, `error`, `conflict`) and fires
//! `crosspass-state` and `crosspass-saved` events; parts are exposed with `part=`.

pub mod schema;
mod style;

use crate::client::{get, Client};
use crate::error::SdkError;
use crosspass_protocol::text::Describe;
use crosspass_web::spawn;
use js_sys::{Function, Object, Reflect, JSON};
use schema::{Field, Kind};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement, ShadowRoot,
};

/// Default API path of the user's record.
pub const DEFAULT_RECORD_PATH: &str = "/api/v1/me/record";
/// Default API path of the tenant's form schema.
pub const DEFAULT_SCHEMA_PATH: &str = "/api/v1/form";

/// The widget's states, as written to the host's `data-state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Fetching schema and record.
    Loading,
    /// Editable.
    Ready,
    /// A save is in flight.
    Saving,
    /// The last save succeeded.
    Saved,
    /// No session.
    SignedOut,
    /// Loading or saving failed.
    Error,
    /// The server has a newer version; the user chooses.
    Conflict,
}

impl State {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Loading => "loading",
            State::Ready => "ready",
            State::Saving => "saving",
            State::Saved => "saved",
            State::SignedOut => "signed-out",
            State::Error => "error",
            State::Conflict => "conflict",
        }
    }
}

/// A listener kept so that `destroy` can remove it.
type Listener = (Element, &'static str, Closure<dyn FnMut(Event)>);
/// `(field name, value)` pairs read from the controls.
type Values = Vec<(String, JsValue)>;
/// `(field name, message)` pairs.
type FieldErrors = Vec<(String, String)>;

struct View {
    form: Element,
    title: Element,
    fields: Element,
    status: Element,
    alert: Element,
    submit: Element,
    conflict: Element,
    conflict_list: Element,
    sign_in: Element,
    retry: Element,
}

/// A mounted form.
pub struct Form {
    client: Rc<Client>,
    host: Element,
    root: ShadowRoot,
    record_path: String,
    schema_path: String,
    fields: RefCell<Vec<Field>>,
    record: RefCell<JsValue>,
    etag: RefCell<Option<String>>,
    theirs: RefCell<Option<(JsValue, Option<String>)>>,
    view: RefCell<Option<View>>,
    listeners: RefCell<Vec<Listener>>,
    session_listener: Cell<Option<u32>>,
    dirty: Cell<bool>,
    destroyed: Cell<bool>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Form")
            .field("record_path", &self.record_path)
            .finish_non_exhaustive()
    }
}

/// What `mountForm` returns: `{ destroy(), reload() }`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct FormHandle {
    form: Rc<Form>,
}

#[wasm_bindgen]
impl FormHandle {
    /// Removes the form and its listeners.
    pub fn destroy(&self) {
        self.form.destroy();
    }

    /// Loads schema and record again.
    pub fn reload(&self) {
        Form::start_load(&self.form);
    }
}

/// Mounts the widget in `element`. `options`: `{ path?, schemaPath? }`.
pub fn mount(
    client: Rc<Client>,
    element: &Element,
    options: &JsValue,
) -> Result<FormHandle, SdkError> {
    if client.is_destroyed() {
        return Err(SdkError::Destroyed);
    }
    let root = match element.shadow_root() {
        Some(root) => {
            root.replace_children_with_node_0();
            root
        }
        None => element
            .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
            .map_err(|_| {
                SdkError::InvalidArgument(
                    "mountForm(): this element cannot host a shadow root".into(),
                )
            })?,
    };
    let path_option = |key: &str, default: &str| {
        get(options, key)
            .as_string()
            .filter(|p| p.starts_with('/') && !p.starts_with("//"))
            .unwrap_or_else(|| default.to_owned())
    };
    let form = Rc::new(Form {
        record_path: path_option("path", DEFAULT_RECORD_PATH),
        schema_path: path_option("schemaPath", DEFAULT_SCHEMA_PATH),
        client,
        host: element.clone(),
        root,
        fields: RefCell::new(Vec::new()),
        record: RefCell::new(Object::new().into()),
        etag: RefCell::new(None),
        theirs: RefCell::new(None),
        view: RefCell::new(None),
        listeners: RefCell::new(Vec::new()),
        session_listener: Cell::new(None),
        dirty: Cell::new(false),
        destroyed: Cell::new(false),
    });
    Form::build(&form)?;
    let weak = Rc::downgrade(&form);
    let on_session = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let Some(form) = weak.upgrade() else { return };
        let signed_in = get(&e, "signedIn").as_bool().unwrap_or(false);
        if !signed_in {
            form.set_state(State::SignedOut, "You are signed out.");
        } else if form.state() == Some(State::SignedOut) {
            Form::start_load(&form);
        }
    });
    let id = form
        .client
        .on_session(on_session.into_js_value().unchecked_into::<Function>());
    form.session_listener.set(Some(id));
    Form::start_load(&form);
    Ok(FormHandle { form })
}

fn document() -> Result<Document, SdkError> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| SdkError::InvalidArgument("no document".into()))
}

fn el(
    doc: &Document,
    tag: &str,
    attrs: &[(&str, &str)],
    text: Option<&str>,
) -> Result<Element, SdkError> {
    let e = doc
        .create_element(tag)
        .map_err(|_| SdkError::InvalidArgument("cannot create elements".into()))?;
    for (k, v) in attrs {
        let _ = e.set_attribute(k, v);
    }
    if let Some(t) = text {
        e.set_text_content(Some(t));
    }
    Ok(e)
}

fn show(e: &Element, visible: bool) {
    let _ = if visible {
        e.remove_attribute("hidden")
    } else {
        e.set_attribute("hidden", "")
    };
}

/// The text shown for a record value in the conflict list.
fn display(v: &JsValue) -> String {
    if v.is_undefined() || v.is_null() {
        return "(empty)".into();
    }
    v.as_string()
        .or_else(|| v.as_bool().map(|b| if b { "yes" } else { "no" }.into()))
        .or_else(|| JSON::stringify(v).ok().and_then(|s| s.as_string()))
        .unwrap_or_default()
}

fn same(a: &JsValue, b: &JsValue) -> bool {
    let empty = |v: &JsValue| {
        v.is_undefined() || v.is_null() || v.as_string().is_some_and(|s| s.is_empty())
    };
    (empty(a) && empty(b)) || Object::is(a, b) || (a.as_f64().is_some() && a.as_f64() == b.as_f64())
}

impl Form {
    fn build(self: &Rc<Self>) -> Result<(), SdkError> {
        let doc = document()?;
        style::apply(&doc, &self.root);
        let form = el(
            &doc,
            "form",
            &[("part", "form"), ("novalidate", ""), ("aria-busy", "true")],
            None,
        )?;
        let heading = el(&doc, "h2", &[("part", "title"), ("hidden", "")], None)?;
        let status = el(
            &doc,
            "div",
            &[
                ("part", "status"),
                ("class", "status"),
                ("role", "status"),
                ("aria-live", "polite"),
            ],
            None,
        )?;
        let alert = el(
            &doc,
            "div",
            &[
                ("part", "alert"),
                ("class", "alert"),
                ("role", "alert"),
                ("hidden", ""),
            ],
            None,
        )?;
        let fields = el(
            &doc,
            "div",
            &[("part", "fields"), ("class", "fields")],
            None,
        )?;
        let conflict = el(
            &doc,
            "section",
            &[
                ("part", "conflict"),
                ("class", "conflict"),
                ("hidden", ""),
                ("aria-labelledby", "conflict-title"),
            ],
            None,
        )?;
        let title = el(
            &doc,
            "h3",
            &[("id", "conflict-title")],
            Some("Someone else saved a newer version"),
        )?;
        let explain = el(
            &doc,
            "p",
            &[],
            Some("Your changes are still in the form. Choose which version to keep:"),
        )?;
        let conflict_list = el(&doc, "ul", &[("part", "conflict-list")], None)?;
        let keep = el(
            &doc,
            "button",
            &[
                ("type", "button"),
                ("part", "button keep-mine"),
                ("data-action", "keep-mine"),
            ],
            Some("Keep my version"),
        )?;
        let take = el(
            &doc,
            "button",
            &[
                ("type", "button"),
                ("part", "button take-theirs"),
                ("data-action", "take-theirs"),
            ],
            Some("Use the saved version"),
        )?;
        for c in [&title, &explain, &conflict_list, &keep, &take] {
            let _ = conflict.append_child(c);
        }
        let actions = el(&doc, "div", &[("class", "actions")], None)?;
        let submit = el(
            &doc,
            "button",
            &[
                ("type", "submit"),
                ("part", "button submit"),
                ("data-action", "save"),
            ],
            Some("Save"),
        )?;
        let sign_in = el(
            &doc,
            "button",
            &[
                ("type", "button"),
                ("part", "button sign-in"),
                ("data-action", "sign-in"),
                ("hidden", ""),
            ],
            Some("Sign in"),
        )?;
        let retry = el(
            &doc,
            "button",
            &[
                ("type", "button"),
                ("part", "button retry"),
                ("data-action", "retry"),
                ("hidden", ""),
            ],
            Some("Try again"),
        )?;
        for c in [&submit, &sign_in, &retry] {
            let _ = actions.append_child(c);
        }
        for c in [&heading, &status, &alert, &fields, &conflict, &actions] {
            let _ = form.append_child(c);
        }
        let _ = self.root.append_child(&form);

        self.listen(&form, "input", |f, _| f.dirty.set(true));
        self.listen(&form, "change", |f, _| f.dirty.set(true));
        self.listen(&form, "submit", |f, e| {
            e.prevent_default();
            spawn(async move { f.save().await });
        });
        self.listen(&keep, "click", |f, _| f.keep_mine());
        self.listen(&take, "click", |f, _| f.take_theirs());
        self.listen(&sign_in, "click", |f, _| {
            spawn(async move {
                f.set_state(State::Loading, "Signing in…");
                match f.client.sign_in_shared().await {
                    Ok(_) => f.load().await,
                    Err(e) => f.fail(&e),
                }
            })
        });
        self.listen(&retry, "click", |f, _| Form::start_load(&f));

        *self.view.borrow_mut() = Some(View {
            form,
            title: heading,
            fields,
            status,
            alert,
            submit,
            conflict,
            conflict_list,
            sign_in,
            retry,
        });
        Ok(())
    }

    fn listen(
        self: &Rc<Self>,
        target: &Element,
        event: &'static str,
        f: impl Fn(Rc<Form>, Event) + 'static,
    ) {
        let weak = Rc::downgrade(self);
        let closure = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if let Some(form) = weak.upgrade() {
                if !form.destroyed.get() {
                    f(form, e);
                }
            }
        });
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        self.listeners
            .borrow_mut()
            .push((target.clone(), event, closure));
    }

    fn state(&self) -> Option<State> {
        let s = self.host.get_attribute("data-state")?;
        [
            State::Loading,
            State::Ready,
            State::Saving,
            State::Saved,
            State::SignedOut,
            State::Error,
            State::Conflict,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    fn set_state(&self, state: State, message: &str) {
        if self.destroyed.get() {
            return;
        }
        let _ = self.host.set_attribute("data-state", state.as_str());
        if let Some(v) = self.view.borrow().as_ref() {
            let busy = matches!(state, State::Loading | State::Saving);
            let _ = v
                .form
                .set_attribute("aria-busy", if busy { "true" } else { "false" });
            let _ = v.form.set_attribute("data-state", state.as_str());
            v.status.set_text_content(Some(message));
            let editable = matches!(state, State::Ready | State::Saved);
            // Rendered fields stay on screen in every state: what the user typed is
            // never hidden or replaced behind their back.
            show(&v.fields, !self.fields.borrow().is_empty());
            show(
                &v.submit,
                editable || state == State::Saving || state == State::Conflict,
            );
            let _ = if editable {
                v.submit.remove_attribute("disabled")
            } else {
                v.submit.set_attribute("disabled", "")
            };
            show(&v.sign_in, state == State::SignedOut);
            show(&v.retry, state == State::Error);
            show(&v.conflict, state == State::Conflict);
            if state != State::Conflict && state != State::Ready {
                show(&v.alert, false);
            }
        }
        let detail = Object::new();
        let _ = Reflect::set(&detail, &"state".into(), &state.as_str().into());
        self.dispatch("crosspass-state", &detail);
    }

    fn dispatch(&self, name: &str, detail: &JsValue) {
        let init = web_sys::CustomEventInit::new();
        init.set_detail(detail);
        init.set_bubbles(true);
        init.set_composed(true);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = self.host.dispatch_event(&event);
        }
    }

    fn alert(&self, message: Option<&str>) {
        if let Some(v) = self.view.borrow().as_ref() {
            v.alert.set_text_content(message);
            show(&v.alert, message.is_some());
        }
    }

    fn fail(&self, e: &SdkError) {
        match e.code() {
            crosspass_protocol::ErrorCode::LoginRequired
            | crosspass_protocol::ErrorCode::InvalidGrant => {
                self.set_state(State::SignedOut, "Sign in to see this form.")
            }
            crosspass_protocol::ErrorCode::Destroyed => {}
            _ => {
                self.set_state(State::Error, "Something went wrong.");
                self.alert(Some(&e.text()));
            }
        }
    }

    fn start_load(form: &Rc<Form>) {
        let form = form.clone();
        spawn(async move { form.load().await });
    }

    /// GETs `path` as JSON: (status, body, etag).
    async fn get_json(&self, path: &str) -> Result<(u16, JsValue, Option<String>), SdkError> {
        let init = Object::new();
        let headers = Object::new();
        let _ = Reflect::set(&headers, &"Accept".into(), &"application/json".into());
        let _ = Reflect::set(&init, &"headers".into(), &headers);
        let _ = Reflect::set(&init, &"cache".into(), &"no-store".into());
        let response = self.client.fetch(path, &init).await?;
        read(response).await
    }

    async fn load(self: &Rc<Self>) {
        self.set_state(State::Loading, "Loading…");
        // Both at once: each waits on the same token (one sign-in for the two).
        let (schema, record) = futures_util::future::join(
            self.get_json(&self.schema_path),
            self.get_json(&self.record_path),
        )
        .await;
        let schema = match schema {
            Ok((200..=299, body, _)) => body,
            Ok((401, ..)) => return self.set_state(State::SignedOut, "Sign in to see this form."),
            Ok((status, ..)) => return self.load_failed(status),
            Err(e) => return self.fail(&e),
        };
        let (record, etag) = match record {
            Ok((200..=299, body, etag)) => match schema::record_of(&body) {
                Some(record) => (record, etag),
                None => return self.load_failed(200),
            },
            Ok((404, ..)) => (Object::new().into(), None),
            Ok((401, ..)) => return self.set_state(State::SignedOut, "Sign in to see this form."),
            Ok((status, ..)) => return self.load_failed(status),
            Err(e) => return self.fail(&e),
        };
        if self.dirty.get() && !self.fields.borrow().is_empty() {
            // Unsaved edits survive a reload (after signing in again, say). The old
            // ETag is kept, so saving them over a newer version shows the conflict.
            return self.set_state(State::Ready, "Your unsaved changes are kept.");
        }
        if let Some(v) = self.view.borrow().as_ref() {
            let title = schema::title(&schema);
            v.title.set_text_content(title.as_deref());
            show(&v.title, title.is_some());
        }
        *self.fields.borrow_mut() = schema::parse_schema(&schema);
        *self.record.borrow_mut() = record.clone();
        *self.etag.borrow_mut() = etag;
        if let Err(e) = self.render_fields() {
            return self.fail(&e);
        }
        self.fill(&record);
        self.set_state(State::Ready, "");
    }

    fn load_failed(&self, status: u16) {
        self.set_state(State::Error, "The form could not be loaded.");
        self.alert(Some(&format!("The XYZ API answered HTTP {status}.")));
    }

    fn render_fields(&self) -> Result<(), SdkError> {
        let doc = document()?;
        let view = self.view.borrow();
        let Some(v) = view.as_ref() else {
            return Ok(());
        };
        v.fields.replace_children_with_node_0();
        for (i, field) in self.fields.borrow().iter().enumerate() {
            let id = format!("f{i}");
            let help_id = format!("f{i}-help");
            let error_id = format!("f{i}-error");
            let wrap = el(
                &doc,
                "div",
                &[
                    ("part", "field"),
                    ("class", "field"),
                    ("data-field", &field.name),
                ],
                None,
            )?;
            let label = el(
                &doc,
                "label",
                &[("for", &id), ("part", "label")],
                Some(&field.label),
            )?;
            if field.required {
                let mark = el(
                    &doc,
                    "span",
                    &[("class", "required"), ("aria-hidden", "true")],
                    Some(" *"),
                )?;
                let _ = label.append_child(&mark);
            }
            let control = match &field.kind {
                Kind::Choice(options) => {
                    let select = el(&doc, "select", &[], None)?;
                    let blank = el(&doc, "option", &[("value", "")], Some("—"))?;
                    let _ = select.append_child(&blank);
                    for o in options {
                        let opt = el(&doc, "option", &[("value", o)], Some(o))?;
                        let _ = select.append_child(&opt);
                    }
                    select
                }
                kind => {
                    let ty = match kind {
                        Kind::Number => "number",
                        Kind::Boolean => "checkbox",
                        Kind::Date => "date",
                        _ => "text",
                    };
                    let input = el(&doc, "input", &[("type", ty)], None)?;
                    if let Some(min) = &field.min {
                        let _ = input.set_attribute("min", min);
                    }
                    if let Some(max) = &field.max {
                        let _ = input.set_attribute("max", max);
                    }
                    if *kind == Kind::Number {
                        let step = if field.integer { "1" } else { "any" };
                        let _ = input.set_attribute("step", step);
                    }
                    if let Some(n) = field.min_length {
                        let _ = input.set_attribute("minlength", &n.to_string());
                    }
                    if let Some(n) = field.max_length {
                        let _ = input.set_attribute("maxlength", &n.to_string());
                    }
                    if let Some(p) = &field.pattern {
                        let _ = input.set_attribute("pattern", p);
                    }
                    input
                }
            };
            let mut described = vec![error_id.clone()];
            let _ = control.set_attribute("id", &id);
            let _ = control.set_attribute("name", &field.name);
            let _ = control.set_attribute("part", "control");
            let _ = control.set_attribute("aria-invalid", "false");
            if field.required {
                let _ = control.set_attribute("required", "");
                let _ = control.set_attribute("aria-required", "true");
            }
            let help = match &field.help {
                Some(h) => {
                    described.insert(0, help_id.clone());
                    Some(el(
                        &doc,
                        "div",
                        &[("id", &help_id), ("class", "help"), ("part", "help")],
                        Some(h),
                    )?)
                }
                None => None,
            };
            let _ = control.set_attribute("aria-describedby", &described.join(" "));
            let error = el(
                &doc,
                "div",
                &[
                    ("id", &error_id),
                    ("class", "error"),
                    ("part", "error"),
                    ("hidden", ""),
                ],
                None,
            )?;
            if field.kind == Kind::Boolean {
                let _ = wrap.set_attribute("class", "field checkbox");
                let _ = wrap.append_child(&control);
                let _ = wrap.append_child(&label);
            } else {
                let _ = wrap.append_child(&label);
                let _ = wrap.append_child(&control);
            }
            if let Some(h) = help {
                let _ = wrap.append_child(&h);
            }
            let _ = wrap.append_child(&error);
            let _ = v.fields.append_child(&wrap);
        }
        Ok(())
    }

    fn control(&self, index: usize) -> Option<Element> {
        self.root.get_element_by_id(&format!("f{index}"))
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
                            problems.push((field.name.clone(), "Enter a valid value.".to_owned()));
                        }
                        // Empty is "no value" (null), never an empty string that
                        // would have to pass the field's length and pattern rules.
                        JsValue::NULL
                    } else if *kind == Kind::Number {
                        // The browser's own number parsing (NaN when invalid).
                        match input.value_as_number() {
                            n if n.is_finite() => n.into(),
                            _ => {
                                problems.push((field.name.clone(), "Enter a number.".to_owned()));
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
                problems.push((field.name.clone(), "This field is required.".to_owned()));
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
            if let Some(error) = self.root.get_element_by_id(&format!("f{i}-error")) {
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
            self.alert(Some("Please correct the highlighted fields."));
        } else {
            self.alert(None);
        }
    }

    /// The record to send: the last server record (members the form does not show
    /// are kept) with the form's values.
    fn merged(&self, values: &[(String, JsValue)]) -> JsValue {
        let out = Object::new();
        let base = self.record.borrow();
        if let Some(o) = base.dyn_ref::<Object>() {
            Object::assign(&out, o);
        }
        for (name, value) in values {
            let _ = Reflect::set(&out, &name.into(), value);
        }
        out.into()
    }

    async fn save(self: &Rc<Self>) {
        if matches!(
            self.state(),
            Some(State::Saving | State::Loading | State::SignedOut)
        ) {
            return;
        }
        let values = match self.values() {
            Ok(v) => v,
            Err(problems) => {
                self.show_errors(&problems);
                return;
            }
        };
        self.show_errors(&[]);
        let record = self.merged(&values);
        self.set_state(State::Saving, "Saving…");
        let init = Object::new();
        let headers = Object::new();
        let _ = Reflect::set(&headers, &"Content-Type".into(), &"application/json".into());
        let _ = Reflect::set(&headers, &"Accept".into(), &"application/json".into());
        if let Some(etag) = self.etag.borrow().as_deref() {
            let _ = Reflect::set(&headers, &"If-Match".into(), &etag.into());
        }
        let _ = Reflect::set(&init, &"method".into(), &"PUT".into());
        let _ = Reflect::set(&init, &"headers".into(), &headers);
        let body = JSON::stringify(&record)
            .map(JsValue::from)
            .unwrap_or(JsValue::UNDEFINED);
        let _ = Reflect::set(&init, &"body".into(), &body);
        let response = match self.client.fetch(&self.record_path, &init).await {
            Ok(r) => r,
            Err(e) => return self.fail(&e),
        };
        let (status, body, etag) = match read(response).await {
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
                self.set_state(State::Saved, "Saved.");
                self.dispatch("crosspass-saved", &self.record.borrow());
            }
            422 | 400 => {
                let errors = schema::field_errors(&body);
                self.set_state(State::Ready, "Not saved.");
                if errors.is_empty() {
                    self.alert(Some("The server refused these values."));
                } else {
                    self.show_errors(&errors);
                }
            }
            412 => self.conflict(&body, etag).await,
            401 => self.set_state(State::SignedOut, "Sign in to save."),
            _ => {
                self.set_state(State::Error, "Not saved.");
                self.alert(Some(&format!(
                    "The XYZ API answered HTTP {status}. Your changes are still in the form."
                )));
            }
        }
    }

    async fn conflict(self: &Rc<Self>, body: &JsValue, etag: Option<String>) {
        let mut theirs = schema::conflict_record(body);
        let mut etag = schema::conflict_etag(body).or(etag);
        if theirs.is_none() || etag.is_none() {
            match self.get_json(&self.record_path).await {
                Ok((200..=299, current, current_etag)) => {
                    theirs = schema::record_of(&current);
                    etag = current_etag;
                }
                Ok(_) => {}
                Err(e) => return self.fail(&e),
            }
        }
        let Some(theirs) = theirs else {
            self.set_state(State::Error, "Not saved.");
            self.alert(Some(
                "Someone else changed this record and it could not be read.",
            ));
            return;
        };
        let mine = self.values().unwrap_or_default();
        if let (Ok(doc), Some(v)) = (document(), self.view.borrow().as_ref()) {
            v.conflict_list.replace_children_with_node_0();
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
                let text = format!(
                    "{}: yours “{}”, saved “{}”",
                    field.label,
                    display(&my),
                    display(&their)
                );
                if let Ok(li) = el(&doc, "li", &[("data-field", &field.name)], Some(&text)) {
                    let _ = v.conflict_list.append_child(&li);
                }
            }
        }
        *self.theirs.borrow_mut() = Some((theirs, etag));
        self.set_state(State::Conflict, "Not saved: the record changed.");
    }

    /// Overwrites the newer version with the form's values (on purpose, now).
    fn keep_mine(self: &Rc<Self>) {
        let Some((theirs, etag)) = self.theirs.borrow_mut().take() else {
            return;
        };
        *self.record.borrow_mut() = theirs;
        *self.etag.borrow_mut() = etag;
        self.set_state(State::Ready, "");
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
        self.set_state(State::Ready, "Showing the saved version.");
    }

    fn destroy(&self) {
        if self.destroyed.replace(true) {
            return;
        }
        for (target, event, closure) in self.listeners.borrow_mut().drain(..) {
            let _ =
                target.remove_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
        if let Some(id) = self.session_listener.take() {
            self.client.off(id);
        }
        self.view.borrow_mut().take();
        self.root.replace_children_with_node_0();
        let _ = self.host.remove_attribute("data-state");
    }
}

/// Status, JSON body (`null` when none or unreadable) and ETag of a response.
async fn read(response: web_sys::Response) -> Result<(u16, JsValue, Option<String>), SdkError> {
    let status = response.status();
    let etag = response.headers().get("ETag").ok().flatten();
    let body = match response.json() {
        Ok(p) => crosspass_web::wait(&p).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    Ok((status, body, etag))
}
