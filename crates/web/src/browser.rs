//! Small browser helpers both wasm crates use.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// A plain object with these properties.
pub fn object(properties: &[(&str, &JsValue)]) -> Object {
    let o = Object::new();
    for (name, value) in properties {
        let _ = Reflect::set(&o, &JsValue::from_str(name), value);
    }
    o
}

/// Keeps `value` until the page unloads: for what the page needs as long as it lives
/// (the listener of its window's messages, a button's click listener, an observer),
/// whose JS side must stay callable and which nothing owns. It is never dropped, so
/// this is a leak, and the only deliberate one: a closure made per call, message or
/// event must be owned by what uses it and dropped when done, never passed here.
pub fn for_page_lifetime<T: 'static>(value: T) {
    std::mem::forget(value);
}
