//! Timers: one type, [`Timeout`], that clears its `setTimeout` when dropped, and the
//! futures built on it.

use crate::Oneshot;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

/// A `setTimeout` whose callback runs once after the delay, unless the value is
/// dropped first: dropping it clears the timer and frees the callback. (gloo-timers'
/// type, so that every timer of the project is this one.)
pub use gloo_timers::callback::Timeout;

/// Ready `ms` milliseconds after [`sleep`] was called; dropping it clears the timer.
#[derive(Debug)]
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    done: Oneshot<()>,
    _timer: Timeout,
}

/// Resolves after `ms`.
pub fn sleep(ms: u32) -> Sleep {
    let done = Oneshot::new();
    let fire = done.clone();
    Sleep {
        _timer: Timeout::new(ms, move || fire.fill(())),
        done,
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.done).poll(cx).map(|_| ())
    }
}

/// `future`'s output, or `None` once `ms` have passed without it. The loser is
/// dropped: the timer is cleared when `future` wins, and `future` is cancelled when
/// the time runs out (for a promise, pass [`wait`](crate::wait)`(&promise)`).
pub async fn with_timeout<F: Future>(future: F, ms: u32) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut deadline = sleep(ms);
    // A select of two: the future first, so that one ready in the same turn as the
    // deadline still wins.
    poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(Some(output)),
        Poll::Pending => Pin::new(&mut deadline).poll(cx).map(|()| None),
    })
    .await
}
