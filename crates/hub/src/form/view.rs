//! The form's DOM: the fixed frame (status, alert, buttons, conflict panel) and one
//! labelled control per schema field. Data reaches the DOM only as text nodes and
//! attribute values.

use super::schema::{Field, FieldType};
use crosspass_protocol::texts::{TextKey, Texts};
use web_sys::{Document, Element};

/// Creates an element with attributes and, optionally, text.
pub fn el(
    doc: &Document,
    tag: &str,
    attrs: &[(&str, &str)],
    text: Option<&str>,
) -> Option<Element> {
    let e = doc.create_element(tag).ok()?;
    for (k, v) in attrs {
        let _ = e.set_attribute(k, v);
    }
    if let Some(t) = text {
        e.set_text_content(Some(t));
    }
    Some(e)
}

/// Shows or hides `e`.
pub fn show(e: &Element, visible: bool) {
    let _ = if visible {
        e.remove_attribute("hidden")
    } else {
        e.set_attribute("hidden", "")
    };
}

fn append(parent: &Element, children: &[&Element]) {
    for c in children {
        let _ = parent.append_child(c);
    }
}

/// The fixed parts of the form.
#[derive(Debug)]
pub struct View {
    /// The `<form>`.
    pub form: Element,
    /// The schema's title.
    pub title: Element,
    /// Where the fields go.
    pub fields: Element,
    /// Polite status line.
    pub status: Element,
    /// Assertive alert.
    pub alert: Element,
    /// Save.
    pub submit: Element,
    /// The conflict panel.
    pub conflict: Element,
    /// Differences listed in the conflict panel.
    pub conflict_list: Element,
    /// Sign in (asks the partner page to sign the user in).
    pub sign_in: Element,
    /// Load again after a failure.
    pub retry: Element,
    /// Keep my version.
    pub keep: Element,
    /// Use the saved version.
    pub take: Element,
    conflict_title: Element,
    conflict_explain: Element,
}

impl View {
    /// Builds the frame of the form inside `root`.
    pub fn build(doc: &Document, root: &Element, texts: &Texts) -> Option<Self> {
        let form = el(
            doc,
            "form",
            &[("novalidate", ""), ("aria-busy", "true")],
            None,
        )?;
        let title = el(doc, "h2", &[("hidden", "")], None)?;
        let status = el(
            doc,
            "div",
            &[
                ("class", "status"),
                ("role", "status"),
                ("aria-live", "polite"),
            ],
            None,
        )?;
        let alert = el(
            doc,
            "div",
            &[("class", "alert"), ("role", "alert"), ("hidden", "")],
            None,
        )?;
        let fields = el(doc, "div", &[("class", "fields")], None)?;
        let conflict = el(
            doc,
            "section",
            &[
                ("class", "conflict"),
                ("hidden", ""),
                ("aria-labelledby", "conflict-title"),
            ],
            None,
        )?;
        let conflict_title = el(doc, "h3", &[("id", "conflict-title")], None)?;
        let conflict_explain = el(doc, "p", &[], None)?;
        let conflict_list = el(doc, "ul", &[], None)?;
        let button = |action: &str, kind: &str, hidden: bool| {
            let b = el(
                doc,
                "button",
                &[("type", kind), ("data-action", action)],
                None,
            )?;
            if hidden {
                show(&b, false);
            }
            Some(b)
        };
        let keep = button("keep-mine", "button", false)?;
        let take = button("take-theirs", "button", false)?;
        append(
            &conflict,
            &[
                &conflict_title,
                &conflict_explain,
                &conflict_list,
                &keep,
                &take,
            ],
        );
        let actions = el(doc, "div", &[("class", "actions")], None)?;
        let submit = button("save", "submit", false)?;
        let sign_in = button("sign-in", "button", true)?;
        let retry = button("retry", "button", true)?;
        append(&actions, &[&submit, &sign_in, &retry]);
        append(
            &form,
            &[&title, &status, &alert, &fields, &conflict, &actions],
        );
        let _ = root.append_child(&form);
        let view = Self {
            form,
            title,
            fields,
            status,
            alert,
            submit,
            conflict,
            conflict_list,
            sign_in,
            retry,
            keep,
            take,
            conflict_title,
            conflict_explain,
        };
        view.label(texts);
        Some(view)
    }

    /// Writes the fixed texts (again, when the locale or a text changes).
    pub fn label(&self, texts: &Texts) {
        for (e, key) in [
            (&self.submit, TextKey::Save),
            (&self.sign_in, TextKey::SignIn),
            (&self.retry, TextKey::Retry),
            (&self.keep, TextKey::KeepMine),
            (&self.take, TextKey::TakeTheirs),
            (&self.conflict_title, TextKey::ConflictTitle),
            (&self.conflict_explain, TextKey::ConflictExplain),
        ] {
            e.set_text_content(Some(texts.get(key)));
        }
    }

    /// Renders one control per field, replacing any earlier ones.
    pub fn render_fields(&self, doc: &Document, fields: &[Field]) -> Option<()> {
        self.fields.replace_children_with_node_0();
        for (i, field) in fields.iter().enumerate() {
            let wrap = field_element(doc, i, field)?;
            let _ = self.fields.append_child(&wrap);
        }
        Some(())
    }
}

fn field_element(doc: &Document, i: usize, field: &Field) -> Option<Element> {
    let id = ["f", &i.to_string()].concat();
    let help_id = [id.as_str(), "-help"].concat();
    let error_id = [id.as_str(), "-error"].concat();
    let wrap = el(
        doc,
        "div",
        &[("class", "field"), ("data-field", &field.name)],
        None,
    )?;
    let label = el(doc, "label", &[("for", &id)], Some(&field.label))?;
    if field.required {
        let mark = el(
            doc,
            "span",
            &[("class", "required"), ("aria-hidden", "true")],
            Some(" *"),
        )?;
        let _ = label.append_child(&mark);
    }
    let control = control(doc, field)?;
    let _ = control.set_attribute("id", &id);
    let _ = control.set_attribute("name", &field.name);
    let _ = control.set_attribute("aria-invalid", "false");
    if field.required {
        let _ = control.set_attribute("required", "");
        let _ = control.set_attribute("aria-required", "true");
    }
    let help = match &field.help {
        Some(h) => Some(el(
            doc,
            "div",
            &[("id", &help_id), ("class", "help")],
            Some(h),
        )?),
        None => None,
    };
    let described = if help.is_some() {
        [help_id.as_str(), " ", error_id.as_str()].concat()
    } else {
        error_id.clone()
    };
    let _ = control.set_attribute("aria-describedby", &described);
    let error = el(
        doc,
        "div",
        &[("id", &error_id), ("class", "error"), ("hidden", "")],
        None,
    )?;
    if field.kind == FieldType::Boolean {
        let _ = wrap.set_attribute("class", "field checkbox");
        append(&wrap, &[&control, &label]);
    } else {
        append(&wrap, &[&label, &control]);
    }
    if let Some(h) = help {
        let _ = wrap.append_child(&h);
    }
    let _ = wrap.append_child(&error);
    Some(wrap)
}

fn control(doc: &Document, field: &Field) -> Option<Element> {
    if field.kind == FieldType::Enum {
        let options = field.options.as_deref().unwrap_or_default();
        let select = el(doc, "select", &[], None)?;
        let blank = el(doc, "option", &[("value", "")], Some("—"))?;
        let _ = select.append_child(&blank);
        for o in options {
            let opt = el(doc, "option", &[("value", o)], Some(o))?;
            let _ = select.append_child(&opt);
        }
        return Some(select);
    }
    let ty = match field.kind {
        FieldType::Number => "number",
        FieldType::Boolean => "checkbox",
        FieldType::Date => "date",
        FieldType::String | FieldType::Enum => "text",
    };
    let input = el(doc, "input", &[("type", ty)], None)?;
    let set = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = input.set_attribute(name, &v);
        }
    };
    set("min", field.min.as_ref().map(|b| b.text().to_owned()));
    set("max", field.max.as_ref().map(|b| b.text().to_owned()));
    if field.kind == FieldType::Number {
        set("step", Some(if field.integer { "1" } else { "any" }.into()));
    }
    set("minlength", field.min_length.map(|n| n.to_string()));
    set("maxlength", field.max_length.map(|n| n.to_string()));
    set("pattern", field.pattern.clone());
    Some(input)
}

/// The text shown for a record value in the conflict list.
pub fn display(v: &wasm_bindgen::JsValue, texts: &Texts) -> String {
    if v.is_undefined() || v.is_null() {
        return texts.get(TextKey::Empty).to_owned();
    }
    v.as_string()
        .or_else(|| {
            v.as_bool().map(|b| {
                texts
                    .get(if b { TextKey::Yes } else { TextKey::No })
                    .to_owned()
            })
        })
        .or_else(|| js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string()))
        .unwrap_or_default()
}
