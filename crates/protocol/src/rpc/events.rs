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
    /// The form moved to another state.
    FormState(FormStateChanged),
    /// The user changed a value, or the change was saved or dropped.
    FormChange(FormChange),
    /// A save succeeded (data: an empty object).
    FormSaved,
    /// A save found a newer version on the server (data: an empty object).
    FormConflict,
    /// Loading or saving failed.
    FormError(RpcError),
    /// The form's content height changed.
    FormResize(FormResize),
}

/// `session.changed` data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionChanged {
    /// Whether a session is now stored.
    pub signed_in: bool,
}

crate::json_object!(SessionChanged, "data", deny_unknown { signed_in });

/// `form.state` data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormStateChanged {
    /// The state the form is in now.
    pub state: FormState,
    /// Why, for `signed_out` and `error`.
    pub code: Option<ErrorCode>,
}

crate::json_object!(FormStateChanged, "data", deny_unknown { state, code });
crate::json_text_member!(
    FormState,
    |s| FormState::from_name(s).ok_or("unknown state"),
    as_str,
    "FormState"
);

/// `form.change` data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormChange {
    /// Unsaved changes exist.
    pub dirty: bool,
}

crate::json_object!(FormChange, "data", deny_unknown { dirty });

/// `form.resize` data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormResize {
    /// The form's content height in CSS pixels.
    pub height: u32,
}

crate::json_object!(FormResize, "data", deny_unknown { height });

impl Event {
    /// Every event's wire name.
    pub const NAMES: &'static [&'static str] = &[
        "session.changed",
        "form.state",
        "form.change",
        "form.saved",
        "form.conflict",
        "form.error",
        "form.resize",
    ];

    /// The event's wire name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::SessionChanged(_) => "session.changed",
            Event::FormState(_) => "form.state",
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
            Event::FormState(data) => data.to_value(),
            Event::FormChange(data) => data.to_value(),
            Event::FormSaved | Event::FormConflict => NoParams {}.to_value(),
            Event::FormError(data) => data.to_value(),
            Event::FormResize(data) => data.to_value(),
        }
    }

    pub(super) fn decode_data(name: &str, data: &Value) -> Result<Self, JsonError> {
        match name {
            "session.changed" => SessionChanged::from_value(data).map(Event::SessionChanged),
            "form.state" => FormStateChanged::from_value(data).map(Event::FormState),
            "form.change" => FormChange::from_value(data).map(Event::FormChange),
            "form.saved" => NoParams::from_value(data).map(|_| Event::FormSaved),
            "form.conflict" => NoParams::from_value(data).map(|_| Event::FormConflict),
            "form.error" => RpcError::from_value(data).map(Event::FormError),
            "form.resize" => FormResize::from_value(data).map(Event::FormResize),
            _ => Err(JsonError::Invalid("event", "unknown event".into())),
        }
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
