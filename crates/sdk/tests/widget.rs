//! The form widget in a real browser: schema and answer parsing, and mounting.
#![cfg(all(target_arch = "wasm32", feature = "widget"))]
// Test helpers outside #[test] functions: a failure should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosspass_hub::{Hub, HubConfig};
use crosspass_sdk::client::{Client, ConnectOptions};
use crosspass_sdk::widget::schema::{
    conflict_etag, conflict_record, field_errors, parse_schema, record_of, Kind,
};
use crosspass_web::sleep;
use js_sys::JSON;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

#[wasm_bindgen_test]
fn schemas_in_both_shapes() {
    let fields = parse_schema(&json(
        r#"{"fields":[
            {"name":"name","type":"string","label":"Full name","required":true,"max_length":40,"pattern":"[A-Za-z ]+"},
            {"name":"age","type":"integer","min":0,"max":150,"help":"In years"},
            {"name":"ok","type":"boolean"},
            {"name":"plan","type":"enum","options":["free","pro"]},
            {"name":"since","type":"date","min":"2024-01-01"},
            {"name":"broken","type":"enum"},
            {"name":"blob","type":"object"},
            {"type":"string"}
        ]}"#,
    ));
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["name", "age", "ok", "plan", "since"]);
    assert_eq!(fields[0].label, "Full name");
    assert!(fields[0].required);
    assert_eq!(fields[0].max_length, Some(40));
    assert_eq!(fields[1].kind, Kind::Number);
    assert_eq!(fields[1].label, "age");
    assert_eq!(fields[1].max.as_deref(), Some("150"));
    assert!(fields[1].integer);
    assert_eq!(
        fields[3].kind,
        Kind::Choice(vec!["free".into(), "pro".into()])
    );
    assert_eq!(fields[4].kind, Kind::Date);
    assert_eq!(fields[4].min.as_deref(), Some("2024-01-01"));

    let fields = parse_schema(&json(
        r#"{"type":"object","required":["email"],"properties":{
            "email":{"type":"string","title":"E-mail","description":"Work address"},
            "born":{"type":"string","format":"date"},
            "tier":{"type":"string","enum":["a","b"]}
        }}"#,
    ));
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["email", "born", "tier"]);
    assert!(fields[0].required && !fields[1].required);
    assert_eq!(fields[0].help.as_deref(), Some("Work address"));
    assert_eq!(fields[1].kind, Kind::Date);
    assert!(matches!(fields[2].kind, Kind::Choice(_)));

    assert!(parse_schema(&json("null")).is_empty());
    assert!(parse_schema(&json(r#"{"fields":"x"}"#)).is_empty());
}

#[wasm_bindgen_test]
fn answers_of_the_api() {
    let pairs = |v: Vec<(String, String)>| {
        v.into_iter()
            .map(|(a, b)| format!("{a}={b}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pairs(field_errors(&json(
            r#"{"errors":{"name":"is required","age":["too big"]}}"#
        ))),
        ["name=is required", "age=too big"]
    );
    assert_eq!(
        pairs(field_errors(&json(
            r#"{"errors":[{"field":"/name","message":"bad"}]}"#
        ))),
        ["name=bad"]
    );
    assert_eq!(
        pairs(field_errors(&json(r#"{"fields":{"x":"y"}}"#))),
        ["x=y"]
    );
    assert!(field_errors(&json(r#"{"error":"validation_failed"}"#)).is_empty());
    assert!(field_errors(&json("null")).is_empty());

    let theirs = conflict_record(&json(
        r#"{"error":"precondition_failed","current":{"a":1},"etag":"\"7\""}"#,
    ))
    .unwrap();
    assert_eq!(JSON::stringify(&theirs).unwrap(), r#"{"a":1}"#);
    assert_eq!(
        conflict_etag(&json(r#"{"etag":"\"7\""}"#)).as_deref(),
        Some("\"7\"")
    );
    assert!(conflict_record(&json(r#"{"a":1}"#)).is_some());
    // The server's shape: {"current": {"data": {...}, "version": n}}.
    let theirs = conflict_record(&json(
        r#"{"error":"precondition_failed","current":{"data":{"b":2},"version":3}}"#,
    ))
    .unwrap();
    assert_eq!(JSON::stringify(&theirs).unwrap(), r#"{"b":2}"#);
    let record = record_of(&json(r#"{"data":{"c":3},"version":1}"#)).unwrap();
    assert_eq!(JSON::stringify(&record).unwrap(), r#"{"c":3}"#);
    assert!(record_of(&json("[]")).is_none());
    assert!(conflict_record(&json(r#"{"error":"x"}"#)).is_none());
    assert!(conflict_record(&json("[1]")).is_none());
}

#[wasm_bindgen_test]
async fn without_a_session_the_form_offers_sign_in() {
    let window = web_sys::window().unwrap();
    let origin = window.location().origin().unwrap();
    let config = HubConfig::from_json(&format!(
        r#"{{"client_id":"w-form","tenant":"w-form","origins":["{origin}"],"issuer":"i",
        "api_audience":"a","token_endpoint":"/oauth/token","scopes":"form.read"}}"#
    ))
    .unwrap();
    Hub::start(config).await.unwrap();
    let options = json(&format!(
        r#"{{"hubUrl":"{origin}/hub","clientId":"w-form","timeoutMs":2000}}"#
    ));
    let client = Client::connect_in(ConnectOptions::from_js(&options).unwrap(), false)
        .await
        .unwrap();
    let document = window.document().unwrap();
    let host = document.create_element("crosspass-test-form").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    let handle = crosspass_sdk::widget::mount(client, &host, &JsValue::UNDEFINED).unwrap();
    for _ in 0..50 {
        if host.get_attribute("data-state").as_deref() == Some("signed-out") {
            break;
        }
        sleep(20).await;
    }
    assert_eq!(
        host.get_attribute("data-state").as_deref(),
        Some("signed-out")
    );
    let root = host.shadow_root().unwrap();
    let sign_in = root
        .query_selector("[data-action=sign-in]")
        .unwrap()
        .unwrap();
    assert!(!sign_in.has_attribute("hidden"));
    let form = root.query_selector("form").unwrap().unwrap();
    assert_eq!(form.get_attribute("aria-busy").as_deref(), Some("false"));
    assert!(root.query_selector("[role=status]").unwrap().is_some());
    handle.destroy();
    assert!(root.query_selector("form").unwrap().is_none());
    assert!(host.get_attribute("data-state").is_none());
}
