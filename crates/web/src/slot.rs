//! A value delivered once and awaited by any number of clones.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

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

/// A value delivered once to one waiter, which takes it: no `Clone` needed, and
/// nothing is copied (an RPC answer, say).
#[derive(Debug)]
pub struct Oneshot<T>(Rc<RefCell<OneshotState<T>>>);

#[derive(Debug)]
struct OneshotState<T> {
    value: Option<T>,
    filled: bool,
    waker: Option<Waker>,
}

impl<T> Clone for Oneshot<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Default for Oneshot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Oneshot<T> {
    /// An empty one.
    pub fn new() -> Self {
        Self(Rc::new(RefCell::new(OneshotState {
            value: None,
            filled: false,
            waker: None,
        })))
    }

    /// Delivers `value` (the first delivery wins) and wakes the waiter.
    pub fn fill(&self, value: T) {
        let waker = {
            let mut state = self.0.borrow_mut();
            if std::mem::replace(&mut state.filled, true) {
                return;
            }
            state.value = Some(value);
            state.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Ready once filled; the value goes to the first poll that finds it (one waiter).
impl<T> Future for Oneshot<T> {
    type Output = Option<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.0.borrow_mut();
        if state.filled {
            return Poll::Ready(state.value.take());
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
