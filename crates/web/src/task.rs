//! A single-threaded executor: spawned futures live in a slab and are polled in a
//! microtask after something wakes them.

use crate::Slot;
use js_sys::{Function, Promise};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

type Task = Pin<Box<dyn Future<Output = ()>>>;

/// A place in the slab.
enum Entry {
    /// Free for the next spawn.
    Free,
    /// Being polled (out of the slab, so that it can spawn and wake freely).
    Running,
    /// Waiting to be woken.
    Parked(Task),
}

struct Executor {
    /// Spawned tasks by id; a finished task's place is reused by the next spawn.
    tasks: Vec<Entry>,
    /// Ids woken since the last run, in order.
    woken: Vec<usize>,
    /// The microtask that runs them, once made.
    run: Option<Function>,
    /// True while a run is queued.
    queued: bool,
}

thread_local! {
    // `const`: no lazy initialisation code.
    static EXECUTOR: RefCell<Executor> = const {
        RefCell::new(Executor {
            tasks: Vec::new(),
            woken: Vec::new(),
            run: None,
            queued: false,
        })
    };
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(f: &Function);
}

/// Wakes a task by id. A waker that outlives its task may wake the task that reuses
/// the id: a spurious poll, which every future tolerates.
struct TaskWaker(usize);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        wake(self.0);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        wake(self.0);
    }
}

fn wake(id: usize) {
    let run = EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        e.woken.push(id);
        if std::mem::replace(&mut e.queued, true) {
            return None;
        }
        let run = e
            .run
            .get_or_insert_with(|| {
                Closure::<dyn FnMut()>::new(run_woken)
                    .into_js_value()
                    .unchecked_into()
            })
            .clone();
        Some(run)
    });
    if let Some(run) = run {
        queue_microtask(&run);
    }
}

/// Polls every woken task, including those woken meanwhile, until none is left.
fn run_woken() {
    loop {
        let woken = EXECUTOR.with(|e| {
            let mut e = e.borrow_mut();
            let woken = std::mem::take(&mut e.woken);
            if woken.is_empty() {
                e.queued = false;
            }
            woken
        });
        if woken.is_empty() {
            return;
        }
        for id in woken {
            let task = EXECUTOR.with(|e| match e.borrow_mut().tasks.get_mut(id) {
                Some(entry @ Entry::Parked(_)) => match std::mem::replace(entry, Entry::Running) {
                    Entry::Parked(task) => Some(task),
                    _ => None,
                },
                _ => None,
            });
            let Some(mut task) = task else {
                continue;
            };
            let waker = Waker::from(Arc::new(TaskWaker(id)));
            let pending = task
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending();
            let finished = EXECUTOR.with(|e| match e.borrow_mut().tasks.get_mut(id) {
                Some(entry) if pending => {
                    *entry = Entry::Parked(task);
                    None
                }
                Some(entry) => {
                    *entry = Entry::Free;
                    Some(task)
                }
                None => Some(task),
            });
            // Dropped outside the borrow: what it owns may wake or spawn as it goes.
            drop(finished);
        }
    }
}

/// Runs `future` to completion, first polled in a microtask.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    let task: Task = Box::pin(future);
    let id = EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        match e.tasks.iter().position(|t| matches!(t, Entry::Free)) {
            Some(id) => {
                if let Some(entry) = e.tasks.get_mut(id) {
                    *entry = Entry::Parked(task);
                }
                id
            }
            None => {
                e.tasks.push(Entry::Parked(task));
                e.tasks.len() - 1
            }
        }
    });
    wake(id);
}

/// A promise settled by `future`: fulfilled with its `Ok`, rejected with its `Err`.
pub fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let mut settle = None;
    let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    if let Some((resolve, reject)) = settle {
        spawn(async move {
            let _ = match future.await {
                Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
                Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
            };
        });
    }
    promise
}

/// The outcome of `promise`: its value, or what it was rejected with. Dropping the
/// future before the promise settles (a timeout, say) is safe.
pub async fn wait(promise: &Promise) -> Result<JsValue, JsValue> {
    let slot = Slot::new();
    // Both are the same closure type, bound once.
    let mut callbacks = Callbacks(Some((settle(&slot, true), settle(&slot, false))));
    if let Some((ok, err)) = &callbacks.0 {
        let _ = promise.then2(ok, err);
    }
    let outcome = slot.await;
    // Settled: the promise calls neither again, so they are freed at once.
    callbacks.0 = None;
    outcome
}

type Settle = Closure<dyn FnMut(JsValue)>;

/// The callbacks [`wait`] gives the promise, owned by the wait.
struct Callbacks(Option<(Settle, Settle)>);

impl Drop for Callbacks {
    fn drop(&mut self) {
        if let Some((ok, err)) = self.0.take() {
            // The promise may not have settled (the wait was cancelled) and may still
            // call them: a dropped closure would throw there. The JS garbage collector
            // takes them instead, and frees them with the promise's reactions.
            drop((ok.into_js_value(), err.into_js_value()));
        }
    }
}

fn settle(slot: &Slot<Result<JsValue, JsValue>>, ok: bool) -> Settle {
    let slot = slot.clone();
    Closure::new(move |v| slot.fill(if ok { Ok(v) } else { Err(v) }))
}
