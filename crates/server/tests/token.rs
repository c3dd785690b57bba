//! The token endpoint over real HTTP: one assertion per validation rule, each breaking
//! exactly that rule, answered with exactly its error.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use crosspass_jwt::{validate_access_token, Jwks, SigningKey};
use crosspass_protocol::claims::{AccessTokenExpectations, MAX_ASSERTION_LIFETIME_SECS};
use crosspass_protocol::jose;
use crosspass_protocol::AccessToken;
use crosspass_server::db::JTI_PRUNE_MARGIN_SECS;
use crosspass_server::util::now;
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::AlgorithmExt;
use serde_json::{json, Value};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLIENT_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

fn raw(header: &Value, claims: &Value, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        jose::b64_encode(header.to_string().as_bytes()),
        jose::b64_encode(claims.to_string().as_bytes()),
        jose::b64_encode(sig)
    )
}

#[tokio::test]
async fn every_rule_fails_alone_with_its_exact_error() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let def = Partner::def();
    let h = abc.header();
    let c = || abc.claims("alice");
    let now = now();
    let attacker = SigningKey::ed25519("abc-1", &[99; 32]).unwrap();
    let hs256 = {
        let public = jose::b64_decode(
            Jwks::parse(&abc.jwks()).unwrap().to_json()["keys"][0]["x"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let header = jwt_compact::Header::empty()
            .with_key_id("abc-1")
            .with_token_type("oauth-id-jag+jwt");
        Hs256
            .token(
                &header,
                &jwt_compact::Claims::new(c()),
                &Hs256Key::new(public),
            )
            .unwrap()
    };

    let grant = |d: &str| error("invalid_grant", d);
    let cases: Vec<(&str, String, Value)> = vec![
        ("too large", "a".repeat(9000), grant("token too large")),
        (
            "not a JWS",
            "abc.def".into(),
            grant("malformed token: not a compact JWS"),
        ),
        (
            "float exp",
            abc.sign(&h, &with(c(), "exp", json!(now as f64 + 60.5))),
            grant("malformed token: invalid claims"),
        ),
        (
            "string exp",
            abc.sign(&h, &with(c(), "exp", json!((now + 60).to_string()))),
            grant("malformed token: invalid claims"),
        ),
        (
            "missing typ",
            abc.sign(&without(h.clone(), "typ"), &c()),
            grant("unexpected token type"),
        ),
        (
            "wrong typ",
            abc.sign(&with(h.clone(), "typ", json!("JWT")), &c()),
            grant("unexpected token type"),
        ),
        (
            "alg none",
            raw(&with(h.clone(), "alg", json!("none")), &c(), b""),
            grant("signature algorithm not allowed"),
        ),
        (
            "alg None",
            raw(&with(h.clone(), "alg", json!("None")), &c(), b""),
            grant("signature algorithm not allowed"),
        ),
        (
            "HS256 keyed with the public key",
            hs256,
            grant("signature algorithm not allowed"),
        ),
        (
            "missing kid",
            abc.sign(&without(h.clone(), "kid"), &c()),
            grant("missing kid header"),
        ),
        (
            "unknown iss",
            abc.sign(&h, &with(c(), "iss", json!("http://evil.localhost"))),
            grant("unknown issuer"),
        ),
        (
            "unknown kid",
            abc.sign(&with(h.clone(), "kid", json!("abc-2")), &c()),
            grant("unknown key id"),
        ),
        (
            "attacker key in jwk/jku/x5u headers",
            attacker.sign_compact(
                &json!({
                    "alg": "EdDSA", "kid": "abc-1", "typ": "oauth-id-jag+jwt",
                    "jwk": attacker.public_jwk().to_json(),
                    "jku": "http://evil.localhost/jwks.json",
                    "x5u": "http://evil.localhost/cert.pem",
                })
                .to_string(),
                &c().to_string(),
            ),
            grant("signature does not verify"),
        ),
        (
            "partner A's signature with partner B's iss",
            abc.sign(
                &with(h.clone(), "kid", json!("def-1")),
                &with(with(c(), "iss", json!(DEF_ISS)), "client_id", json!("def")),
            ),
            grant("signature algorithm not allowed"),
        ),
        (
            "partner A's key id with partner B's iss",
            abc.sign(
                &h,
                &with(with(c(), "iss", json!(DEF_ISS)), "client_id", json!("def")),
            ),
            grant("unknown key id"),
        ),
        (
            "ES256 r=s=0 under partner B",
            raw(&def.header(), &def.claims("bob"), &[0; 64]),
            grant("signature does not verify"),
        ),
        (
            "stripped signature",
            raw(&h, &c(), b""),
            grant("signature does not verify"),
        ),
        (
            "aud wrong",
            abc.sign(&h, &with(c(), "aud", json!("http://other.localhost"))),
            grant("unexpected audience"),
        ),
        (
            "aud two-element array",
            abc.sign(
                &h,
                &with(c(), "aud", json!([ISSUER, "http://other.localhost"])),
            ),
            grant("unexpected audience"),
        ),
        (
            "client_id mismatch",
            abc.sign(&h, &with(c(), "client_id", json!("def"))),
            grant("client_id does not match"),
        ),
        (
            "expired",
            abc.sign(
                &h,
                &with(with(c(), "exp", json!(now - 31)), "iat", json!(now - 100)),
            ),
            grant("token expired"),
        ),
        (
            "lifetime over 5 minutes",
            abc.sign(
                &h,
                // iat pinned too: c() reads the clock again, maybe a second later.
                &with(
                    with(c(), "iat", json!(now)),
                    "exp",
                    json!(now + MAX_ASSERTION_LIFETIME_SECS + 1),
                ),
            ),
            grant("token lifetime too long"),
        ),
        (
            "iat in the future",
            abc.sign(
                &h,
                &with(with(c(), "iat", json!(now + 60)), "exp", json!(now + 120)),
            ),
            grant("token issued in the future"),
        ),
        (
            "missing jti",
            abc.sign(&h, &without(c(), "jti")),
            grant("missing claim `jti`"),
        ),
        (
            "scope wider than registered",
            abc.sign(&h, &with(c(), "scope", json!("form.read admin"))),
            error("invalid_scope", "scope not allowed"),
        ),
        (
            "overlong sub",
            abc.sign(&h, &with(c(), "sub", json!("u".repeat(257)))),
            grant("invalid claim `sub`"),
        ),
        (
            "unknown user without just-in-time creation",
            abc.assertion("mallory"),
            grant("unknown user"),
        ),
    ];
    for (name, assertion, want) in cases {
        let (status, headers, body) = t
            .token(&[("grant_type", GRANT), ("assertion", &assertion)])
            .await;
        assert_eq!((status, &body), (400, &want), "{name}");
        assert_eq!(headers["cache-control"], "no-store", "{name}");
        assert!(!body.to_string().contains(&assertion), "{name}");
    }
    t.stop().await;
}

#[tokio::test]
async fn a_good_assertion_yields_an_access_token_that_verifies_against_the_jwks() {
    let t = TestServer::start().await;
    let (status, headers, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("assertion", &Partner::abc().assertion("alice")),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "form.read form.write");
    let token = AccessToken::new(body["access_token"].as_str().unwrap());
    assert_eq!(
        jose::decode_header(token.expose_secret())
            .unwrap()
            .typ
            .as_deref(),
        Some("at+jwt")
    );

    let jwks = t
        .http
        .get(t.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    let jwks = Jwks::parse(&jwks.text().await.unwrap()).unwrap();
    let expect = AccessTokenExpectations {
        issuer: ISSUER,
        audience: API,
        client_id: None,
        required_scope: None,
    };
    let claims = validate_access_token(&token, &jwks, &expect, now()).unwrap();
    assert_eq!(claims.sub, "u_alice");
    assert_eq!(claims.client_id.as_str(), "abc");
    assert_eq!(claims.tenant.as_str(), "abc");

    // Partner B (ES256, just-in-time users) on the same server.
    let (status, body) = t.redeem(&Partner::def().assertion("bob")).await;
    assert_eq!(status, 200, "{body}");
    // Narrowing the scope in the request.
    let (status, _, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("assertion", &Partner::def().assertion("bob")),
            ("scope", "form.read"),
        ])
        .await;
    assert_eq!((status, body["scope"].as_str()), (200, Some("form.read")));
    let (status, _, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("assertion", &Partner::def().assertion("bob")),
            ("scope", "admin"),
        ])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope");
    t.stop().await;
}

#[tokio::test]
async fn replay_is_refused_and_concurrent_redemptions_succeed_exactly_once() {
    let t = TestServer::start().await;
    let assertion = Partner::abc().assertion("alice");
    assert_eq!(t.redeem(&assertion).await.0, 200);
    assert_eq!(
        t.redeem(&assertion).await,
        (400, error("invalid_grant", "assertion already used"))
    );
    // Spent ids are forgotten only once their assertions could no longer be accepted,
    // by any replica: one whose clock runs five minutes ahead of this one prunes
    // nothing, and the replay is still refused here.
    let db = &t.server().state().db;
    assert_eq!(db.prune_jtis(now()).await.unwrap(), 0);
    assert_eq!(db.prune_jtis(now() + 300).await.unwrap(), 0);
    assert_eq!(
        t.redeem(&assertion).await,
        (400, error("invalid_grant", "assertion already used"))
    );
    let late = now() + 120 + 31 + JTI_PRUNE_MARGIN_SECS;
    assert_eq!(db.prune_jtis(late).await.unwrap(), 1);

    for _ in 0..5 {
        let assertion = Partner::abc().assertion("alice");
        let (a, b) = tokio::join!(t.redeem(&assertion), t.redeem(&assertion));
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400]);
    }
    redeem_burst_succeeds_once(&t.http, &[&t.base], &Partner::def().assertion("carol"), 20).await;
    t.stop().await;
}

#[tokio::test]
async fn request_errors() {
    let t = TestServer::start().await;
    let (status, _, body) = t.token(&[("assertion", "x")]).await;
    assert_eq!(
        (status, body),
        (400, error("invalid_request", "grant_type is required"))
    );
    let (status, _, body) = t.token(&[("grant_type", "password")]).await;
    assert_eq!(
        (status, body),
        (
            400,
            error("unsupported_grant_type", "unsupported grant_type")
        )
    );
    let (status, _, body) = t.token(&[("grant_type", GRANT)]).await;
    assert_eq!(
        (status, body),
        (400, error("invalid_request", "assertion is required"))
    );
    let (status, _, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("grant_type", GRANT),
            ("assertion", "x"),
        ])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    let r = t
        .http
        .post(t.url("/oauth/token"))
        .json(&json!({"grant_type": GRANT}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let r = t
        .http
        .post(t.url("/oauth/token"))
        .form(&[("grant_type", GRANT), ("assertion", &"a".repeat(100_000))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(r.headers()["cache-control"], "no-store");
    t.stop().await;
}

#[tokio::test]
async fn confidential_client_with_private_key_jwt() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let def = Partner::def();
    let redeem = |client_assertion: String, assertion: String| {
        let t = &t;
        async move {
            t.token(&[
                ("grant_type", GRANT),
                ("assertion", &assertion),
                ("client_assertion_type", CLIENT_ASSERTION),
                ("client_assertion", &client_assertion),
            ])
            .await
        }
    };
    let (status, _, body) = redeem(abc.client_assertion(), abc.assertion("alice")).await;
    assert_eq!(status, 200, "{body}");

    let used = abc.client_assertion();
    assert_eq!(redeem(used.clone(), abc.assertion("alice")).await.0, 200);
    let (status, headers, body) = redeem(used, abc.assertion("alice")).await;
    assert_eq!(
        (status, body),
        (
            401,
            error(
                "invalid_client",
                "client authentication failed: client assertion already used"
            )
        )
    );
    assert_eq!(headers["cache-control"], "no-store");

    // Authenticated as def, redeeming abc's assertion.
    let (status, _, body) = redeem(def.client_assertion(), abc.assertion("alice")).await;
    assert_eq!(
        (status, body),
        (400, error("invalid_grant", "client_id does not match"))
    );

    // Client assertion signed by the wrong key.
    let forged = {
        let now = now();
        SigningKey::ed25519("abc-1", &[5; 32]).unwrap().sign_compact(
            &json!({"alg": "EdDSA", "kid": "abc-1"}).to_string(),
            &json!({"iss": "abc", "sub": "abc", "aud": ISSUER, "jti": "x", "iat": now, "exp": now + 60})
                .to_string(),
        )
    };
    let (status, _, body) = redeem(forged, abc.assertion("alice")).await;
    assert_eq!(
        (status, body),
        (
            401,
            error(
                "invalid_client",
                "client authentication failed: signature does not verify"
            )
        )
    );
    // An ID-JAG is not a client assertion.
    let (status, _, body) = redeem(abc.assertion("alice"), abc.assertion("alice")).await;
    assert_eq!(
        (status, body),
        (
            401,
            error(
                "invalid_client",
                "client authentication failed: unexpected token type"
            )
        )
    );
    // client_id parameter naming another client.
    let (status, _, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("assertion", &abc.assertion("alice")),
            ("client_id", "def"),
        ])
        .await;
    assert_eq!(
        (status, body),
        (400, error("invalid_grant", "client_id does not match"))
    );
    t.stop().await;
}

#[tokio::test]
async fn metadata_and_key_rotation() {
    let t = TestServer::start().await;
    let meta: Value = get_json(&t.http, &t.url("/.well-known/oauth-authorization-server")).await;
    assert_eq!(meta["issuer"], ISSUER);
    assert_eq!(meta["token_endpoint"], format!("{ISSUER}/oauth/token"));
    assert_eq!(meta["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(
        meta["grant_types_supported"],
        json!([GRANT, "urn:ietf:params:oauth:grant-type:token-exchange"])
    );
    assert_eq!(
        meta["authorization_grant_profiles_supported"],
        json!(["urn:ietf:params:oauth:grant-profile:id-jag"])
    );
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt", "client_secret_basic", "none"])
    );

    let old = t.alice_token(None).await;
    let state = t.server().state();
    let new_key = crosspass_server::keys::rotate(&state.db, 30).await.unwrap();
    state.keys.reload(&state.db).await.unwrap();
    let jwks: Value = get_json(&t.http, &t.url("/.well-known/jwks.json")).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k.get("d").is_none()));
    let fresh = t.alice_token(None).await;
    assert_eq!(
        jose::decode_header(&fresh).unwrap().kid.as_deref(),
        Some(new_key.kid())
    );
    for token in [old, fresh] {
        let r = t
            .http
            .get(t.url("/api/v1/me/record"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    t.stop().await;
}
