//! What the Crosspass hub and SDK share in the browser: a single-threaded task
//! executor ([`spawn`]), futures and promises in both directions ([`wait`],
//! [`promise`]), one-shot values ([`Slot`] for many waiters, [`Oneshot`] for one),
//! timers that clear themselves when dropped ([`Timeout`], [`sleep`],
//! [`with_timeout`]), plain objects ([`object`]), the one helper for what lives as long
//! as the page ([`for_page_lifetime`]), and the global allocator on wasm32.
//!
//! The executor stands in for wasm-bindgen-futures' runtime, whose queue, task and
//! promise adapters cost each bundle about 4 KB of wasm; this one is a slab of boxed
//! futures polled in a microtask once woken.
#![deny(missing_docs)]
#![warn(clippy::indexing_slicing)]

mod browser;
mod slot;
mod task;
mod timer;

pub use browser::{for_page_lifetime, object};
pub use slot::{Oneshot, Slot};
pub use task::{promise, spawn, wait};
pub use timer::{sleep, with_timeout, Sleep, Timeout};

/// The browser bundles' allocator: first fit over an address-ordered free list that
/// merges neighbours, which suits their few small, short-lived allocations. Here
/// because a program has one global allocator and every wasm program of the project
/// links this crate (the hub's three pages and both crates' wasm tests).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
