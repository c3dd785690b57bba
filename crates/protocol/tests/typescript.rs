//! The TypeScript SDK's lists of wire names and the shapes of the hub's answers come
//! from this crate: this test writes what `packages/crosspass/src/generated.ts` must
//! hold and fails when the file differs (`UPDATE_TS=1 cargo test -p
//! crosspass-protocol --test typescript` rewrites it). The interfaces are those
//! `json_object!` derived the codec of, member for member.

use crosspass_protocol::appearance::Variable;
use crosspass_protocol::json::JsonObject;
use crosspass_protocol::rpc::{
    Diagnosis, Event, FetchParams, FetchResult, FormChange, FormParams, FormResize, FormState,
    FormStateChanged, HelloParams, Method, Ready, SessionBeginParams, SessionChanged, SessionInfo,
    StorageRung, StorageStatus, TokenGetParams, TokenGrant, PROTOCOL_VERSION,
};
use crosspass_protocol::texts::TextKey;
use crosspass_protocol::{ErrorCode, RpcError};
use std::path::Path;

fn list(out: &mut String, name: &str, ty: &str, items: impl IntoIterator<Item = &'static str>) {
    out.push_str(&format!("export const {name} = [\n"));
    for item in items {
        out.push_str(&format!("  \"{item}\",\n"));
    }
    out.push_str(&format!(
        "] as const;\nexport type {ty} = (typeof {name})[number];\n\n"
    ));
}

fn interface<T: JsonObject>(out: &mut String) {
    out.push_str(&T::ts_interface());
    out.push_str("\n\n");
}

/// One event of each kind.
fn events() -> Vec<Event> {
    vec![
        Event::SessionChanged(SessionChanged { signed_in: true }),
        Event::FormState(FormStateChanged {
            state: FormState::Ready,
            code: None,
        }),
        Event::FormChange(FormChange { dirty: true }),
        Event::FormSaved,
        Event::FormConflict,
        Event::FormError(RpcError::new(ErrorCode::ServerError, "")),
        Event::FormResize(FormResize { height: 1 }),
    ]
}

/// The TypeScript type of an event's data. No wildcard: a new kind of event does not
/// compile here until it has its type. Its sample in [`events`] and its name in
/// `Event::NAMES` are added by hand; `every_event_has_its_data_type` checks that the
/// two agree.
fn data_type(event: &Event) -> &'static str {
    match event {
        Event::SessionChanged(_) => "SessionChanged",
        Event::FormState(_) => "FormStateChanged",
        Event::FormChange(_) => "FormChange",
        Event::FormSaved | Event::FormConflict => "Record<string, never>",
        Event::FormError(_) => "RpcError",
        Event::FormResize(_) => "FormResize",
    }
}

fn generated() -> String {
    let mut out = String::from(
        "// Generated from crates/protocol by `cargo test -p crosspass-protocol --test typescript` (UPDATE_TS=1 rewrites it); do not edit.\n\n",
    );
    out.push_str(&format!(
        "/** The hub protocol's version, in every envelope. */\nexport const PROTOCOL = {PROTOCOL_VERSION};\n\n"
    ));
    list(
        &mut out,
        "ERROR_CODES",
        "ErrorCode",
        ErrorCode::ALL.iter().map(|c| c.as_str()),
    );
    list(
        &mut out,
        "STORAGE_RUNGS",
        "StorageRung",
        StorageRung::ALL.iter().map(|r| r.as_str()),
    );
    list(
        &mut out,
        "METHODS",
        "Method",
        Method::ALL.iter().map(|m| m.as_str()),
    );
    list(
        &mut out,
        "APPEARANCE_VARIABLES",
        "AppearanceVariable",
        Variable::ALL.iter().map(|v| v.name()),
    );
    list(
        &mut out,
        "FORM_STATES",
        "FormState",
        FormState::ALL.iter().map(|s| s.as_str()),
    );
    list(
        &mut out,
        "MESSAGE_KEYS",
        "MessageKey",
        TextKey::ALL.iter().map(|k| k.key()),
    );
    out.push_str("// What crosses the hub's port, in its wire names.\n\n");
    interface::<HelloParams>(&mut out);
    interface::<RpcError>(&mut out);
    interface::<SessionBeginParams>(&mut out);
    interface::<StorageStatus>(&mut out);
    interface::<Ready>(&mut out);
    interface::<TokenGrant>(&mut out);
    interface::<SessionInfo>(&mut out);
    interface::<TokenGetParams>(&mut out);
    interface::<Diagnosis>(&mut out);
    interface::<SessionChanged>(&mut out);
    interface::<FetchParams>(&mut out);
    interface::<FetchResult>(&mut out);
    interface::<FormParams>(&mut out);
    out.push_str("// What the frames push without a request: each event's data, by its name.\n\n");
    interface::<FormStateChanged>(&mut out);
    interface::<FormChange>(&mut out);
    interface::<FormResize>(&mut out);
    out.push_str("export interface EventData {\n");
    for event in events() {
        out.push_str(&format!("  \"{}\": {};\n", event.name(), data_type(&event)));
    }
    out.push_str("}\n");
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn every_event_has_its_data_type() {
    let names: Vec<&str> = events().iter().map(Event::name).collect();
    assert_eq!(names, Event::NAMES);
}

#[test]
fn typescript_lists_match_the_protocol() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packages/crosspass/src/generated.ts");
    let want = generated();
    if std::env::var_os("UPDATE_TS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is out of date: run UPDATE_TS=1 cargo test -p crosspass-protocol --test typescript",
        path.display()
    );
}
