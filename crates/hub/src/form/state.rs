//! The form's states: what each one shows and announces to the page, failures, and
//! the hub's word that the session changed.

use super::view::show;
use super::Form;
use crate::error::HubError;
use crosspass_protocol::rpc::{Event, FormState, FormStateChanged};
use crosspass_protocol::text::Describe;
use crosspass_protocol::texts::TextKey;
use crosspass_protocol::{ErrorCode, RpcError};
use std::rc::Rc;

impl Form {
    pub(super) fn status_for(&self, state: FormState) -> Option<TextKey> {
        Some(match state {
            FormState::Loading => TextKey::Loading,
            FormState::SignedOut => TextKey::SignedOut,
            FormState::Saving => TextKey::Saving,
            FormState::Saved => TextKey::Saved,
            FormState::Conflict => TextKey::ConflictStatus,
            FormState::Error => TextKey::Failed,
            FormState::Ready => return None,
        })
    }

    pub(super) fn set_state(
        &self,
        state: FormState,
        status: Option<TextKey>,
        code: Option<ErrorCode>,
    ) {
        self.state.set(state);
        let _ = self.root.set_attribute("data-state", state.as_str());
        if let Some(v) = self.view.borrow().as_ref() {
            let busy = matches!(state, FormState::Loading | FormState::Saving);
            let _ = v
                .form
                .set_attribute("aria-busy", if busy { "true" } else { "false" });
            let text = status.map(|k| self.text(k)).unwrap_or_default();
            v.status.set_text_content(Some(&text));
            let editable = matches!(state, FormState::Ready | FormState::Saved);
            // Rendered fields stay on screen in every state: what the user typed is
            // never hidden or replaced behind their back.
            show(&v.fields, !self.fields.borrow().is_empty());
            show(
                &v.submit,
                editable || matches!(state, FormState::Saving | FormState::Conflict),
            );
            let _ = if editable {
                v.submit.remove_attribute("disabled")
            } else {
                v.submit.set_attribute("disabled", "")
            };
            show(&v.sign_in, state == FormState::SignedOut);
            show(&v.retry, state == FormState::Error);
            show(&v.conflict, state == FormState::Conflict);
            if !matches!(state, FormState::Conflict | FormState::Ready) {
                show(&v.alert, false);
            }
        }
        self.page
            .push(&Event::FormState(FormStateChanged { state, code }));
        match state {
            FormState::Saved => self.page.push(&Event::FormSaved),
            FormState::Conflict => self.page.push(&Event::FormConflict),
            _ => {}
        }
    }

    pub(super) fn alert(&self, message: Option<&str>) {
        if let Some(v) = self.view.borrow().as_ref() {
            v.alert.set_text_content(message);
            show(&v.alert, message.is_some());
        }
    }

    pub(super) fn signed_out(&self, status: TextKey) {
        self.tokens.forget();
        self.set_state(
            FormState::SignedOut,
            Some(status),
            Some(ErrorCode::LoginRequired),
        );
    }

    pub(super) fn fail(&self, e: &HubError) {
        match e.code() {
            ErrorCode::LoginRequired | ErrorCode::InvalidGrant => {
                self.signed_out(TextKey::SignedOut)
            }
            code => {
                self.set_state(FormState::Error, Some(TextKey::Failed), Some(code));
                self.alert(Some(&e.text()));
                self.page.push(&Event::FormError(e.to_rpc_error()));
            }
        }
    }

    pub(super) fn failed_with(&self, status_key: TextKey, code: ErrorCode, message: String) {
        self.set_state(FormState::Error, Some(status_key), Some(code));
        self.alert(Some(&message));
        self.page
            .push(&Event::FormError(RpcError::new(code, message)));
    }

    pub(super) fn session_changed(self: &Rc<Self>, signed_in: bool) {
        self.page.push(&Event::SessionChanged(
            crosspass_protocol::rpc::SessionChanged { signed_in },
        ));
        if !self.mounted.get() {
            return;
        }
        if !signed_in {
            // Signed out on purpose (here or in another tab): no code, so the page does
            // not sign the user straight back in; the Sign in button asks for that.
            self.tokens.forget();
            self.set_state(FormState::SignedOut, Some(TextKey::SignedOut), None);
        } else if self.state.get() == FormState::SignedOut {
            self.start_load();
        }
    }
}
