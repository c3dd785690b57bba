//! The storage ladder (SSO across a tenant's sites, docs/design.md): which storage the hub can use, best first,
//! and how it climbs when the page asks. The decisions are plain functions of what the
//! browser reported, so they are tested without a browser; the probes are thin.

use crosspass_protocol::rpc::{StorageRung, StorageStatus};
use crosspass_web::{wait, with_timeout};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `Document` with the Storage Access API, which web-sys does not bind yet.
    type AccessDocument;
    #[wasm_bindgen(method, catch, js_name = hasStorageAccess)]
    fn has_storage_access(this: &AccessDocument) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = requestStorageAccess)]
    fn request_storage_access(this: &AccessDocument, types: &JsValue) -> Result<Promise, JsValue>;
}

/// How long a probe of the Storage Access API may take before the hub moves on (a
/// request nobody can answer stays pending forever).
const PROBE_TIMEOUT_MS: u32 = 1_500;

/// What the browser reported when the hub started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Probe {
    /// The hub page is the top-level document (opened directly, never partitioned).
    pub top_level: bool,
    /// `document.requestStorageAccess` exists.
    pub access_api: bool,
    /// `document.hasStorageAccess()` resolved `true`.
    pub has_access: bool,
    /// The `storage-access` permission is already granted for this embedding.
    pub permission_granted: bool,
    /// `window.localStorage` exists and accepts writes.
    pub local_storage: bool,
}

/// Where to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartPlan {
    /// `window.localStorage` is first-party storage already.
    WindowStorage,
    /// Access was granted before: ask for the handle without a gesture.
    RequestHandle,
    /// Partitioned `window.localStorage`.
    Partitioned,
    /// Nothing persists.
    Memory,
}

/// The first rung to try.
pub fn start_plan(p: &Probe) -> StartPlan {
    if p.top_level && p.local_storage {
        StartPlan::WindowStorage
    } else if p.access_api && (p.has_access || p.permission_granted) {
        StartPlan::RequestHandle
    } else {
        fallback_plan(p)
    }
}

/// Where to go when storage access cannot be had.
pub fn fallback_plan(p: &Probe) -> StartPlan {
    if p.local_storage {
        StartPlan::Partitioned
    } else {
        StartPlan::Memory
    }
}

/// What a click on the hub's button does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClickAction {
    /// `document.requestStorageAccess(…)`, which needs this very click.
    RequestAccess,
    /// Open the first-party popup (no API, or the user or browser refused access).
    OpenPopup,
}

/// The action for a click, given whether the API exists and was refused before.
pub fn click_action(access_api: bool, access_refused: bool) -> ClickAction {
    if access_api && !access_refused {
        ClickAction::RequestAccess
    } else {
        ClickAction::OpenPopup
    }
}

/// The status reported for `rung`: a better rung can be requested unless storage is
/// already first-party, or the popup already synced and no API can do better.
pub fn status(rung: StorageRung, access_api: bool) -> StorageStatus {
    let can_request = match rung {
        StorageRung::Unpartitioned | StorageRung::FirstPartyCookie => false,
        StorageRung::FirstPartyPopup => access_api,
        StorageRung::Partitioned | StorageRung::Memory => true,
    };
    StorageStatus { rung, can_request }
}

/// Asks the browser what it allows.
pub async fn probe() -> Probe {
    let Some(window) = web_sys::window() else {
        return Probe::default();
    };
    let top_level = window
        .top()
        .ok()
        .flatten()
        .is_some_and(|top| Object::is(&top, &window));
    let local_storage = window
        .local_storage()
        .ok()
        .flatten()
        .is_some_and(|s| crate::store::is_usable(&s));
    let Some(document) = window.document() else {
        return Probe {
            top_level,
            local_storage,
            ..Probe::default()
        };
    };
    let access_api = Reflect::has(&document, &"requestStorageAccess".into()).unwrap_or(false);
    let has_access = match document
        .unchecked_ref::<AccessDocument>()
        .has_storage_access()
    {
        Ok(p) => with_timeout(wait(&p), PROBE_TIMEOUT_MS)
            .await
            .and_then(Result::ok)
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    };
    let permission_granted = storage_access_permission(&window).await;
    Probe {
        top_level,
        access_api,
        has_access,
        permission_granted,
        local_storage,
    }
}

async fn storage_access_permission(window: &web_sys::Window) -> bool {
    let Ok(permissions) = Reflect::get(&window.navigator(), &"permissions".into()) else {
        return false;
    };
    let Ok(query) =
        Reflect::get(&permissions, &"query".into()).and_then(|q| q.dyn_into::<js_sys::Function>())
    else {
        return false;
    };
    let descriptor = crosspass_web::object(&[("name", &"storage-access".into())]);
    let Ok(promise) = query
        .call1(&permissions, &descriptor)
        .and_then(|p| p.dyn_into::<Promise>())
    else {
        return false;
    };
    with_timeout(wait(&promise), PROBE_TIMEOUT_MS)
        .await
        .and_then(Result::ok)
        .and_then(|status| Reflect::get(&status, &"state".into()).ok())
        .and_then(|state| state.as_string())
        .is_some_and(|state| state == "granted")
}

/// What `requestStorageAccess` gave.
#[derive(Debug)]
pub enum Access {
    /// Chrome's `StorageAccessHandle`: its `localStorage` is first-party storage.
    Handle(web_sys::Storage),
    /// No handle (Firefox, Safari): the grant unlocks the frame's cookies only, and its
    /// `localStorage` stays partitioned. The sign-in is shared through XYZ's
    /// first-party browser-session cookie instead.
    CookiesOnly,
}

/// Starts `document.requestStorageAccess({localStorage: true})`. Call it synchronously
/// inside a click handler (or when access is already granted). The handle's
/// `BroadcastChannel` is not asked for: Chromium 156's renderer crashes on it.
pub fn request_access() -> Option<Promise> {
    let document = web_sys::window()?.document()?;
    let types = crosspass_web::object(&[("localStorage", &JsValue::TRUE)]);
    document
        .unchecked_ref::<AccessDocument>()
        .request_storage_access(&types)
        .ok()
}

/// Waits for a request started by [`request_access`]; `None` when refused.
pub async fn finish_access(promise: Promise, timeout_ms: Option<u32>) -> Option<Access> {
    let handle = match timeout_ms {
        Some(ms) => with_timeout(wait(&promise), ms).await?,
        None => wait(&promise).await,
    }
    .ok()?;
    let from_handle = Reflect::get(&handle, &"localStorage".into())
        .ok()
        // The handle's `localStorage` is a Storage wherever it is an object; anything
        // else fails the probe below.
        .filter(JsValue::is_object)
        .map(JsCast::unchecked_into::<web_sys::Storage>);
    match from_handle {
        Some(storage) if crate::store::is_usable(&storage) => Some(Access::Handle(storage)),
        Some(_) => None,
        None => Some(Access::CookiesOnly),
    }
}

/// Asks for access without a gesture, for a browser that already granted it.
pub async fn reclaim_access() -> Option<Access> {
    finish_access(request_access()?, Some(PROBE_TIMEOUT_MS)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_uses_window_storage() {
        let p = Probe {
            top_level: true,
            local_storage: true,
            ..Probe::default()
        };
        assert_eq!(start_plan(&p), StartPlan::WindowStorage);
        let blocked = Probe {
            top_level: true,
            ..Probe::default()
        };
        assert_eq!(start_plan(&blocked), StartPlan::Memory);
    }

    #[test]
    fn granted_access_is_reclaimed_first() {
        let base = Probe {
            access_api: true,
            local_storage: true,
            ..Probe::default()
        };
        assert_eq!(start_plan(&base), StartPlan::Partitioned);
        let has = Probe {
            has_access: true,
            ..base
        };
        assert_eq!(start_plan(&has), StartPlan::RequestHandle);
        let granted = Probe {
            permission_granted: true,
            ..base
        };
        assert_eq!(start_plan(&granted), StartPlan::RequestHandle);
        let no_api = Probe {
            access_api: false,
            ..granted
        };
        assert_eq!(start_plan(&no_api), StartPlan::Partitioned);
    }

    #[test]
    fn without_storage_memory_is_last() {
        assert_eq!(start_plan(&Probe::default()), StartPlan::Memory);
        assert_eq!(fallback_plan(&Probe::default()), StartPlan::Memory);
    }

    #[test]
    fn clicks_try_access_then_popup() {
        assert_eq!(click_action(true, false), ClickAction::RequestAccess);
        assert_eq!(click_action(true, true), ClickAction::OpenPopup);
        assert_eq!(click_action(false, false), ClickAction::OpenPopup);
    }

    #[test]
    fn what_can_be_requested() {
        assert!(!status(StorageRung::Unpartitioned, true).can_request);
        assert!(!status(StorageRung::FirstPartyCookie, true).can_request);
        assert!(status(StorageRung::Partitioned, false).can_request);
        assert!(status(StorageRung::Memory, false).can_request);
        assert!(status(StorageRung::FirstPartyPopup, true).can_request);
        assert!(!status(StorageRung::FirstPartyPopup, false).can_request);
    }
}
