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
