//! The controls: filling them from a record, reading their values back, and showing
//! per-field errors.

use super::schema::{get, FieldType};
use super::view::show;
use super::{FieldErrors, Form, Values};
use crosspass_protocol::texts::TextKey;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement};

impl Form {
    fn control(&self, index: usize) -> Option<Element> {
        self.doc
            .get_element_by_id(&["f", &index.to_string()].concat())
    }

    /// Puts `record`'s values in the controls.
    pub(super) fn fill(&self, record: &JsValue) {
        for (i, field) in self.fields.borrow().iter().enumerate() {
            let Some(control) = self.control(i) else {
                continue;
            };
            let value = get(record, &field.name);
            match field.kind {
                FieldType::Boolean => {
                    if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
                        input.set_checked(value.as_bool().unwrap_or(false));
                    }
                }
                FieldType::Enum => {
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
    pub(super) fn values(&self) -> Result<Values, FieldErrors> {
        let mut values = Vec::new();
        let mut problems = Vec::new();
        for (i, field) in self.fields.borrow().iter().enumerate() {
            let Some(control) = self.control(i) else {
                continue;
            };
            let value: JsValue = match field.kind {
                FieldType::Boolean => control
                    .dyn_ref::<HtmlInputElement>()
                    .map(|c| c.checked())
                    .unwrap_or(false)
                    .into(),
                FieldType::Enum => {
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
                    } else if kind == FieldType::Number {
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

    pub(super) fn show_errors(&self, errors: &[(String, String)]) {
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
    pub(super) fn merged(&self, values: &[(String, JsValue)]) -> JsValue {
        let out = Object::new();
        if let Some(o) = self.record.borrow().dyn_ref::<Object>() {
            Object::assign(&out, o);
        }
        for (name, value) in values {
            let _ = Reflect::set(&out, &name.into(), value);
        }
        out.into()
    }
}
