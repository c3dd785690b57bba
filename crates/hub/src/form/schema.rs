//! Reading the API's answers with the contract's types: the tenant's form schema, a
//! record with its version, and the error body of a 422 (messages per field) or a 412
//! (the current record). The server writes each with the same codec.

use crosspass_protocol::form::{VersionedRecord, MAX_FIELDS};
use crosspass_protocol::json::Json;
use crosspass_protocol::oauth::ErrorBody;
use js_sys::{Reflect, JSON};
use wasm_bindgen::JsValue;

pub use crosspass_protocol::form::{Field, FieldType, FormSchema};

pub(super) fn get(v: &JsValue, key: &str) -> JsValue {
    if v.is_object() {
        Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// The schema in the API's answer: the server checked it when it was set, so one the
/// codec refuses is a failure, not a guess.
pub fn parse_schema(body: &str) -> Option<FormSchema> {
    let mut schema = FormSchema::from_json(body).ok()?;
    schema.fields.truncate(MAX_FIELDS);
    Some(schema)
}

/// A record's values as the form's controls take them (a JS object), if `record`
/// holds an object.
fn values(record: &VersionedRecord) -> Option<JsValue> {
    record.data.as_object()?;
    JSON::parse(&record.data.to_json()).ok()
}

/// The record in a `GET` or `PUT` answer.
pub fn record_of(body: &str) -> Option<JsValue> {
    values(&VersionedRecord::from_json(body).ok()?)
}

/// Per-field messages of a 422 body.
pub fn field_errors(body: &str) -> Vec<(String, String)> {
    ErrorBody::from_json(body)
        .ok()
        .and_then(|b| b.fields)
        .map(|f| f.0)
        .unwrap_or_default()
}

/// The current record of a 412 body, and its ETag.
pub fn conflict(body: &str) -> (Option<JsValue>, Option<String>) {
    match ErrorBody::from_json(body) {
        Ok(b) => (b.current.as_ref().and_then(values), b.etag),
        Err(_) => (None, None),
    }
}
