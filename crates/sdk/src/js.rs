//! Small browser helpers: numbers as text, and cancellable timers.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A number as JavaScript writes it (`String(n)`): the browser already has the
/// float formatting that Rust would otherwise add to the bundle.
pub fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// A pending `setTimeout`. Dropping it cancels the timer and frees the callback with
/// everything it holds (a callback that never ran would otherwise stay in memory).
#[derive(Debug)]
#[must_use = "dropping the timer cancels it"]
pub struct Timer {
    id: Option<i32>,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let (Some(id), Some(window)) = (self.id, web_sys::window()) {
            window.clear_timeout_with_handle(id);
        }
    }
}

/// Runs `f` after `ms`, unless the returned [`Timer`] is dropped first.
pub fn after(ms: i32, f: impl FnOnce() + 'static) -> Timer {
    let callback = Closure::once(f);
    let id = web_sys::window().and_then(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.as_ref().unchecked_ref(),
            ms,
        )
        .ok()
    });
    Timer {
        id,
        _callback: callback,
    }
}
