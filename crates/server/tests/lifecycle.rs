//! The lifecycle of partners, users and tokens over real HTTP: a partner changed in
//! place is seen by the API, the token endpoint and the hub page without a restart; a
//! deleted user's token and a revoked token get 401 at once; every change, issuance,
//! refusal and revocation leaves an audit row.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use base64ct::Encoding;
use common::*;
use crosspass_protocol::ClientId;
use crosspass_server::audit::{self, AuditEvent};
use crosspass_server::embed::rotate_client_secret;
use crosspass_server::registry::PartnerUpdate;
use crosspass_server::util::now;
use reqwest::Method;
use serde_json::{json, Value};

const RECORD: &str = "/api/v1/me/record";

async fn secret(t: &TestServer, client: &str) -> String {
    rotate_client_secret(
        &t.server().state().db,
        &ClientId::new(client).unwrap(),
        0,
        now(),
    )
    .await
    .unwrap()
}

fn basic(client: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64ct::Base64::encode_string(format!("{client}:{secret}").as_bytes())
    )
}

async fn revoke(t: &TestServer, form: &[(&str, &str)], auth: Option<&str>) -> (u16, Value) {
    let mut req = t.http.post(t.url("/oauth/revoke")).form(form);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers().contains_key("x-request-id"));
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn status_of(t: &TestServer, token: &str) -> (u16, Value) {
    let r = t.call(Method::GET, RECORD, Some(token), &[], None).await;
    (r.status, r.body)
}

/// Audit events of `client` (every client with `None`) recorded by this server.
async fn audit_of(t: &TestServer, client: Option<&str>) -> Vec<AuditEvent> {
    t.server().state().audit.flush().await;
    audit::events(&t.server().state().db, client, 0, 1000)
        .await
        .unwrap()
}

fn has(events: &[AuditEvent], event: &str, outcome: &str) -> bool {
    events
        .iter()
        .any(|e| e.event == event && e.outcome == outcome)
}

/// abc's hub page: its CSP and its HTML.
async fn hub_page(t: &TestServer) -> (String, String) {
    let hub = t
        .http
        .get(t.url("/hub?client_id=abc"))
        .send()
        .await
        .unwrap();
    let csp = hub.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    (csp, hub.text().await.unwrap())
}

async fn update(t: &TestServer, client: &str, change: PartnerUpdate) {
    let db = &t.server().state().db;
    let p = change
        .apply(db.partner(client).await.unwrap().unwrap())
        .unwrap();
    assert!(db.update_partner(&p, now()).await.unwrap());
}

#[tokio::test]
async fn a_revoked_token_gets_401_at_once_and_only_its_client_may_revoke_it() {
    let t = TestServer::start().await;
    let token = t.alice_token(None).await;
    let other = t.alice_token(None).await;
    assert_eq!(status_of(&t, &token).await.0, 200);

    // Refusals change nothing.
    let (status, body) = revoke(&t, &[("token", &token)], None).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
    let (status, body) = revoke(&t, &[("client_id", "abc")], None).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_request")));
    let (status, body) = revoke(&t, &[("token", &token), ("client_id", "def")], None).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("unauthorized_client"))
    );
    let wrong = basic("abc", "xpcs_not-the-secret");
    let (status, body) = revoke(&t, &[("token", &token)], Some(&wrong)).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
    assert_eq!(status_of(&t, &token).await.0, 200);

    // The public client (the hub) names itself.
    let form = [
        ("token", token.as_str()),
        ("token_type_hint", "access_token"),
        ("client_id", "abc"),
    ];
    assert_eq!(revoke(&t, &form, None).await, (200, Value::Null));
    let (status, body) = status_of(&t, &token).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_token")));
    assert_eq!(
        body["error_description"],
        "the token was revoked, or its user deleted"
    );
    // Another sign-in of the same user is another session.
    assert_eq!(status_of(&t, &other).await.0, 200);
    // Again, or garbage: 200, nothing to revoke (RFC 7009 §2.2).
    assert_eq!(revoke(&t, &form, None).await.0, 200);
    let junk = [("token", "not.a.token"), ("client_id", "abc")];
    assert_eq!(revoke(&t, &junk, None).await.0, 200);

    // A confidential client authenticates with its secret instead.
    let s = secret(&t, "abc").await;
    let (status, _) = revoke(&t, &[("token", &other)], Some(&basic("abc", &s))).await;
    assert_eq!(status, 200);
    assert_eq!(status_of(&t, &other).await.0, 401);

    let events = audit_of(&t, Some("abc")).await;
    let revoked: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.event == "token.revoked" && e.outcome == "ok")
        .collect();
    assert_eq!(revoked.len(), 4, "{events:#?}");
    assert_eq!(revoked[0].user_id.as_deref(), Some("u_alice"));
    assert_eq!(revoked[0].tenant.as_deref(), Some("abc"));
    assert_eq!(revoked[3].actor, "client:abc");
    // Refused for naming def: recorded under the client it claimed to be.
    let def = audit_of(&t, Some("def")).await;
    assert!(
        has(&def, "token.revoke_refused", "unauthorized_client"),
        "{def:#?}"
    );
    let all = audit_of(&t, None).await;
    assert!(
        has(&all, "token.revoke_refused", "invalid_client"),
        "{all:#?}"
    );
    assert!(
        has(&all, "token.revoke_refused", "invalid_request"),
        "{all:#?}"
    );
    for e in &all {
        let row = serde_json::to_string(e).unwrap();
        assert!(!row.contains(&token) && !row.contains(&s), "{row}");
    }
    t.stop().await;
}

#[tokio::test]
async fn a_deleted_users_token_gets_401_at_once() {
    let t = TestServer::start().await;
    let token = t.alice_token(None).await;
    let form = r#"{"fields": [{"name": "company", "type": "string", "label": "Company"}]}"#;
    let tenant = crosspass_protocol::TenantId::new("abc").unwrap();
    crosspass_server::api::set_form(&t.server().state().db, &tenant, form)
        .await
        .unwrap();
    let put = t
        .call(
            Method::PUT,
            RECORD,
            Some(&token),
            &[("if-match", "\"v0\"")],
            Some(json!({"company": "ACME"})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let s = secret(&t, "abc").await;
    let path = "/api/v1/partners/abc/users/alice";

    // Only abc, authenticated, may delete abc's users.
    let r = t.call(Method::DELETE, path, None, &[], None).await;
    assert_eq!(
        (r.status, &r.body["error"]),
        (401, &json!("invalid_client"))
    );
    let def_secret = secret(&t, "def").await;
    let def = basic("def", &def_secret);
    let r = t
        .call(Method::DELETE, path, None, &[("authorization", &def)], None)
        .await;
    assert_eq!((r.status, &r.body["error"]), (403, &json!("access_denied")));
    assert_eq!(status_of(&t, &token).await.0, 200);

    let auth = basic("abc", &s);
    let r = t
        .call(
            Method::DELETE,
            path,
            None,
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (status, body) = status_of(&t, &token).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_token")));
    let r = t
        .call(
            Method::DELETE,
            path,
            None,
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!((r.status, &r.body["error"]), (404, &json!("not_found")));

    // The record went with the user, and alice can no longer sign in (abc has no JIT).
    let db = &t.server().state().db;
    let records: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM records WHERE user_id = 'u_alice'")
            .fetch_one(db.pool())
            .await
            .unwrap(),
        "n",
    );
    assert_eq!(records, 0);
    let (status, body) = t.redeem(&Partner::abc().assertion("alice")).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));

    let events = audit_of(&t, Some("abc")).await;
    let deleted = events.iter().find(|e| e.event == "user.deleted").unwrap();
    assert_eq!(deleted.user_id.as_deref(), Some("u_alice"));
    assert_eq!(deleted.actor, "client:abc");
    assert!(deleted.request_id.is_some());
    assert!(has(&events, "token.issued", "ok"));
    assert!(
        has(&events, "token.refused", "invalid_grant"),
        "{events:#?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_partner_updated_in_place_is_seen_without_a_restart() {
    // The registry is reread on every request here, so "at once" is exact.
    let t = TestServer::start_with(|c| c.registry_cache_secs = 0).await;
    let token = t.alice_token(None).await;
    let new_site = "http://new.localhost:18090";
    let from = |origin: &'static str| [("origin", origin)];
    let r = t
        .call(Method::GET, RECORD, Some(&token), &from(new_site), None)
        .await;
    assert_eq!(r.status, 403);
    let (csp, html) = hub_page(&t).await;
    assert!(!csp.contains(new_site), "{csp}");
    assert!(html.contains("\"expose_tokens\":false"));

    update(
        &t,
        "abc",
        PartnerUpdate {
            origins: Some(vec![new_site.into()]),
            scopes: Some("form.read".into()),
            token_lifetime_secs: Some(120),
            expose_tokens: Some(true),
            jit_users: Some(true),
            jwks: None,
            allow_http_origins: false,
        },
    )
    .await;

    // Origins: the new site is let in, the old one out.
    let r = t
        .call(Method::GET, RECORD, Some(&token), &from(new_site), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t
        .call(Method::GET, RECORD, Some(&token), &from(ABC_ORIGIN), None)
        .await;
    assert_eq!(r.status, 403);
    let (csp, html) = hub_page(&t).await;
    assert!(csp.contains(new_site) && !csp.contains(ABC_ORIGIN), "{csp}");
    // Token exposure, as the hub page tells the hub.
    assert!(html.contains("\"expose_tokens\":true"));
    // Scopes and lifetime, on the next token.
    // An assertion asking for more than the client may now have is refused; one within
    // it gets the new lifetime.
    let (status, body) = t.redeem(&Partner::abc().assertion("alice")).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_scope")));
    let reading = |user: &str| {
        let abc = Partner::abc();
        let mut claims = abc.claims(user);
        claims["scope"] = json!("form.read");
        abc.sign(&abc.header(), &claims)
    };
    let (status, body) = t.redeem(&reading("alice")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "form.read");
    assert_eq!(body["expires_in"], 120);
    // JIT: an unknown user now signs in.
    let (status, body) = t.redeem(&reading("newcomer")).await;
    assert_eq!(status, 200, "{body}");

    let events = audit_of(&t, Some("abc")).await;
    assert!(
        has(&events, "token.refused", "invalid_scope"),
        "{events:#?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_revoked_signing_key_leaves_the_jwks_and_its_tokens_are_refused() {
    let t = TestServer::start_with(|c| c.registry_cache_secs = 0).await;
    let token = t.alice_token(None).await;
    let kid = crosspass_protocol::jose::decode_header(&token)
        .unwrap()
        .kid
        .unwrap();
    assert_eq!(status_of(&t, &token).await.0, 200);
    let listed = |jwks: Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        listed(get_json(&t.http, &t.url("/.well-known/jwks.json")).await),
        [kid.as_str()]
    );

    // The current key: replaced, then gone.
    let db = &t.server().state().db;
    let next = crosspass_server::keys::revoke(db, &kid, 30).await.unwrap();
    assert_ne!(next, kid);
    let (status, body) = status_of(&t, &token).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_token")));
    assert_eq!(
        listed(get_json(&t.http, &t.url("/.well-known/jwks.json")).await),
        [next.as_str()]
    );
    let fresh = t.alice_token(None).await;
    assert_eq!(status_of(&t, &fresh).await.0, 200);
    assert!(matches!(
        crosspass_server::keys::revoke(db, &kid, 30).await,
        Err(crosspass_server::keys::RevokeKeyError::Unknown)
    ));
    t.stop().await;
}
