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
