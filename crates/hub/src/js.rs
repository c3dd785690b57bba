//! Small browser helpers: a clock, timeouts and a one-shot slot.

use js_sys::{Array, Promise};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

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

/// Resolves after `ms`.
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Awaits `promise`, failing after `ms`.
pub async fn with_timeout(promise: Promise, ms: i32) -> Result<JsValue, JsValue> {
    let race = Promise::race(&Array::of2(&promise, &reject_after(ms)));
    JsFuture::from(race).await
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
