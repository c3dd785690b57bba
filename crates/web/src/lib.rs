//! What the Crosspass hub and SDK share in the browser: a single-threaded task
//! executor ([`spawn`]), futures and promises in both directions ([`wait`],
//! [`promise`]), one-shot values ([`Slot`] for many waiters, [`Oneshot`] for one),
//! [`sleep`] and plain objects ([`object`]).
//!
//! The executor stands in for wasm-bindgen-futures' runtime, whose queue, task and
//! promise adapters cost each bundle about 4 KB of wasm; this one is a slab of boxed
//! futures polled in a microtask once woken.
#![deny(missing_docs)]
#![warn(clippy::indexing_slicing)]

mod browser;
mod slot;
mod task;

pub use browser::{object, sleep};
pub use slot::{Oneshot, Slot};
pub use task::{promise, spawn, wait};
