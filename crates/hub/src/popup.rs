//! The first-party popup (`/hub/popup`): the rung for browsers without the Storage
//! Access API, or when access was refused. Opened by the hub frame on a click, it
//! runs on XYZ's origin as a top-level page, so its `localStorage` is first-party. It
//! merges the hub's session into first-party storage and sends the merged session
//! back. Both ends post only with their own origin as the target and accept only
//! messages from that origin and the expected window.

use crate::config::HubConfig;
use crate::js;
use crate::store::{Backend, Session, TokenStore};
use crosspass_protocol::json::{self, Json, Members, Value};
use crosspass_protocol::rpc::StorageRung;
use js_sys::Object;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A message between the hub frame and its popup (JSON text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PopupMessage {
    /// Popup → hub: loaded and listening.
    Ready,
    /// Hub → popup: the hub's session, to merge into first-party storage.
    Sync {
        /// The hub's session.
        session: Session,
    },
    /// Popup → hub: the merged first-party session.
    Result {
        /// The merged session.
        session: Session,
    },
}

impl PopupMessage {
    /// Decodes, refusing anything oversized or of another shape.
    pub fn decode(text: &str) -> Option<Self> {
        if text.len() > crosspass_protocol::rpc::MAX_MESSAGE_BYTES {
            return None;
        }
        let value = json::parse(text).ok()?;
        let mut m = Members::of(&value, "message").ok()?;
        let kind = m.str("popup").ok()?;
        let session = m.take("session").map(Session::from_value);
        m.finish().ok()?;
        match (kind, session) {
            ("ready", None) => Some(PopupMessage::Ready),
            ("sync", Some(Ok(session))) => Some(PopupMessage::Sync { session }),
            ("result", Some(Ok(session))) => Some(PopupMessage::Result { session }),
            _ => None,
        }
    }

    /// The JSON text.
    pub fn encode(&self) -> String {
        let (kind, session) = match self {
            PopupMessage::Ready => ("ready", None),
            PopupMessage::Sync { session } => ("sync", Some(session.to_value())),
            PopupMessage::Result { session } => ("result", Some(session.to_value())),
        };
        Value::object([("popup", Some(kind.into())), ("session", session)]).to_json()
    }
}

/// Posts `message` to `target` for a document of our own origin only.
pub fn post(target: &web_sys::Window, message: &PopupMessage) {
    if let Some(origin) = own_origin() {
        let _ = target.post_message(&message.encode().into(), &origin);
    }
}

/// This document's origin.
pub fn own_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// Runs the popup page.
pub fn start(config: HubConfig) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let opener = window.opener()?;
    if opener.is_null() || opener.is_undefined() {
        return Err("the XYZ window must be opened by the XYZ hub".into());
    }
    // The opener's window belongs to another realm, so `instanceof Window` is false.
    let opener: web_sys::Window = opener.unchecked_into();
    let origin = own_origin().ok_or("no origin")?;
    let storage = window
        .local_storage()
        .ok()
        .flatten()
        .filter(crate::store::is_usable)
        .ok_or("first-party storage is unavailable")?;
    let mut store = TokenStore::new(
        &config.tenant,
        Backend::Web(storage),
        StorageRung::Unpartitioned,
    );
    let expected_source = opener.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let from_opener = event
                .source()
                .is_some_and(|s| Object::is(&s, &expected_source));
            if !from_opener || event.origin() != origin {
                return;
            }
            let Some(PopupMessage::Sync { session }) = event
                .data()
                .as_string()
                .as_deref()
                .and_then(PopupMessage::decode)
            else {
                return;
            };
            let now = js::now_secs();
            let mut merged = store.load();
            merged.merge(session, now);
            store.save(&merged);
            post(&expected_source, &PopupMessage::Result { session: merged });
            if let Some(w) = web_sys::window() {
                let _ = w.close();
            }
        });
    window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref())?;
    // Listens until the sync arrives, which closes the popup.
    crosspass_web::for_page_lifetime(on_message);
    post(&opener, &PopupMessage::Ready);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_strictly() {
        let m = PopupMessage::Sync {
            session: Session::default(),
        };
        assert_eq!(PopupMessage::decode(&m.encode()), Some(m));
        assert_eq!(
            PopupMessage::decode(r#"{"popup":"ready"}"#),
            Some(PopupMessage::Ready)
        );
        assert_eq!(PopupMessage::decode(r#"{"popup":"ready","x":1}"#), None);
        assert_eq!(PopupMessage::decode(r#"{"popup":"sync"}"#), None);
        assert_eq!(PopupMessage::decode("[]"), None);
        assert_eq!(
            PopupMessage::decode(r#"{"popup":"ready","session":{"tokens":[]}}"#),
            None
        );
    }
}
