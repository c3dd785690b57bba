//! Small browser helpers: a clock and timeouts.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

/// Unix seconds from the browser clock.
pub fn now_secs() -> i64 {
    // Whole seconds of a millisecond clock fit an i64 for the next 290 million years.
    (js_sys::Date::now() / 1000.0) as i64
}

/// A promise that rejects after `ms`.
fn reject_after(ms: i32) -> Promise {
    Promise::new(&mut |_resolve, reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&reject, ms);
        }
    })
}

/// Awaits `promise`, failing after `ms`.
pub async fn with_timeout(promise: Promise, ms: i32) -> Result<JsValue, JsValue> {
    let race = Promise::race(&Array::of2(&promise, &reject_after(ms)));
    crosspass_web::wait(&race).await
}

/// A number as JavaScript writes it (`12`, `1.5`, `1e21`).
pub fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}
