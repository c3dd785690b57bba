//! What the Crosspass hub and SDK share in the browser: a single-threaded task
//! executor ([`spawn`]), futures and promises in both directions ([`wait`],
//! [`promise`]) and one-shot values: [`Slot`] for many waiters, [`Oneshot`] for one.
//!
//! The executor stands in for wasm-bindgen-futures' runtime, whose queue, task and
//! promise adapters cost each bundle about 4 KB of wasm; this one is a slab of boxed
//! futures polled in a microtask once woken.
#![deny(missing_docs)]
#![warn(clippy::indexing_slicing)]

mod slot;
mod task;

pub use slot::{Oneshot, Slot};
pub use task::{promise, spawn, wait};
