//! The executor, promise adapters and slots in a real browser.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosspass_web::{promise, sleep, spawn, wait, with_timeout, Oneshot, Slot, Timeout};
use js_sys::{Function, Promise, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn wait_gives_the_value_or_the_rejection() {
    let ok = wait(&Promise::resolve(&JsValue::from(7))).await;
    assert_eq!(ok.unwrap().as_f64(), Some(7.0));
    let err = wait(&Promise::reject(&JsValue::from("no"))).await;
    assert_eq!(err.unwrap_err().as_string().as_deref(), Some("no"));
}

#[wasm_bindgen_test]
async fn promise_settles_with_the_future() {
    let fulfilled = promise(async {
        sleep(1).await;
        Ok(JsValue::from("done"))
    });
    assert_eq!(
        wait(&fulfilled).await.unwrap().as_string().as_deref(),
        Some("done")
    );
    let rejected = promise(async { Err(JsValue::from("failed")) });
    assert_eq!(
        wait(&rejected).await.unwrap_err().as_string().as_deref(),
        Some("failed")
    );
}

#[wasm_bindgen_test]
async fn spawned_tasks_run_in_order_and_may_spawn_more() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let done: Slot<()> = Slot::new();
    for i in 0..3 {
        let log = log.clone();
        spawn(async move { log.borrow_mut().push(i) });
    }
    {
        let (log, done) = (log.clone(), done.clone());
        // A task that spawns while it runs: the new task must not take its place.
        spawn(async move {
            let inner_log = log.clone();
            let inner_done = done.clone();
            spawn(async move {
                inner_log.borrow_mut().push(10);
                inner_done.fill(());
            });
            sleep(5).await;
            log.borrow_mut().push(4);
        });
    }
    done.await;
    sleep(20).await;
    assert_eq!(*log.borrow(), vec![0, 1, 2, 10, 4]);
}

#[wasm_bindgen_test]
async fn a_slot_wakes_every_waiter_with_the_first_value() {
    let slot: Slot<u32> = Slot::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    for _ in 0..3 {
        let (slot, seen) = (slot.clone(), seen.clone());
        spawn(async move {
            let value = slot.await;
            seen.borrow_mut().push(value);
        });
    }
    sleep(1).await;
    assert!(seen.borrow().is_empty());
    slot.fill(5);
    slot.fill(6);
    sleep(1).await;
    assert_eq!(*seen.borrow(), vec![5, 5, 5]);
    assert_eq!(slot.clone().await, 5);
}

/// Fills a slot when dropped.
struct FillOnDrop(Slot<()>);

impl Drop for FillOnDrop {
    fn drop(&mut self) {
        self.0.fill(());
    }
}

#[wasm_bindgen_test]
async fn a_finished_task_may_wake_others_as_it_is_dropped() {
    let slot: Slot<()> = Slot::new();
    let done: Slot<()> = Slot::new();
    {
        let (slot, done) = (slot.clone(), done.clone());
        spawn(async move {
            slot.await;
            done.fill(());
        });
    }
    let guard = FillOnDrop(slot);
    spawn(async move {
        let _guard = guard;
        sleep(1).await;
    });
    // The waiter is woken by the first task's drop, inside the executor's loop.
    done.await;
}

#[wasm_bindgen_test]
async fn a_oneshot_hands_its_value_over_once() {
    let shot: Oneshot<Vec<u8>> = Oneshot::new();
    let filler = shot.clone();
    spawn(async move {
        sleep(1).await;
        filler.fill(vec![1, 2]);
        filler.fill(vec![3]);
    });
    let mut waiter = shot.clone();
    assert_eq!((&mut waiter).await, Some(vec![1, 2]));
    // Taken: a second await finds nothing rather than a copy.
    assert_eq!(waiter.await, None);
}

#[wasm_bindgen_test]
async fn a_dropped_timeout_never_fires() {
    let fired = Rc::new(Cell::new(0));
    let (kept, dropped) = (fired.clone(), fired.clone());
    let _kept = Timeout::new(1, move || kept.set(kept.get() + 1));
    drop(Timeout::new(1, move || dropped.set(dropped.get() + 10)));
    sleep(20).await;
    assert_eq!(fired.get(), 1);
}

#[wasm_bindgen_test]
async fn with_timeout_gives_the_output_or_none() {
    assert_eq!(with_timeout(async { 7 }, 1_000).await, Some(7));
    let slow = Oneshot::<u8>::new();
    assert_eq!(with_timeout(slow, 5).await, None);
    let ok = with_timeout(wait(&Promise::resolve(&JsValue::from(1))), 1_000).await;
    assert_eq!(ok.and_then(Result::ok).and_then(|v| v.as_f64()), Some(1.0));
}

#[wasm_bindgen_test]
async fn a_wait_cancelled_before_its_promise_settles_leaves_nothing_to_throw() {
    let global = js_sys::global();
    let rejections = Rc::new(Cell::new(0));
    let counter = rejections.clone();
    let on_rejection: Closure<dyn FnMut(JsValue)> =
        Closure::new(move |_| counter.set(counter.get() + 1));
    let add = Reflect::get(&global, &"addEventListener".into()).unwrap();
    let add: &Function = add.unchecked_ref();
    add.call2(&global, &"unhandledrejection".into(), on_rejection.as_ref())
        .unwrap();
    let mut settle = None;
    let pending = Promise::new(&mut |resolve, _| settle = Some(resolve));
    assert!(with_timeout(wait(&pending), 1).await.is_none());
    // The promise calls the callbacks of a wait that is gone.
    settle
        .unwrap()
        .call1(&JsValue::UNDEFINED, &JsValue::from(1))
        .unwrap();
    sleep(20).await;
    let remove = Reflect::get(&global, &"removeEventListener".into()).unwrap();
    let remove: &Function = remove.unchecked_ref();
    remove
        .call2(&global, &"unhandledrejection".into(), on_rejection.as_ref())
        .unwrap();
    assert_eq!(rejections.get(), 0);
}
