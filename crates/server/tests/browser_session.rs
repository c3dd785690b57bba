//! XYZ's first-party browser session over real HTTP (the storage ladder's cookie rung):
//! only XYZ's own origin may make or use it; it mints tokens for clients of its tenant
//! within its scopes, carrying the sign-in's `sid`; signing out (a revocation, or
//! ending the browser session) or deleting the user stops it at once.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use base64ct::Encoding;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const RECORD: &str = "/api/v1/me/record";

/// `POST /hub/session` with `origin`, the bearer `token` and the `cookie`; the status,
/// the `Set-Cookie` header (if any) and the body.
async fn establish(
    t: &TestServer,
    origin: Option<&str>,
    token: Option<&str>,
    cookie: Option<&str>,
) -> (u16, Option<String>, Value) {
    send(t, Method::POST, "/hub/session", origin, token, cookie, None).await
}

async fn mint(
    t: &TestServer,
    origin: Option<&str>,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let body = serde_urlencoded(form);
    send(
        t,
        Method::POST,
        "/hub/session/token",
        origin,
        None,
        cookie,
        Some(body),
    )
    .await
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

async fn send(
    t: &TestServer,
    method: Method,
    path: &str,
    origin: Option<&str>,
    token: Option<&str>,
    cookie: Option<&str>,
    form: Option<String>,
) -> (u16, Option<String>, Value) {
    let mut req = t.http.request(method, t.url(path));
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(tok) = token {
        req = req.bearer_auth(tok);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(f) = form {
        req = req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(f);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let set_cookie = r
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    (
        status,
        set_cookie,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// The `name=value` pair of a `Set-Cookie` header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64ct::Base64UrlUnpadded::decode_vec(payload).unwrap()).unwrap()
}

async fn status_of(t: &TestServer, token: &str) -> u16 {
    t.call(Method::GET, RECORD, Some(token), &[], None)
        .await
        .status
}

#[tokio::test]
async fn only_xyzs_own_origin_makes_a_browser_session_and_it_mints_within_its_tenant_and_scopes() {
    let t = TestServer::start().await;
    let token = t.alice_token(None).await;

    // Refused, and no cookie set: no origin, a partner's origin, no token.
    for (origin, bearer, status, code) in [
        (None, Some(token.as_str()), 403, "access_denied"),
        (Some(ABC_ORIGIN), Some(token.as_str()), 403, "access_denied"),
        (Some(ISSUER), None, 401, "invalid_token"),
        (Some(ISSUER), Some("not.a.token"), 401, "invalid_token"),
    ] {
        let (s, cookie, body) = establish(&t, origin, bearer, None).await;
        assert_eq!((s, &body["error"]), (status, &json!(code)), "{origin:?}");
        assert_eq!(cookie, None);
    }

    let (s, set, _) = establish(&t, Some(ISSUER), Some(&token), None).await;
    assert_eq!(s, 204);
    let set = set.unwrap();
    // Loopback over http: the plain name, still `Secure` (a secure context) so that
    // `SameSite=None` is accepted.
    assert!(set.starts_with("crosspass_session=xpbs_"), "{set}");
    for attribute in [
        "Path=/",
        "Max-Age=43200",
        "HttpOnly",
        "SameSite=None",
        "Secure",
    ] {
        assert!(set.contains(&format!("; {attribute}")), "{set}");
    }
    let cookie = pair(&set);

    // Minting: XYZ's origin with the cookie, for a client of the session's tenant.
    let (s, _, body) = mint(&t, Some(ISSUER), Some(&cookie), &[("client_id", "abc")]).await;
    assert_eq!(s, 200, "{body}");
    let minted = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "form.read form.write");
    let (first, second) = (claims(&token), claims(&minted));
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(second["client_id"], "abc");
    // The same sign-in: the first token had no `sid`, so its `jti` names it.
    assert_eq!(second["sid"], first["jti"]);
    assert_ne!(second["jti"], first["jti"]);
    assert_eq!(status_of(&t, &minted).await, 200);

    // A narrower scope on request; never a wider one.
    let (s, _, body) = mint(
        &t,
        Some(ISSUER),
        Some(&cookie),
        &[("client_id", "abc"), ("scope", "form.read")],
    )
    .await;
    assert_eq!((s, &body["scope"]), (200, &json!("form.read")));
    let (s, _, body) = mint(
        &t,
        Some(ISSUER),
        Some(&cookie),
        &[("client_id", "abc"), ("scope", "form.read admin")],
    )
    .await;
    assert_eq!((s, &body["error"]), (400, &json!("invalid_scope")));

    // Refused: another tenant's client, no client, no cookie, a forged cookie, a
    // partner's origin, no origin.
    let forged = "crosspass_session=xpbs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for (origin, cookie, form, status, code) in [
        (
            Some(ISSUER),
            Some(cookie.as_str()),
            &[("client_id", "def")][..],
            401,
            "invalid_client",
        ),
        (
            Some(ISSUER),
            Some(cookie.as_str()),
            &[],
            400,
            "invalid_request",
        ),
        (
            Some(ISSUER),
            None,
            &[("client_id", "abc")],
            400,
            "invalid_grant",
        ),
        (
            Some(ISSUER),
            Some(forged),
            &[("client_id", "abc")],
            400,
            "invalid_grant",
        ),
        (
            Some(ABC_ORIGIN),
            Some(cookie.as_str()),
            &[("client_id", "abc")],
            403,
            "access_denied",
        ),
        (
            None,
            Some(cookie.as_str()),
            &[("client_id", "abc")],
            403,
            "access_denied",
        ),
    ] {
        let (s, _, body) = mint(&t, origin, cookie, form).await;
        assert_eq!(
            (s, &body["error"]),
            (status, &json!(code)),
            "{origin:?} {form:?}"
        );
        assert!(body.get("access_token").is_none());
    }

    // Every issuance and refusal is in the audit trail, never a token or a cookie.
    t.server().state().audit.flush().await;
    let events = crosspass_server::audit::events(&t.server().state().db, None, 0, 1000)
        .await
        .unwrap();
    let count = |event: &str, outcome: &str| {
        events
            .iter()
            .filter(|e| e.event == event && e.outcome == outcome)
            .count()
    };
    assert_eq!(count("browser_session.created", "ok"), 1, "{events:#?}");
    assert_eq!(count("browser_session.refused", "access_denied"), 2);
    let minted_events = events
        .iter()
        .filter(|e| e.grant_type.as_deref() == Some("browser-session"))
        .count();
    assert_eq!(minted_events, 2 + 1 + 6, "{events:#?}");
    let secret = cookie.split_once('=').unwrap().1;
    for e in &events {
        let row = serde_json::to_string(e).unwrap();
        assert!(!row.contains(secret) && !row.contains(&minted), "{row}");
    }
    t.stop().await;
}

#[tokio::test]
async fn signing_out_ending_the_session_or_deleting_the_user_stops_it_at_once() {
    let t = TestServer::start().await;

    // A revocation of the sign-in (the hub's sign-out) ends its browser session.
    let token = t.alice_token(None).await;
    let (_, set, _) = establish(&t, Some(ISSUER), Some(&token), None).await;
    let cookie = pair(&set.unwrap());
    let (_, _, body) = mint(&t, Some(ISSUER), Some(&cookie), &[("client_id", "abc")]).await;
    let minted = body["access_token"].as_str().unwrap().to_owned();
    let r = t
        .http
        .post(t.url("/oauth/revoke"))
        .form(&[("token", token.as_str()), ("client_id", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(status_of(&t, &minted).await, 401);
    let (s, _, body) = mint(&t, Some(ISSUER), Some(&cookie), &[("client_id", "abc")]).await;
    assert_eq!((s, &body["error"]), (400, &json!("invalid_grant")));

    // `DELETE /hub/session` ends it, revokes its tokens and clears the cookie; a second
    // establish with the old cookie replaces that session.
    let token = t.alice_token(None).await;
    let (_, set, _) = establish(&t, Some(ISSUER), Some(&token), None).await;
    let old = pair(&set.unwrap());
    let (_, set, _) = establish(&t, Some(ISSUER), Some(&token), Some(&old)).await;
    let cookie = pair(&set.unwrap());
    assert_ne!(cookie, old);
    let (s, _, _) = mint(&t, Some(ISSUER), Some(&old), &[("client_id", "abc")]).await;
    assert_eq!(s, 400, "the replaced session is gone");
    let (_, _, body) = mint(&t, Some(ISSUER), Some(&cookie), &[("client_id", "abc")]).await;
    let minted = body["access_token"].as_str().unwrap().to_owned();
    let (s, _, _) = send(
        &t,
        Method::DELETE,
        "/hub/session",
        Some(ABC_ORIGIN),
        None,
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(s, 403, "only XYZ's frames end it");
    assert_eq!(status_of(&t, &minted).await, 200);
    let (s, set, _) = send(
        &t,
        Method::DELETE,
        "/hub/session",
        Some(ISSUER),
        None,
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let set = set.unwrap();
    assert!(
        set.starts_with("crosspass_session=;") && set.contains("Max-Age=0"),
        "{set}"
    );
    assert_eq!(status_of(&t, &minted).await, 401);
    assert_eq!(status_of(&t, &token).await, 401);
    let (s, _, _) = mint(&t, Some(ISSUER), Some(&cookie), &[("client_id", "abc")]).await;
    assert_eq!(s, 400);

    // Deleting the user deletes their browser sessions.
    let token = t.alice_token(None).await;
    let (_, set, _) = establish(&t, Some(ISSUER), Some(&token), None).await;
    let cookie = pair(&set.unwrap());
    let db = &t.server().state().db;
    let tenant = crosspass_protocol::TenantId::new("abc").unwrap();
    assert!(db.delete_user(&tenant, "alice").await.unwrap().is_some());
    let (s, _, body) = mint(&t, Some(ISSUER), Some(&cookie), &[("client_id", "abc")]).await;
    assert_eq!((s, &body["error"]), (400, &json!("invalid_grant")));
    t.stop().await;
}

#[tokio::test]
async fn a_server_with_browser_sessions_off_answers_404() {
    let t = TestServer::start_with(|c| c.browser_session_secs = 0).await;
    let token = t.alice_token(None).await;
    let (s, set, body) = establish(&t, Some(ISSUER), Some(&token), None).await;
    assert_eq!((s, &body["error"]), (404, &json!("not_found")), "{body}");
    assert_eq!(set, None);
    t.stop().await;
}
