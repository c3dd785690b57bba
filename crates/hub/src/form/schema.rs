//! Reading the tenant's form schema and the API's answers (record, 422 field errors,
//! 412 conflicts) from parsed JSON. Lenient about shape, strict about types: a field
//! that cannot be understood is skipped rather than guessed at.

use crosspass_protocol::form::MAX_FIELDS;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// What a field holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Free text.
    Text,
    /// A number (`integer` too).
    Number,
    /// A checkbox.
    Boolean,
    /// One of the listed strings.
    Choice(Vec<String>),
    /// `YYYY-MM-DD`.
    Date,
}

/// One form field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Member name in the record.
    pub name: String,
    /// What it holds.
    pub kind: Kind,
    /// Label shown to the user.
    pub label: String,
    /// Help text.
    pub help: Option<String>,
    /// Must be filled in.
    pub required: bool,
    /// Smallest number or earliest date, as the control's `min` attribute.
    pub min: Option<String>,
    /// Largest number or latest date, as the control's `max` attribute.
    pub max: Option<String>,
    /// Whole numbers only.
    pub integer: bool,
    /// Shortest text.
    pub min_length: Option<u32>,
    /// Longest text.
    pub max_length: Option<u32>,
    /// Regular expression text must match (checked by the browser and the server).
    pub pattern: Option<String>,
}

pub(super) fn get(v: &JsValue, key: &str) -> JsValue {
    if v.is_object() {
        Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn string(v: &JsValue, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| get(v, k).as_string())
}

fn number(v: &JsValue, keys: &[&str]) -> Option<f64> {
    keys.iter()
        .find_map(|k| get(v, k).as_f64())
        .filter(|n| n.is_finite())
}

/// A bound as attribute text: a number, or a date string.
fn bound(v: &JsValue, keys: &[&str]) -> Option<String> {
    number(v, keys)
        .map(crate::js::number_text)
        .or_else(|| string(v, keys))
}

fn length(v: &JsValue, keys: &[&str]) -> Option<u32> {
    number(v, keys)
        .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX))
        .map(|n| n as u32)
}

/// The schema's heading, if it has one.
pub fn title(schema: &JsValue) -> Option<String> {
    string(schema, &["title"])
}

/// The record in an API answer: the `data` member of `{data, version}`, or the
/// answer itself when it is a plain object.
pub fn record_of(body: &JsValue) -> Option<JsValue> {
    let plain = |v: &JsValue| v.is_object() && !Array::is_array(v);
    let data = get(body, "data");
    if plain(&data) {
        Some(data)
    } else if plain(body) {
        Some(body.clone())
    } else {
        None
    }
}

fn strings(v: &JsValue) -> Option<Vec<String>> {
    v.dyn_ref::<Array>()
        .map(|a| a.iter().filter_map(|s| s.as_string()).collect())
}

/// Parses `{fields: [...]}`, a bare array of fields, or a JSON-Schema-like
/// `{properties: {...}, required: [...]}`.
pub fn parse_schema(schema: &JsValue) -> Vec<Field> {
    let required_list = strings(&get(schema, "required")).unwrap_or_default();
    let mut fields = Vec::new();
    let list = get(schema, "fields");
    let list = if Array::is_array(&list) {
        list
    } else {
        schema.clone()
    };
    if let Some(array) = list.dyn_ref::<Array>() {
        for item in array.iter() {
            if let Some(name) = string(&item, &["name", "key", "id"]) {
                fields.extend(parse_field(name, &item, false));
            }
        }
    } else {
        let properties = get(schema, "properties");
        if let Some(props) = properties.dyn_ref::<Object>() {
            for entry in Object::entries(props).iter() {
                let pair: Array = entry.unchecked_into();
                if let Some(name) = pair.get(0).as_string() {
                    let required = required_list.contains(&name);
                    fields.extend(parse_field(name, &pair.get(1), required));
                }
            }
        }
    }
    fields.truncate(MAX_FIELDS);
    fields
}

fn parse_field(name: String, v: &JsValue, required_by_parent: bool) -> Option<Field> {
    if name.is_empty() || name.len() > 128 {
        return None;
    }
    let ty = string(v, &["type"]).unwrap_or_else(|| "string".into());
    let choices = strings(&get(v, "options"))
        .or_else(|| strings(&get(v, "enum")))
        .or_else(|| strings(&get(v, "choices")));
    let format = string(v, &["format"]);
    let kind = match (ty.as_str(), choices) {
        ("enum" | "string" | "select", Some(c)) if !c.is_empty() => Kind::Choice(c),
        ("enum" | "select", _) => return None,
        ("number" | "integer", _) => Kind::Number,
        ("boolean" | "bool", _) => Kind::Boolean,
        ("date", _) => Kind::Date,
        ("string", _) if format.as_deref() == Some("date") => Kind::Date,
        ("string" | "text", _) => Kind::Text,
        _ => return None,
    };
    Some(Field {
        label: string(v, &["label", "title"]).unwrap_or_else(|| name.clone()),
        help: string(v, &["help", "help_text", "description"]),
        required: required_by_parent || get(v, "required").as_bool().unwrap_or(false),
        min: bound(v, &["min", "minimum"]),
        max: bound(v, &["max", "maximum"]),
        integer: ty == "integer" || get(v, "integer").as_bool().unwrap_or(false),
        min_length: length(v, &["min_length", "minLength"]),
        max_length: length(v, &["max_length", "maxLength"]),
        pattern: string(v, &["pattern"]),
        name,
        kind,
    })
}

/// Per-field messages of a 422 body: `{errors|fields|field_errors: {name: msg | [msg]}}`
/// or `{errors: [{field|name|path, message}]}`.
pub fn field_errors(body: &JsValue) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in ["errors", "fields", "field_errors", "details"] {
        let v = get(body, key);
        if let Some(array) = v.dyn_ref::<Array>() {
            for item in array.iter() {
                let field = string(&item, &["field", "name", "path", "pointer"])
                    .map(|f| f.trim_start_matches('/').to_owned());
                let message = string(&item, &["message", "error", "detail"]);
                if let (Some(f), Some(m)) = (field, message) {
                    out.push((f, m));
                }
            }
        } else if let Some(map) = v.dyn_ref::<Object>() {
            for entry in Object::entries(map).iter() {
                let pair: Array = entry.unchecked_into();
                let message = pair.get(1).as_string().or_else(|| {
                    pair.get(1)
                        .dyn_ref::<Array>()
                        .and_then(|a| a.get(0).as_string())
                });
                if let (Some(f), Some(m)) = (pair.get(0).as_string(), message) {
                    out.push((f, m));
                }
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

/// The current server record in a 412 body: `current` (itself `{data, version}` or
/// the record), `record` or `data`, else the body itself when it is a plain record.
pub fn conflict_record(body: &JsValue) -> Option<JsValue> {
    ["current", "record", "data", "server"]
        .iter()
        .map(|k| get(body, k))
        .find(|v| v.is_object() && !Array::is_array(v))
        .and_then(|v| record_of(&v))
        .or_else(|| {
            (body.is_object() && !Array::is_array(body) && get(body, "error").is_undefined())
                .then(|| body.clone())
        })
}

/// The ETag in a 412 body, when the server puts it there.
pub fn conflict_etag(body: &JsValue) -> Option<String> {
    string(body, &["etag", "version"])
}
