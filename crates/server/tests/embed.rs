//! Embed sessions over real HTTP: a partner server with a client secret (or its keys)
//! asks for a single-use session for one user and scope; the session is redeemed once
//! at the token endpoint for the usual access token.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use crosspass_protocol::{ClientId, TenantId};
use crosspass_server::embed::rotate_client_secret;
use serde_json::{json, Value};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const SESSION_TYPE: &str = "urn:crosspass:params:oauth:token-type:embed-session";

fn basic(client_id: &str, secret: &str) -> String {
    use base64ct::Encoding;
    format!(
        "Basic {}",
        base64ct::Base64::encode_string(format!("{client_id}:{secret}").as_bytes())
    )
}

async fn secret_for(t: &TestServer, client: &str, overlap: i64) -> String {
    let id = ClientId::new(client).unwrap();
    rotate_client_secret(&t.server().state().db, &id, overlap, now())
        .await
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn create(t: &TestServer, authorization: &str, body: Value) -> Reply {
    t.call(
        reqwest::Method::POST,
        "/api/v1/embed-sessions",
        None,
        &[("authorization", authorization)],
        Some(body),
    )
    .await
}

/// A new session for alice made with `secret`.
async fn alice_session(t: &TestServer, secret: &str) -> String {
    let made = create(t, &basic("abc", secret), json!({"user": "alice"})).await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body["session"].as_str().unwrap().to_owned()
}

async fn redeem(t: &TestServer, client: &str, session: &str) -> (u16, Value) {
    let (status, headers, body) = t
        .token(&[
            ("grant_type", EXCHANGE),
            ("subject_token", session),
            ("subject_token_type", SESSION_TYPE),
            ("client_id", client),
        ])
        .await;
    assert_eq!(headers["cache-control"], "no-store");
    (status, body)
}

#[tokio::test]
async fn a_session_made_with_the_client_secret_is_redeemed_once() {
    let t = TestServer::start().await;
    let secret = secret_for(&t, "abc", 0).await;
    assert!(
        secret.starts_with("xpcs_") && secret.len() >= 5 + 43,
        "{secret}"
    );

    let made = create(&t, &basic("abc", &secret), json!({"user": "alice"})).await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.headers["cache-control"], "no-store");
    let session = made.body["session"].as_str().unwrap().to_owned();
    // 256 random bits, base64url: never a counter.
    assert!(
        session.starts_with("xpes_") && session.len() == 5 + 43,
        "{session}"
    );
    let expires_in = made.body["expires_in"].as_i64().unwrap();
    assert!(expires_in <= 120);
    assert_eq!(made.body["scope"], "form.read form.write");
    let again = create(&t, &basic("abc", &secret), json!({"user": "alice"})).await;
    assert_ne!(again.body["session"], made.body["session"]);

    let (status, body) = redeem(&t, "abc", &session).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let record = t
        .call(
            reqwest::Method::GET,
            "/api/v1/me/record",
            Some(token),
            &[],
            None,
        )
        .await;
    assert!(matches!(record.status, 200 | 404), "{}", record.body);

    // Spent: the second redemption is refused, whoever tries.
    let (status, body) = redeem(&t, "abc", &session).await;
    assert_eq!(
        (status, body),
        (
            400,
            error(
                "invalid_grant",
                "unknown, expired or already used embed session"
            )
        )
    );
    t.stop().await;
}

#[tokio::test]
async fn wrong_secrets_clients_and_users_are_refused() {
    let t = TestServer::start().await;
    let secret = secret_for(&t, "abc", 0).await;
    for authorization in [
        basic("abc", "xpcs_wrong"),
        basic("def", &secret),
        basic("nope", &secret),
        basic("abc", ""),
        "Basic !!!".to_owned(),
        "Bearer not-a-client-assertion".to_owned(),
    ] {
        let r = create(&t, &authorization, json!({"user": "alice"})).await;
        assert_eq!(r.status, 401, "{authorization}: {}", r.body);
        assert_eq!(r.body["error"], "invalid_client");
    }
    let r = t
        .call(
            reqwest::Method::POST,
            "/api/v1/embed-sessions",
            None,
            &[],
            Some(json!({"user": "alice"})),
        )
        .await;
    assert_eq!(r.status, 401);

    let auth = basic("abc", &secret);
    // A user of another tenant is unknown to abc.
    t.server()
        .state()
        .db
        .upsert_user(
            &TenantId::new("def").unwrap(),
            "dave",
            None,
            "u_dave",
            now(),
        )
        .await
        .unwrap();
    let r = create(&t, &auth, json!({"user": "dave"})).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let def_secret = secret_for(&t, "def", 0).await;
    let r = create(&t, &basic("def", &def_secret), json!({"user": "dave"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    for (body, code) in [
        (json!({"user": "alice", "scope": "admin"}), "invalid_scope"),
        (json!({"user": "alice", "scope": ""}), "invalid_scope"),
        (json!({"user": ""}), "invalid_request"),
        (json!({"user": "alice", "extra": 1}), "invalid_request"),
        (json!({"scope": "form.read"}), "invalid_request"),
    ] {
        let r = create(&t, &auth, body.clone()).await;
        assert_eq!(r.body["error"], code, "{body}: {}", r.body);
    }

    // Redeemed for another client: refused, and spent all the same.
    let session = alice_session(&t, &secret).await;
    assert_eq!(redeem(&t, "def", &session).await.0, 400);
    assert_eq!(redeem(&t, "abc", &session).await.0, 400);
    assert_eq!(redeem(&t, "abc", "xpes_made-up").await.0, 400);
    t.stop().await;
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let t = TestServer::start().await;
    let secret = secret_for(&t, "abc", 0).await;
    let session = alice_session(&t, &secret).await;
    sqlx::query("UPDATE embed_sessions SET expires_at = $1")
        .bind(now() - 1)
        .execute(t.server().state().db.pool())
        .await
        .unwrap();
    assert_eq!(redeem(&t, "abc", &session).await.0, 400);
    t.stop().await;
}

#[tokio::test]
async fn a_rotated_secret_works_during_its_overlap_only() {
    let t = TestServer::start().await;
    let first = secret_for(&t, "abc", 0).await;
    let second = secret_for(&t, "abc", 3600).await;
    for s in [&first, &second] {
        assert_eq!(
            create(&t, &basic("abc", s), json!({"user": "alice"}))
                .await
                .status,
            201
        );
    }
    // Rotated again without overlap: only the newest works.
    let third = secret_for(&t, "abc", 0).await;
    for s in [&first, &second] {
        assert_eq!(
            create(&t, &basic("abc", s), json!({"user": "alice"}))
                .await
                .status,
            401
        );
    }
    assert_eq!(
        create(&t, &basic("abc", &third), json!({"user": "alice"}))
            .await
            .status,
        201
    );
    t.stop().await;
}

#[tokio::test]
async fn a_read_only_session_cannot_write_and_keys_still_work() {
    let t = TestServer::start().await;
    // private_key_jwt works as well as a client secret.
    let made = create(
        &t,
        &format!("Bearer {}", Partner::abc().client_assertion()),
        json!({"user": "alice", "scope": "form.read"}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let session = made.body["session"].as_str().unwrap();
    let (status, body) = redeem(&t, "abc", session).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "form.read");
    let token = body["access_token"].as_str().unwrap();
    let put = t
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/record",
            Some(token),
            &[("if-none-match", "*")],
            Some(json!({"company": "Nope"})),
        )
        .await;
    assert_eq!(put.status, 403, "{}", put.body);
    t.stop().await;
}

#[tokio::test]
async fn concurrent_redemptions_succeed_once() {
    let t = TestServer::start().await;
    let secret = secret_for(&t, "abc", 0).await;
    let session = alice_session(&t, &secret).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (http, url, session) = (t.http.clone(), t.url("/oauth/token"), session.clone());
        set.spawn(async move {
            http.post(url)
                .form(&[
                    ("grant_type", EXCHANGE),
                    ("subject_token", &session),
                    ("subject_token_type", SESSION_TYPE),
                    ("client_id", "abc"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses = set.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        15,
        "{statuses:?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn the_metadata_lists_the_grant_and_the_auth_method() {
    let t = TestServer::start().await;
    let m = get_json(&t.http, &t.url("/.well-known/oauth-authorization-server")).await;
    assert!(m["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("client_secret_basic")));
    assert!(m["token_exchange_subject_token_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!(SESSION_TYPE)));
    t.stop().await;
}
