//! The Crosspass hub: the wasm module of XYZ's hub page (`/hub?client_id=…`), framed
//! by partner pages. It keeps XYZ tokens in XYZ's own storage, answers RPC only from
//! the client's registered origins over a private `MessagePort`, redeems partner
//! assertions at the token endpoint, and climbs the storage ladder on request.
//!
//! The page carries its configuration in `<script type="application/json"
//! id="hub-config">`; `hub.js` imports this module and calls [`start`] (or
//! `start_popup` on `/hub/popup`, in the build with the `popup-page` feature).
#![deny(missing_docs)]
#![warn(clippy::indexing_slicing)]

pub mod api;
pub mod config;
pub mod error;
#[cfg(feature = "form-page")]
pub mod form;
mod hub;
pub mod js;
pub mod ladder;
pub mod popup;
pub mod store;
pub mod token;

pub use config::HubConfig;
pub use error::HubError;
pub use hub::Hub;

use crosspass_protocol::text::Describe;
use wasm_bindgen::prelude::*;

fn read_config() -> Result<HubConfig, JsValue> {
    let text = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(config::CONFIG_ELEMENT_ID))
        .and_then(|e| e.text_content())
        .ok_or("the hub page has no configuration")?;
    HubConfig::from_json(&text)
        .map_err(|e| JsValue::from_str(&["invalid hub configuration: ", &e.text()].concat()))
}

/// Starts the hub on the hub page; resolves once it listens. (Not in the form page's
/// build, which would otherwise carry the whole hub.)
#[cfg(not(feature = "form-page"))]
#[wasm_bindgen]
pub fn start() -> js_sys::Promise {
    crosspass_web::promise(async { Hub::start(read_config()?).await.map(|_| JsValue::UNDEFINED) })
}

/// Starts the form frame on `/embed/form`.
#[cfg(feature = "form-page")]
#[wasm_bindgen(js_name = startForm)]
pub fn start_form() -> Result<(), JsValue> {
    form::start(read_config()?)
}

/// Starts the first-party popup on `/hub/popup`.
#[cfg(feature = "popup-page")]
#[wasm_bindgen(js_name = startPopup)]
pub fn start_popup() -> Result<(), JsValue> {
    popup::start(read_config()?)
}
