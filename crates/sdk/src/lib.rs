//! The Crosspass SDK for partner pages: connects to XYZ's hub iframe and exposes the
//! JavaScript API (`Crosspass.connect`, `getToken`, `signIn`, `fetch`, …) and the
//! embeddable form widget (`mountForm`, `<crosspass-form>`).
//!
//! The thin JavaScript layer in `js/` only does what wasm-bindgen cannot: load the
//! module, define the custom element class and read the script tag.
#![deny(missing_docs)]
#![warn(clippy::indexing_slicing)]

pub mod client;
pub mod connection;
pub mod error;
pub mod js;
#[cfg(feature = "widget")]
pub mod widget;

use client::{grant_to_js, status_to_js, Client, ConnectOptions};
use error::SdkError;
use js_sys::{Function, Promise};
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A connection to the XYZ hub for one partner client.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Crosspass {
    client: Rc<Client>,
}

/// Boxed so that every method shares one instantiation of the promise machinery.
type Task = std::pin::Pin<Box<dyn Future<Output = Result<JsValue, SdkError>>>>;

fn promise(f: Task) -> Promise {
    crosspass_web::promise(async move { f.await.map_err(|e| e.to_js()) })
}

#[wasm_bindgen]
impl Crosspass {
    /// Adds the hub iframe and completes the handshake.
    /// `options`: `{ hubUrl, clientId, getAssertion?, timeoutMs?, scope? }`.
    /// Resolves with a `Crosspass`.
    pub fn connect(options: JsValue) -> Promise {
        promise(Box::pin(async move {
            let options = ConnectOptions::from_js(&options)?;
            let client = Client::connect(options).await?;
            Ok(Crosspass { client }.into())
        }))
    }

    /// A token: `{ accessToken, tokenType, expiresAt, scope }`. `options`: `{ scope? }`.
    #[wasm_bindgen(js_name = getToken)]
    pub fn get_token(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(Box::pin(async move {
            let scope = match client::get(&options, "scope").as_string() {
                Some(s) => Some(
                    crosspass_protocol::ScopeSet::parse(&s)
                        .map_err(|e| SdkError::invalid("scope", &e))?,
                ),
                None => None,
            };
            client.get_token(scope).await.map(|g| grant_to_js(&g))
        }))
    }

    /// Stores a session from `{ assertion, scope? }` or `{ accessToken }`.
    #[wasm_bindgen(js_name = signIn)]
    pub fn sign_in(&self, credential: JsValue) -> Promise {
        let client = self.client.clone();
        promise(Box::pin(async move {
            let params = Client::credential_from_js(&credential)?;
            client.begin(params).await.map(|g| grant_to_js(&g))
        }))
    }

    /// Forgets the session (in every tab of the tenant).
    #[wasm_bindgen(js_name = signOut)]
    pub fn sign_out(&self) -> Promise {
        let client = self.client.clone();
        promise(Box::pin(async move {
            client.sign_out().await.map(|()| JsValue::UNDEFINED)
        }))
    }

    /// `fetch` to the XYZ API with the bearer token (one fresh sign-in and retry on 401).
    pub fn fetch(&self, path: JsValue, init: JsValue) -> Promise {
        let client = self.client.clone();
        promise(Box::pin(async move {
            let path = path
                .as_string()
                .ok_or_else(|| SdkError::InvalidArgument("fetch() needs a path".into()))?;
            client.fetch(&path, &init).await.map(JsValue::from)
        }))
    }

    /// Subscribes to `"session"` events (`{ signedIn }`); returns the unsubscribe function.
    pub fn on(&self, event: &str, callback: JsValue) -> Result<Function, JsValue> {
        if self.client.is_destroyed() {
            return Err(SdkError::Destroyed.to_js());
        }
        if event != "session" {
            return Err(
                SdkError::InvalidArgument(["unknown event `", event, "`"].concat()).to_js(),
            );
        }
        let callback: Function = callback
            .dyn_into()
            .map_err(|_| SdkError::InvalidArgument("on() needs a function".into()).to_js())?;
        let id = self.client.on_session(callback);
        let client = self.client.clone();
        let off = Closure::<dyn FnMut()>::new(move || client.off(id));
        Ok(off.into_js_value().unchecked_into())
    }

    /// The hub's storage: `{ rung, canRequest }`.
    pub fn storage(&self) -> Promise {
        let client = self.client.clone();
        promise(Box::pin(async move {
            client.storage().await.map(|s| status_to_js(&s))
        }))
    }

    /// Shows the hub's "Continue with XYZ" button (or popup) and resolves with the
    /// storage reached once the user has answered.
    #[wasm_bindgen(js_name = requestStorageAccess)]
    pub fn request_storage_access(&self) -> Promise {
        let client = self.client.clone();
        promise(Box::pin(async move {
            client
                .request_storage_access()
                .await
                .map(|s| status_to_js(&s))
        }))
    }

    /// Removes the iframe and every listener; later calls fail with `destroyed`.
    pub fn destroy(&self) {
        self.client.destroy();
    }

    /// Renders the form widget into `element`. `options`: `{ path?, schemaPath? }`.
    #[cfg(feature = "widget")]
    #[wasm_bindgen(js_name = mountForm)]
    pub fn mount_form(
        &self,
        element: web_sys::Element,
        options: JsValue,
    ) -> Result<widget::FormHandle, JsValue> {
        widget::mount(self.client.clone(), &element, &options).map_err(|e| e.to_js())
    }
}

/// The error codes the SDK can report, in the protocol's order (for checks in JS).
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> js_sys::Array {
    crosspass_protocol::ErrorCode::ALL
        .iter()
        .map(|c| JsValue::from_str(c.as_str()))
        .collect()
}
