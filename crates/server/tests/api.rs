//! The data API behind the form: tokens, scopes, ETags, schema validation, CORS and
//! tenant isolation, over real HTTP.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use crosspass_protocol::claims::{AccessTokenClaims, Audience};
use crosspass_protocol::{ClientId, TenantId};
use crosspass_server::api::set_form;
use crosspass_server::util::now;
use serde_json::{json, Value};

const FORM: &str = r#"{"title": "Company", "fields": [
    {"name": "company", "type": "string", "label": "Company", "required": true, "min_length": 2, "max_length": 40},
    {"name": "employees", "type": "number", "label": "Employees", "min": 1, "integer": true},
    {"name": "plan", "type": "enum", "label": "Plan", "options": ["free", "pro"]}
]}"#;

async fn setup() -> TestServer {
    let t = TestServer::start().await;
    let db = &t.server().state().db;
    for tenant in ["abc", "def"] {
        set_form(db, &TenantId::new(tenant).unwrap(), FORM)
            .await
            .unwrap();
    }
    t
}

async fn get(t: &TestServer, token: Option<&str>, headers: &[(&str, &str)]) -> Reply {
    t.call(
        reqwest::Method::GET,
        "/api/v1/me/record",
        token,
        headers,
        None,
    )
    .await
}

async fn put(t: &TestServer, token: &str, if_match: Option<&str>, body: Value) -> Reply {
    let headers: Vec<(&str, &str)> = if_match.map(|m| ("if-match", m)).into_iter().collect();
    t.call(
        reqwest::Method::PUT,
        "/api/v1/me/record",
        Some(token),
        &headers,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn read_write_with_etags_and_schema() {
    let t = setup().await;
    let token = t.alice_token(None).await;

    let form = t
        .call(
            reqwest::Method::GET,
            "/api/v1/form",
            Some(&token),
            &[],
            None,
        )
        .await;
    assert_eq!(form.status, 200);
    assert_eq!(form.body["fields"][0]["name"], "company");
    assert_eq!(form.body["fields"][2]["options"], json!(["free", "pro"]));

    let r = get(&t, Some(&token), &[]).await;
    assert_eq!(
        (r.status, &r.body),
        (200, &json!({"data": {}, "version": 0}))
    );
    assert_eq!(r.headers["etag"], "\"v0\"");
    assert_eq!(r.headers["cache-control"], "no-store");

    let record = json!({"company": "Abc Corp", "employees": 12, "plan": "pro"});
    let r = put(&t, &token, None, record.clone()).await;
    assert_eq!(
        (r.status, r.body),
        (428, error("precondition_required", "If-Match is required"))
    );
    let r = put(&t, &token, Some("\"v0\""), record.clone()).await;
    assert_eq!(
        (r.status, &r.body),
        (200, &json!({"data": record, "version": 1}))
    );
    assert_eq!(r.headers["etag"], "\"v1\"");

    let r = put(&t, &token, Some("\"v0\""), json!({"company": "Other"})).await;
    assert_eq!(r.status, 412);
    assert_eq!(r.body["error"], "precondition_failed");
    assert_eq!(r.body["current"], json!({"data": record, "version": 1}));
    assert_eq!(r.headers["etag"], "\"v1\"");
    let r = put(&t, &token, Some("*"), json!({"company": "Other"})).await;
    assert_eq!(r.status, 412);

    let r = put(
        &t,
        &token,
        Some("\"v1\""),
        json!({"employees": 2.5, "plan": "gold", "x": 1}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["fields"],
        json!({
            "company": "required", "employees": "must be a whole number",
            "plan": "must be one of the options", "x": "unknown field",
        })
    );
    assert_eq!(get(&t, Some(&token), &[]).await.body["version"], 1);

    let r = t
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/record",
            Some(&token),
            &[("if-match", "\"v1\""), ("content-type", "text/plain")],
            None,
        )
        .await;
    assert_eq!(r.status, 415);
    let r = t
        .http
        .put(t.url("/api/v1/me/record"))
        .bearer_auth(&token)
        .header("if-match", "\"v1\"")
        .header("content-type", "application/json")
        .body("{\"company\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let deep = (0..20).fold(json!(1), |v, _| json!([v]));
    assert_eq!(
        put(&t, &token, Some("\"v1\""), json!({"company": deep}))
            .await
            .status,
        400
    );
    let big = "x".repeat(20_000);
    assert_eq!(
        put(&t, &token, Some("\"v1\""), json!({"company": big}))
            .await
            .status,
        413
    );
    let huge = "x".repeat(100_000);
    let r = put(&t, &token, Some("\"v1\""), json!({"company": huge})).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (413, Some("invalid_request"))
    );
    assert_eq!(get(&t, Some(&token), &[]).await.body["data"], record);
    t.stop().await;
}

#[tokio::test]
async fn token_and_scope_errors() {
    let t = setup().await;
    let r = get(&t, None, &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"], "invalid_token");
    assert!(r.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer error=\"invalid_token\""));
    let r = get(&t, Some("not.a.token"), &[]).await;
    assert_eq!(r.status, 401);

    let read_only = t.alice_token(Some("form.read")).await;
    assert_eq!(get(&t, Some(&read_only), &[]).await.status, 200);
    let r = put(&t, &read_only, Some("\"v0\""), json!({"company": "Abc"})).await;
    assert_eq!(
        (r.status, r.body),
        (
            403,
            error("insufficient_scope", "the token lacks the form.write scope")
        )
    );

    let expired = t.sign_access(&AccessTokenClaims {
        iat: now() - 700,
        exp: now() - 100,
        ..alice_claims()
    });
    let r = get(&t, Some(&expired), &[]).await;
    assert_eq!(
        (r.status, r.body),
        (401, error("invalid_token", "token expired"))
    );
    let wrong_aud = t.sign_access(&AccessTokenClaims {
        aud: Audience::One("http://elsewhere/api".into()),
        ..alice_claims()
    });
    let r = get(&t, Some(&wrong_aud), &[]).await;
    assert_eq!(
        (r.status, r.body),
        (401, error("invalid_token", "unexpected audience"))
    );
    // A partner-signed token, however well formed, is not an XYZ token.
    let forged = Partner::abc()
        .key
        .sign_access_token(&alice_claims())
        .unwrap();
    let r = get(&t, Some(forged.expose_secret()), &[]).await;
    assert_eq!(
        (r.status, r.body),
        (401, error("invalid_token", "unknown key id"))
    );
    t.stop().await;
}

#[tokio::test]
async fn cors_only_for_the_tokens_client_origins() {
    let t = setup().await;
    let token = t.alice_token(None).await;
    for origin in [ABC_ORIGIN, ABC_SITE2] {
        let r = get(&t, Some(&token), &[("origin", origin)]).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["access-control-allow-origin"], origin);
        assert_eq!(r.headers["vary"], "Origin");
        assert!(r.headers["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("ETag"));
    }
    for origin in [
        DEF_ORIGIN,
        "null",
        "http://evil.localhost",
        "http://abc.localhost:18081/",
    ] {
        let r = get(&t, Some(&token), &[("origin", origin)]).await;
        assert_eq!(r.status, 403, "{origin}");
        assert_eq!(r.body["error"], "access_denied");
        assert!(
            r.headers.get("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
    // A 401 is readable by registered origins only, so the widget can refresh.
    let r = get(&t, None, &[("origin", DEF_ORIGIN)]).await;
    assert_eq!(r.headers["access-control-allow-origin"], DEF_ORIGIN);
    let r = get(&t, None, &[("origin", "http://evil.localhost")]).await;
    assert!(r.headers.get("access-control-allow-origin").is_none());

    let preflight = |origin: &'static str, method: &'static str| {
        let t = &t;
        async move {
            t.call(
                reqwest::Method::OPTIONS,
                "/api/v1/me/record",
                None,
                &[
                    ("origin", origin),
                    ("access-control-request-method", method),
                    (
                        "access-control-request-headers",
                        "authorization, content-type, if-match",
                    ),
                ],
                None,
            )
            .await
        }
    };
    let r = preflight(ABC_ORIGIN, "PUT").await;
    assert_eq!(r.status, 204);
    assert_eq!(r.headers["access-control-allow-origin"], ABC_ORIGIN);
    assert_eq!(
        r.headers["access-control-allow-methods"],
        "GET, PUT, POST, DELETE"
    );
    assert_eq!(
        r.headers["access-control-allow-headers"],
        "authorization, content-type, if-match"
    );
    for (origin, method) in [
        ("http://evil.localhost", "PUT"),
        ("null", "GET"),
        (ABC_ORIGIN, "PATCH"),
    ] {
        let r = preflight(origin, method).await;
        assert!(
            r.headers.get("access-control-allow-origin").is_none(),
            "{origin} {method}"
        );
        assert!(r.headers.get("access-control-allow-methods").is_none());
    }
    t.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_writers_one_winner() {
    let t = setup().await;
    let token = t.alice_token(None).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..50 {
        let http = t.http.clone();
        let url = t.url("/api/v1/me/record");
        let token = token.clone();
        set.spawn(async move {
            let body = json!({"company": format!("Writer {i}"), "employees": i + 1});
            let r = http
                .put(url)
                .bearer_auth(token)
                .header("if-match", "\"v0\"")
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), body)
        });
    }
    let results = set.join_all().await;
    let winners: Vec<&Value> = results
        .iter()
        .filter(|r| r.0 == 200)
        .map(|r| &r.1)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| r.0 == 412).count(), 49);
    let stored = get(&t, Some(&token), &[]).await;
    assert_eq!(stored.body, json!({"data": winners[0], "version": 1}));
    t.stop().await;
}

#[tokio::test]
async fn tenants_are_isolated() {
    let t = setup().await;
    let alice = t.alice_token(None).await;
    assert_eq!(
        put(&t, &alice, Some("\"v0\""), json!({"company": "Alice Corp"}))
            .await
            .status,
        200
    );
    // bob of def (created just in time) sees only his own record, whatever the URL says.
    let (status, body) = t.redeem(&Partner::def().assertion("bob")).await;
    assert_eq!(status, 200);
    let bob = body["access_token"].as_str().unwrap().to_owned();
    for path in [
        "/api/v1/me/record",
        "/api/v1/me/record?tenant=abc",
        "/api/v1/me/record?user=u_alice&client_id=abc",
    ] {
        let r = t
            .call(reqwest::Method::GET, path, Some(&bob), &[], None)
            .await;
        assert_eq!(
            (r.status, &r.body),
            (200, &json!({"data": {}, "version": 0})),
            "{path}"
        );
    }
    let r = put(
        &t,
        &bob,
        Some("\"v1\""),
        json!({"company": "Bob", "tenant": "abc"}),
    )
    .await;
    assert_eq!(r.status, 422);
    let r = put(&t, &bob, Some("\"v1\""), json!({"company": "Bob Ltd"})).await;
    assert_eq!(r.status, 412);
    assert_eq!(r.body["current"]["version"], 0);
    // Tokens binding a user, client or tenant to another tenant fail, and so does a
    // well-signed token for a user the tenant does not have.
    for claims in [
        AccessTokenClaims {
            sub: "u_nobody".into(),
            ..alice_claims()
        },
        AccessTokenClaims {
            client_id: ClientId::new("def").unwrap(),
            ..alice_claims()
        },
        AccessTokenClaims {
            client_id: ClientId::new("def").unwrap(),
            tenant: TenantId::new("def").unwrap(),
            ..alice_claims()
        },
        AccessTokenClaims {
            tenant: TenantId::new("def").unwrap(),
            ..alice_claims()
        },
    ] {
        let token = t.sign_access(&claims);
        let r = get(&t, Some(&token), &[]).await;
        assert_eq!(r.status, 401, "{claims:?}");
        let r = put(&t, &token, Some("\"v1\""), json!({"company": "Hijack"})).await;
        assert_eq!(r.status, 401, "{claims:?}");
    }
    let r = get(&t, Some(&alice), &[]).await;
    assert_eq!(r.body["data"], json!({"company": "Alice Corp"}));
    t.stop().await;
}
