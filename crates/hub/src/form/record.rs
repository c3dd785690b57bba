//! The user's record over the API: requests with the form's token, loading the
//! schema and the record, saving.

use super::view::show;
use super::{schema, Form, RECORD_PATH, SCHEMA_PATH};
use crate::api;
use crate::error::HubError;
use crosspass_protocol::rpc::{Event, FormChange, FormState, HttpMethod};
use crosspass_protocol::texts::TextKey;
use crosspass_protocol::ErrorCode;
use crosspass_web::spawn;
use js_sys::{Object, Reflect, JSON};
use std::rc::Rc;
use wasm_bindgen::JsValue;

impl Form {
    pub(super) fn start_load(self: &Rc<Self>) {
        let form = self.clone();
        spawn(async move { form.load().await });
    }

    /// One API request with the form's token; a 401 is retried once with a fresh
    /// token from the hub (the cached one may have been replaced).
    pub(super) async fn request(
        &self,
        method: HttpMethod,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, String, Option<String>), HubError> {
        for attempt in 0..2 {
            let token = self.tokens.get().await?;
            let headers = Object::new();
            let set = |k: &str, v: &str| {
                let _ = Reflect::set(&headers, &k.into(), &v.into());
            };
            set("Accept", "application/json");
            set(
                "Authorization",
                &["Bearer ", token.expose_secret()].concat(),
            );
            if body.is_some() {
                set("Content-Type", "application/json");
            }
            if method == HttpMethod::Put {
                if let Some(etag) = self.etag.borrow().as_deref() {
                    set("If-Match", etag);
                }
            }
            let body_value = body
                .as_deref()
                .map_or(JsValue::UNDEFINED, JsValue::from_str);
            let response = api::send(method, path, &headers, &body_value).await?;
            let status = response.status();
            if status == 401 && attempt == 0 {
                self.tokens.forget();
                continue;
            }
            if status == 401 {
                return Err(HubError::LoginRequired);
            }
            let etag = response.headers().get("ETag").ok().flatten();
            let text = match response.text() {
                Ok(p) => crosspass_web::wait(&p)
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                    .unwrap_or_default(),
                Err(_) => String::new(),
            };
            return Ok((status, text, etag));
        }
        Err(HubError::LoginRequired)
    }

    async fn load(self: &Rc<Self>) {
        self.set_state(FormState::Loading, Some(TextKey::Loading), None);
        // Schema and record at once: the cold start waits for the slower, not the sum.
        let [schema, record] = [SCHEMA_PATH, RECORD_PATH].map(|path| {
            let slot = crosspass_web::Oneshot::new();
            let (form, filled) = (self.clone(), slot.clone());
            spawn(async move { filled.fill(form.request(HttpMethod::Get, path, None).await) });
            slot
        });
        let (schema, record) = (
            schema.await.unwrap_or(Err(HubError::Network)),
            record.await.unwrap_or(Err(HubError::Network)),
        );
        let schema = match schema {
            Ok((200..=299, body, _)) => match schema::parse_schema(&body) {
                Some(schema) => schema,
                None => return self.load_failed(200),
            },
            Ok((404, ..)) => {
                let tenant = self.config.tenant.as_str();
                return self.failed_with(
                    TextKey::NotConfigured,
                    ErrorCode::FormNotConfigured,
                    [
                        "tenant ",
                        tenant,
                        " has no form schema: an XYZ admin sets one with `crosspass form set --tenant ",
                        tenant,
                        " schema.json`",
                    ]
                    .concat(),
                );
            }
            Ok((status, ..)) => return self.load_failed(status),
            Err(e) => return self.fail(&e),
        };
        let (record, etag) = match record {
            Ok((200..=299, body, etag)) => match schema::record_of(&body) {
                Some(record) => (record, etag),
                None => return self.load_failed(200),
            },
            Ok((404, ..)) => (Object::new().into(), None),
            Ok((status, ..)) => return self.load_failed(status),
            Err(e) => return self.fail(&e),
        };
        if self.dirty.get() && !self.fields.borrow().is_empty() {
            // Unsaved edits survive a reload (after signing in again, say). The old
            // ETag is kept, so saving them over a newer version shows the conflict.
            return self.set_state(FormState::Ready, Some(TextKey::KeptEdits), None);
        }
        if let Some(v) = self.view.borrow().as_ref() {
            v.title.set_text_content(schema.title.as_deref());
            show(&v.title, schema.title.is_some());
        }
        *self.fields.borrow_mut() = schema.fields;
        *self.record.borrow_mut() = record.clone();
        *self.etag.borrow_mut() = etag;
        if let Some(v) = self.view.borrow().as_ref() {
            v.render_fields(&self.doc, &self.fields.borrow());
        }
        self.fill(&record);
        self.set_state(FormState::Ready, None, None);
    }

    fn load_failed(&self, status: u16) {
        let message = [
            self.text(TextKey::HttpStatus),
            " ".into(),
            status.to_string(),
            ".".into(),
        ]
        .concat();
        self.failed_with(TextKey::LoadFailed, ErrorCode::ServerError, message);
    }

    pub(super) async fn save(self: &Rc<Self>) {
        if matches!(
            self.state.get(),
            FormState::Saving | FormState::Loading | FormState::SignedOut
        ) {
            return;
        }
        let values = match self.values() {
            Ok(v) => v,
            Err(problems) => return self.show_errors(&problems),
        };
        self.show_errors(&[]);
        let record = self.merged(&values);
        self.set_state(FormState::Saving, Some(TextKey::Saving), None);
        let body = JSON::stringify(&record).ok().and_then(|s| s.as_string());
        let (status, body, etag) = match self.request(HttpMethod::Put, RECORD_PATH, body).await {
            Ok(r) => r,
            Err(e) => return self.fail(&e),
        };
        match status {
            200..=299 => {
                *self.record.borrow_mut() = schema::record_of(&body).unwrap_or(record);
                if etag.is_some() {
                    *self.etag.borrow_mut() = etag;
                }
                self.dirty.set(false);
                self.set_state(FormState::Saved, Some(TextKey::Saved), None);
                self.page
                    .push(&Event::FormChange(FormChange { dirty: false }));
            }
            422 | 400 => {
                let errors = schema::field_errors(&body);
                self.set_state(FormState::Ready, Some(TextKey::NotSaved), None);
                if errors.is_empty() {
                    self.alert(Some(&self.text(TextKey::Refused)));
                } else {
                    self.show_errors(&errors);
                }
            }
            412 => self.conflict(&body, etag).await,
            _ => {
                let message = [
                    self.text(TextKey::HttpStatus),
                    " ".into(),
                    status.to_string(),
                    ". ".into(),
                    self.text(TextKey::StillInForm),
                ]
                .concat();
                self.failed_with(TextKey::NotSaved, ErrorCode::ServerError, message);
            }
        }
    }
}
