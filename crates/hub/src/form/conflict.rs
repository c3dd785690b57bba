//! A 412 conflict: the list of fields where the user's values and the newer saved
//! version differ, and the two ways out (keep mine, take theirs).

use super::schema::{self, get};
use super::view::{display, el};
use super::{Form, RECORD_PATH};
use crosspass_protocol::rpc::{Event, FormChange, FormState, HttpMethod};
use crosspass_protocol::texts::TextKey;
use crosspass_protocol::ErrorCode;
use crosspass_web::spawn;
use js_sys::Object;
use std::rc::Rc;
use wasm_bindgen::JsValue;

impl Form {
    pub(super) async fn conflict(self: &Rc<Self>, body: &str, etag: Option<String>) {
        let (mut theirs, body_etag) = schema::conflict(body);
        let mut etag = body_etag.or(etag);
        if theirs.is_none() || etag.is_none() {
            match self.request(HttpMethod::Get, RECORD_PATH, None).await {
                Ok((200..=299, current, current_etag)) => {
                    theirs = schema::record_of(&current);
                    etag = current_etag;
                }
                Ok(_) => {}
                Err(e) => return self.fail(&e),
            }
        }
        let Some(theirs) = theirs else {
            let message = self.text(TextKey::ConflictUnreadable);
            return self.failed_with(TextKey::NotSaved, ErrorCode::ServerError, message);
        };
        let mine = self.values().unwrap_or_default();
        if let Some(v) = self.view.borrow().as_ref() {
            v.conflict_list.replace_children_with_node_0();
            let texts = self.texts.borrow();
            for field in self.fields.borrow().iter() {
                let my = mine
                    .iter()
                    .find(|(n, _)| *n == field.name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(JsValue::NULL);
                let their = get(&theirs, &field.name);
                if same(&my, &their) {
                    continue;
                }
                let text = [
                    field.label.as_str(),
                    ": ",
                    texts.get(TextKey::Yours),
                    " “",
                    &display(&my, &texts),
                    "”, ",
                    texts.get(TextKey::Theirs),
                    " “",
                    &display(&their, &texts),
                    "”",
                ]
                .concat();
                if let Some(li) = el(&self.doc, "li", &[("data-field", &field.name)], Some(&text)) {
                    let _ = v.conflict_list.append_child(&li);
                }
            }
        }
        *self.theirs.borrow_mut() = Some((theirs, etag));
        self.set_state(FormState::Conflict, Some(TextKey::ConflictStatus), None);
    }

    /// Overwrites the newer version with the form's values (on purpose, now).
    pub(super) fn keep_mine(self: &Rc<Self>) {
        let Some((theirs, etag)) = self.theirs.borrow_mut().take() else {
            return;
        };
        *self.record.borrow_mut() = theirs;
        *self.etag.borrow_mut() = etag;
        self.set_state(FormState::Ready, None, None);
        let form = self.clone();
        spawn(async move { form.save().await });
    }

    /// Replaces the form's values with the newer version.
    pub(super) fn take_theirs(&self) {
        let Some((theirs, etag)) = self.theirs.borrow_mut().take() else {
            return;
        };
        self.fill(&theirs);
        self.dirty.set(false);
        *self.record.borrow_mut() = theirs;
        *self.etag.borrow_mut() = etag;
        self.show_errors(&[]);
        self.set_state(FormState::Ready, Some(TextKey::ShowingSaved), None);
        self.page
            .push(&Event::FormChange(FormChange { dirty: false }));
    }
}

fn same(a: &JsValue, b: &JsValue) -> bool {
    let empty = |v: &JsValue| {
        v.is_undefined() || v.is_null() || v.as_string().is_some_and(|s| s.is_empty())
    };
    (empty(a) && empty(b)) || Object::is(a, b) || (a.as_f64().is_some() && a.as_f64() == b.as_f64())
}
