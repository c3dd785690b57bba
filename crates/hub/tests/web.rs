//! The hub in a real browser: storage, the ladder's probes, and the RPC over a real
//! `MessagePort`, exactly as a partner page reaches it.
#![cfg(target_arch = "wasm32")]
// Test helpers outside #[test] functions: a failure should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosspass_hub::ladder::{self, StartPlan};
use crosspass_hub::store::{is_usable, Backend, Session, StoredToken, TokenStore};
use crosspass_hub::{Hub, HubConfig};
use crosspass_protocol::jose::b64_encode;
use crosspass_protocol::rpc::{Ended, HubMessage, Ready, SessionInfo, StorageRung, TokenGrant};
use crosspass_protocol::{AccessToken, ErrorCode, TenantId};
use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{MessageChannel, MessageEvent, MessagePort};

wasm_bindgen_test_configure!(run_in_browser);

const ISSUER: &str = "http://sso.localhost:8080";
const AUDIENCE: &str = "http://sso.localhost:8080/api";

fn window() -> web_sys::Window {
    web_sys::window().unwrap()
}

fn origin() -> String {
    window().location().origin().unwrap()
}

fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// A client registered to receive tokens (most tests read them back with `token.get`).
fn config(client: &str, tenant: &str, origins: &[&str]) -> HubConfig {
    config_exposing(client, tenant, origins, true)
}

fn config_exposing(client: &str, tenant: &str, origins: &[&str], expose: bool) -> HubConfig {
    let origins: Vec<String> = origins.iter().map(|o| format!("\"{o}\"")).collect();
    HubConfig::from_json(&format!(
        r#"{{"client_id":"{client}","tenant":"{tenant}","origins":[{}],"issuer":"{ISSUER}",
        "api_audience":"{AUDIENCE}","token_endpoint":"/oauth/token",
        "revocation_endpoint":"/oauth/revoke","scopes":"form.read form.write",
        "expose_tokens":{expose}}}"#,
        origins.join(",")
    ))
    .unwrap()
}

/// An unsigned access token with the given claims (the hub never verifies signatures).
fn access_token(client: &str, tenant: &str, scope: &str, exp: i64, typ: &str) -> String {
    let header = b64_encode(format!(r#"{{"alg":"EdDSA","kid":"k1","typ":"{typ}"}}"#).as_bytes());
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

/// The next message on `port` as text, or `None` after `ms`.
async fn next_message(port: &MessagePort, ms: u32) -> Option<String> {
    let port = port.clone();
    let got = Promise::new(&mut |resolve, _| {
        let f = Closure::once_into_js(move |e: MessageEvent| {
            resolve.call1(&JsValue::NULL, &e.data()).unwrap();
        });
        port.set_onmessage(Some(f.unchecked_ref()));
    });
    crosspass_web::with_timeout(crosspass_web::wait(&got), ms)
        .await?
        .unwrap()
        .as_string()
}

/// Posts `text` to this window with a fresh port and returns our end.
fn post_with_port(text: &str) -> MessagePort {
    let channel = MessageChannel::new().unwrap();
    window()
        .post_message_with_transfer(&text.into(), &origin(), &Array::of1(&channel.port2()))
        .unwrap();
    channel.port1()
}

fn hello(client: &str) -> String {
    format!(
        r#"{{"crosspass":2,"id":"h1","method":"hello","params":{{"client_id":"{client}","sdk_version":"test"}}}}"#
    )
}

async fn connect(client: &str) -> MessagePort {
    let port = post_with_port(&hello(client));
    let text = next_message(&port, 2000).await.expect("ready");
    let HubMessage::Response(r) = HubMessage::decode(&text).unwrap() else {
        panic!("not a response");
    };
    let ready: Ready = r.into_result().unwrap();
    assert_eq!(ready.protocol, 2);
    port
}

async fn call(port: &MessagePort, text: &str) -> HubMessage {
    port.post_message(&text.into()).unwrap();
    HubMessage::decode(&next_message(port, 2000).await.expect("reply")).unwrap()
}

fn error_code(m: HubMessage) -> ErrorCode {
    match m {
        HubMessage::Response(r) => r.outcome.unwrap_err().code,
        HubMessage::Event(_) => panic!("event"),
    }
}

#[wasm_bindgen_test]
fn local_storage_round_trip_and_removal() {
    let storage = window().local_storage().unwrap().unwrap();
    assert!(is_usable(&storage));
    let tenant = TenantId::new("t-store").unwrap();
    let mut store = TokenStore::new(
        &tenant,
        Backend::Web(storage.clone()),
        StorageRung::Partitioned,
    );
    let mut session = Session::default();
    session.insert(
        StoredToken::new(AccessToken::new(access_token(
            "abc",
            "t-store",
            "form.read",
            now() + 600,
            "at+jwt",
        )))
        .unwrap(),
        now(),
    );
    store.save(&session);
    assert_eq!(store.load(), session);
    assert!(storage
        .get_item("crosspass.session.t-store")
        .unwrap()
        .is_some());
    store.save(&Session::default());
    assert!(storage
        .get_item("crosspass.session.t-store")
        .unwrap()
        .is_none());
    // Garbage left in storage reads as no session.
    storage
        .set_item("crosspass.session.t-store", "{nope")
        .unwrap();
    assert_eq!(store.load(), Session::default());
    storage.remove_item("crosspass.session.t-store").unwrap();
}

#[wasm_bindgen_test]
fn upgrade_carries_the_session_over() {
    let tenant = TenantId::new("t-upgrade").unwrap();
    let mut store = TokenStore::memory(&tenant);
    let mut session = Session::default();
    session.insert(
        StoredToken::new(AccessToken::new(access_token(
            "abc",
            "t-upgrade",
            "form.read",
            now() + 600,
            "at+jwt",
        )))
        .unwrap(),
        now(),
    );
    store.save(&session);
    let storage = window().local_storage().unwrap().unwrap();
    store.upgrade(
        Backend::Web(storage.clone()),
        StorageRung::Unpartitioned,
        now(),
    );
    assert_eq!(store.rung(), StorageRung::Unpartitioned);
    assert_eq!(store.load(), session);
    store.save(&Session::default());
}

#[wasm_bindgen_test]
async fn the_test_page_is_top_level_with_storage() {
    let probe = ladder::probe().await;
    assert!(probe.top_level);
    assert!(probe.local_storage);
    assert_eq!(ladder::start_plan(&probe), StartPlan::WindowStorage);
}

#[wasm_bindgen_test]
async fn handshake_then_session_lifecycle() {
    let me = origin();
    Hub::start(config("c-life", "t-life", &[&me]))
        .await
        .unwrap();
    let port = connect("c-life").await;

    let get = r#"{"crosspass":2,"id":"g1","method":"token.get","params":{"scope":"form.read"}}"#;
    assert_eq!(error_code(call(&port, get).await), ErrorCode::LoginRequired);

    let token = access_token(
        "c-life",
        "t-life",
        "form.read form.write",
        now() + 600,
        "at+jwt",
    );
    let begin = format!(
        r#"{{"crosspass":2,"id":"b1","method":"session.begin","params":{{"access_token":"{token}"}}}}"#
    );
    port.post_message(&begin.into()).unwrap();
    // The hub pushes session.changed to its pages and answers the call; either may come first.
    let mut granted = None;
    let mut pushed = false;
    for _ in 0..2 {
        match HubMessage::decode(&next_message(&port, 2000).await.unwrap()).unwrap() {
            HubMessage::Response(r) => granted = Some(r.into_result::<SessionInfo>().unwrap()),
            HubMessage::Event(_) => pushed = true,
        }
    }
    assert!(pushed);
    let granted = granted.unwrap();
    assert_eq!(granted.scope.to_string(), "form.read form.write");
    assert!(granted.expires_at > now());

    let HubMessage::Response(r) = call(&port, get).await else {
        panic!()
    };
    let got: TokenGrant = r.into_result().unwrap();
    assert_eq!(got.access_token.expose_secret(), token);

    let wider =
        r#"{"crosspass":2,"id":"g2","method":"token.get","params":{"scope":"form.read admin"}}"#;
    assert_eq!(
        error_code(call(&port, wider).await),
        ErrorCode::LoginRequired
    );

    // Signing out revokes the token at the revocation endpoint (RFC 7009) as the
    // public client it was issued to; the requests are recorded on their way out.
    js_sys::Function::new_no_args(
        "window.__sent = []; const f = window.fetch; \
         window.fetch = (url, init) => { window.__sent.push([String(url), String(init.body)]); return f(url, init); };",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let end = r#"{"crosspass":2,"id":"e1","method":"session.end"}"#;
    port.post_message(&end.into()).unwrap();
    // session.changed comes first (the browser forgets at once), then the answer.
    let mut ended = false;
    for _ in 0..2 {
        if let HubMessage::Response(r) =
            HubMessage::decode(&next_message(&port, 2000).await.unwrap()).unwrap()
        {
            ended = r.into_result::<Ended>().is_ok();
        }
    }
    assert!(ended);
    assert_eq!(error_code(call(&port, get).await), ErrorCode::LoginRequired);
    let sent = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__sent".into()).unwrap();
    let sent: Vec<(String, String)> = Array::from(&sent)
        .iter()
        .map(|e| {
            let pair = Array::from(&e);
            (
                pair.get(0).as_string().unwrap(),
                pair.get(1).as_string().unwrap(),
            )
        })
        .collect();
    let form = format!("token={token}&token_type_hint=access_token&client_id=c-life");
    assert_eq!(sent, [("/oauth/revoke".to_owned(), form)]);
}

#[wasm_bindgen_test]
async fn tokens_bound_elsewhere_are_refused() {
    let me = origin();
    Hub::start(config("c-bind", "t-bind", &[&me]))
        .await
        .unwrap();
    let port = connect("c-bind").await;
    let cases = [
        access_token("other", "t-bind", "form.read", now() + 600, "at+jwt"),
        access_token("c-bind", "t-other", "form.read", now() + 600, "at+jwt"),
        access_token("c-bind", "t-bind", "form.read", now() + 10, "at+jwt"),
        access_token(
            "c-bind",
            "t-bind",
            "form.read",
            now() + 600,
            "oauth-id-jag+jwt",
        ),
        "not-a-jwt".to_owned(),
    ];
    for token in cases {
        let begin = format!(
            r#"{{"crosspass":2,"id":"b","method":"session.begin","params":{{"access_token":"{token}"}}}}"#
        );
        assert_eq!(
            error_code(call(&port, &begin).await),
            ErrorCode::InvalidToken
        );
    }
}

#[wasm_bindgen_test]
async fn bad_messages_get_invalid_request_and_the_hub_keeps_serving() {
    let me = origin();
    Hub::start(config("c-bad", "t-bad", &[&me])).await.unwrap();
    let port = connect("c-bad").await;
    let big = format!(
        r#"{{"crosspass":2,"id":"x","method":"storage.status","params":{{"p":"{}"}}}}"#,
        "a".repeat(70_000)
    );
    let bad = [
        "not json",
        r#"{"crosspass":2,"id":"u1","method":"nope"}"#,
        r#"{"crosspass":2,"id":"u2","method":"token.get","params":{"scope":"form.read","__proto__":{"x":1}}}"#,
        r#"{"crosspass":2,"id":"u3","method":"storage.status","extra":true}"#,
        r#"{"crosspass":2,"id":"u4","method":"hello","params":{"client_id":"c-bad","sdk_version":"t"}}"#,
        big.as_str(),
    ];
    for text in bad {
        assert_eq!(
            error_code(call(&port, text).await),
            ErrorCode::InvalidRequest,
            "{}",
            &text[..text.len().min(60)]
        );
    }
    port.post_message(&JsValue::from_f64(1.0)).unwrap();
    assert!(next_message(&port, 2000).await.is_some());
    let HubMessage::Response(r) = call(
        &port,
        r#"{"crosspass":2,"id":"s1","method":"storage.status"}"#,
    )
    .await
    else {
        panic!()
    };
    let status: crosspass_protocol::rpc::StorageStatus = r.into_result().unwrap();
    assert_eq!(status.rung, StorageRung::Unpartitioned);
}

#[wasm_bindgen_test]
async fn unregistered_origins_and_wrong_clients_get_no_answer() {
    Hub::start(config("c-deaf", "t-deaf", &["http://abc.localhost:8081"]))
        .await
        .unwrap();
    let port = post_with_port(&hello("c-deaf"));
    assert_eq!(next_message(&port, 300).await, None);

    let me = origin();
    Hub::start(config("c-right", "t-right", &[&me]))
        .await
        .unwrap();
    let port = post_with_port(&hello("c-wrong"));
    assert_eq!(next_message(&port, 300).await, None);
    let port =
        post_with_port(r#"{"crosspass":2,"id":"t","method":"token.get","params":{"scope":""}}"#);
    assert_eq!(next_message(&port, 300).await, None);
}

#[wasm_bindgen_test]
async fn an_assertion_is_redeemed_at_the_token_endpoint() {
    let me = origin();
    let token = access_token("c-grant", "t-grant", "form.read", now() + 600, "at+jwt");
    let mut cfg = config("c-grant", "t-grant", &[&me]);
    // A data: URL stands in for the token endpoint: fetch POSTs to it and gets the JSON.
    cfg.token_endpoint = format!(
        "data:application/json,{}",
        js_sys::encode_uri_component(&format!(
            r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":600}}"#
        ))
    );
    Hub::start(cfg).await.unwrap();
    let port = connect("c-grant").await;
    let begin = r#"{"crosspass":2,"id":"a1","method":"session.begin","params":{"assertion":"h.p.s","scope":"form.read"}}"#;
    port.post_message(&begin.into()).unwrap();
    let mut granted = None;
    for _ in 0..2 {
        if let HubMessage::Response(r) =
            HubMessage::decode(&next_message(&port, 3000).await.unwrap()).unwrap()
        {
            granted = Some(r.into_result::<SessionInfo>().unwrap());
        }
    }
    assert_eq!(granted.unwrap().scope.to_string(), "form.read");
    let get = r#"{"crosspass":2,"id":"g1","method":"token.get","params":{"scope":"form.read"}}"#;
    let HubMessage::Response(r) = call(&port, get).await else {
        panic!()
    };
    let got: TokenGrant = r.into_result().unwrap();
    assert_eq!(got.access_token.expose_secret(), token);
}

/// A partner not registered to receive tokens learns that it is signed in and until
/// when, never the token: `session.begin` and `session.get` carry no token, and
/// `token.get` is refused with a typed code.
#[wasm_bindgen_test]
async fn tokens_are_not_exposed_unless_the_partner_is_registered_for_them() {
    let me = origin();
    Hub::start(config_exposing("c-hidden", "t-hidden", &[&me], false))
        .await
        .unwrap();
    let port = connect("c-hidden").await;
    let token = access_token("c-hidden", "t-hidden", "form.read", now() + 600, "at+jwt");
    let begin = format!(
        r#"{{"crosspass":2,"id":"b1","method":"session.begin","params":{{"access_token":"{token}"}}}}"#
    );
    port.post_message(&begin.into()).unwrap();
    let mut texts = Vec::new();
    for _ in 0..2 {
        texts.push(next_message(&port, 2000).await.unwrap());
    }
    let get = r#"{"crosspass":2,"id":"g1","method":"token.get","params":{"scope":"form.read"}}"#;
    assert_eq!(
        error_code(call(&port, get).await),
        ErrorCode::TokenNotExposed
    );
    let session =
        r#"{"crosspass":2,"id":"s1","method":"session.get","params":{"scope":"form.read"}}"#;
    port.post_message(&session.into()).unwrap();
    let text = next_message(&port, 2000).await.unwrap();
    let HubMessage::Response(r) = HubMessage::decode(&text).unwrap() else {
        panic!()
    };
    assert_eq!(
        r.into_result::<SessionInfo>().unwrap().scope.to_string(),
        "form.read"
    );
    texts.push(text);
    for text in texts {
        assert!(!text.contains(&token), "{text}");
        assert!(!text.contains("access_token"), "{text}");
    }
}

#[wasm_bindgen_test]
async fn storage_request_on_first_party_storage_answers_at_once() {
    let me = origin();
    Hub::start(config("c-store", "t-store", &[&me]))
        .await
        .unwrap();
    let port = connect("c-store").await;
    let HubMessage::Response(r) = call(
        &port,
        r#"{"crosspass":2,"id":"q1","method":"storage.request"}"#,
    )
    .await
    else {
        panic!()
    };
    let status: crosspass_protocol::rpc::StorageStatus = r.into_result().unwrap();
    assert_eq!(status.rung, StorageRung::Unpartitioned);
    assert!(!status.can_request);
}

/// What a storage access grant gives decides the rung: a handle with usable
/// `localStorage` (Chromium) is first-party storage; a grant without one (Firefox,
/// Safari, whose grants unlock cookies only) is the cookie rung, never a claim that
/// the frame's own partitioned `localStorage` became first-party; a refusal is nothing.
#[wasm_bindgen_test]
async fn a_grant_without_a_handle_means_cookies_only() {
    let granted_without_handle = Promise::resolve(&JsValue::UNDEFINED);
    assert!(matches!(
        ladder::finish_access(granted_without_handle, Some(1_000)).await,
        Some(ladder::Access::CookiesOnly)
    ));
    let handle = js_sys::Object::new();
    js_sys::Reflect::set(
        &handle,
        &"localStorage".into(),
        &window().local_storage().unwrap().unwrap(),
    )
    .unwrap();
    assert!(matches!(
        ladder::finish_access(Promise::resolve(&JsValue::from(handle)), Some(1_000)).await,
        Some(ladder::Access::Handle(_))
    ));
    let unusable = js_sys::Object::new();
    js_sys::Reflect::set(&unusable, &"localStorage".into(), &js_sys::Object::new()).unwrap();
    assert!(
        ladder::finish_access(Promise::resolve(&JsValue::from(unusable)), Some(1_000))
            .await
            .is_none()
    );
    let refused = Promise::reject(&"NotAllowedError".into());
    assert!(ladder::finish_access(refused, Some(1_000)).await.is_none());
}
