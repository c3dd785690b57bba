//! Two small browser helpers both wasm crates use.

use crate::wait;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::JsValue;

/// Resolves after `ms`.
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wait(&promise).await;
}

/// A plain object with these properties.
pub fn object(properties: &[(&str, &JsValue)]) -> Object {
    let o = Object::new();
    for (name, value) in properties {
        let _ = Reflect::set(&o, &JsValue::from_str(name), value);
    }
    o
}
