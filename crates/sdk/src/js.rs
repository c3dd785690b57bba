//! Small browser helpers: a clock, timers and a one-shot slot.

use js_sys::Promise;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A number as JavaScript writes it (`String(n)`): the browser already has the
/// float formatting that Rust would otherwise add to the bundle.
pub fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// Resolves after `ms`.
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
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

/// A value delivered once, awaited by any number of clones.
#[derive(Debug)]
pub struct Slot<T>(Rc<RefCell<SlotState<T>>>);

#[derive(Debug)]
struct SlotState<T> {
    value: Option<T>,
    wakers: Vec<Waker>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Clone> Default for Slot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Slot<T> {
    /// An empty slot.
    pub fn new() -> Self {
        Self(Rc::new(RefCell::new(SlotState {
            value: None,
            wakers: Vec::new(),
        })))
    }

    /// Delivers `value` (the first delivery wins) and wakes every waiter.
    pub fn fill(&self, value: T) {
        let wakers = {
            let mut state = self.0.borrow_mut();
            if state.value.is_some() {
                return;
            }
            state.value = Some(value);
            std::mem::take(&mut state.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }
}

impl<T: Clone> Future for Slot<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.0.borrow_mut();
        match &state.value {
            Some(v) => Poll::Ready(v.clone()),
            None => {
                state.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
