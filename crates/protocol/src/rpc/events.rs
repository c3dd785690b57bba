//! What the frames push without a request: the form's states, `session.changed`.

use super::*;

/// The form frame's states (`form.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormState {
    /// Fetching schema and record.
    Loading,
    /// No session: the SDK should sign in through the hub.
    SignedOut,
    /// Editable.
    Ready,
    /// A save is in flight.
    Saving,
    /// The last save succeeded.
    Saved,
    /// The server has a newer version; the user chooses.
    Conflict,
    /// Loading or saving failed.
    Error,
}

impl FormState {
    /// Every state.
    pub const ALL: &'static [FormState] = &[
        FormState::Loading,
        FormState::SignedOut,
        FormState::Ready,
        FormState::Saving,
        FormState::Saved,
        FormState::Conflict,
        FormState::Error,
    ];

    /// The wire name, e.g. `"signed_out"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FormState::Loading => "loading",
            FormState::SignedOut => "signed_out",
            FormState::Ready => "ready",
            FormState::Saving => "saving",
            FormState::Saved => "saved",
            FormState::Conflict => "conflict",
            FormState::Error => "error",
        }
    }

    /// Looks a wire name up.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == name)
    }
}

/// An event pushed without a request: by the hub frame (`session.changed`) or by the
/// form frame (the `form.*` events and `session.changed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A token was stored or cleared, in this or another tab.
    SessionChanged(SessionChanged),
    /// The form moved to another state (`code` says why, for `signed_out` and `error`).
    FormState(FormState, Option<ErrorCode>),
    /// The user changed a value (`dirty`: unsaved changes exist).
    FormChange(bool),
    /// A save succeeded.
    FormSaved,
    /// A save found a newer version on the server.
    FormConflict,
    /// Loading or saving failed.
    FormError(RpcError),
    /// The form's content height in CSS pixels.
    FormResize(u32),
}

/// `session.changed` data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionChanged {
    /// Whether a session is now stored.
    pub signed_in: bool,
}

crate::json_object!(SessionChanged, "data", deny_unknown { signed_in });

impl Event {
    /// The event's wire name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::SessionChanged(_) => "session.changed",
            Event::FormState(..) => "form.state",
            Event::FormChange(_) => "form.change",
            Event::FormSaved => "form.saved",
            Event::FormConflict => "form.conflict",
            Event::FormError(_) => "form.error",
            Event::FormResize(_) => "form.resize",
        }
    }

    fn data(&self) -> Value {
        match self {
            Event::SessionChanged(data) => data.to_value(),
            Event::FormState(state, code) => Value::object([
                ("state", Some(state.as_str().into())),
                ("code", code.map(|c| c.as_str().into())),
            ]),
            Event::FormChange(dirty) => Value::object([("dirty", Some((*dirty).into()))]),
            Event::FormSaved | Event::FormConflict => Value::Object(Vec::new()),
            Event::FormError(e) => e.to_value(),
            Event::FormResize(height) => Value::object([("height", Some((*height).into()))]),
        }
    }

    pub(super) fn decode_data(name: &str, data: &Value) -> Result<Self, JsonError> {
        let mut m = Members::of(data, "data")?;
        let event = match name {
            "session.changed" => {
                return SessionChanged::from_value(data).map(Event::SessionChanged)
            }
            "form.error" => return RpcError::from_value(data).map(Event::FormError),
            "form.state" => Event::FormState(
                m.parsed("state", |s| FormState::from_name(s).ok_or("unknown state"))?,
                m.opt_parsed("code", |s| ErrorCode::from_code(s).ok_or("unknown code"))?,
            ),
            "form.change" => Event::FormChange(m.bool("dirty")?),
            "form.saved" => Event::FormSaved,
            "form.conflict" => Event::FormConflict,
            "form.resize" => Event::FormResize(
                u32::try_from(m.int("height")?)
                    .map_err(|_| JsonError::Type("height", "a pixel count"))?,
            ),
            _ => return Err(JsonError::Invalid("event", "unknown event".into())),
        };
        m.finish()?;
        Ok(event)
    }

    /// Encodes as JSON text.
    pub fn encode(&self) -> String {
        Value::object([
            ("crosspass", Some(PROTOCOL_VERSION.into())),
            ("event", Some(self.name().into())),
            ("data", Some(self.data())),
        ])
        .to_json()
    }
}
