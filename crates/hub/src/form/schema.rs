//! Reading the tenant's form schema (the contract's type) and the API's answers
//! (record, 422 field errors, 412 conflicts) from parsed JSON.

use crosspass_protocol::form::MAX_FIELDS;
use crosspass_protocol::json::Json;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

pub use crosspass_protocol::form::{Field, FieldType, FormSchema};

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

/// The schema in the API's answer, read with the contract's codec: the server
/// checked it when it was set, so one the codec refuses is a failure, not a guess.
pub fn parse_schema(body: &JsValue) -> Option<FormSchema> {
    let text = JSON::stringify(body).ok()?.as_string()?;
    let mut schema = FormSchema::from_json(&text).ok()?;
    schema.fields.truncate(MAX_FIELDS);
    Some(schema)
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
