//! Chained delegation (chained delegation) over real HTTP: account links made only from signed
//! statements, token exchange for downstream audiences with its every refusal, a
//! second exchange nesting `act`, and the record sync that sends a saved record to a
//! real listening downstream with an exchanged token.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::*;
use crosspass_jwt::{validate_access_token, Jwks, SigningKey};
use crosspass_protocol::claims::{AccessTokenClaims, AccessTokenExpectations, Audience};
use crosspass_protocol::jose;
use crosspass_protocol::{AccessToken, ClientId, TenantId};
use crosspass_server::api::set_form;
use crosspass_server::registry::{DownstreamInput, ServiceInput};
use crosspass_server::util::{now, random_id};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MYHEALTH: &str = "http://myhealth.localhost:18084";
const LABS: &str = "http://labs.localhost:18085";
const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const CLIENT_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A downstream: the key it signs link statements with.
struct Downstream {
    issuer: &'static str,
    key: SigningKey,
}

impl Downstream {
    fn myhealth() -> Self {
        Downstream {
            issuer: MYHEALTH,
            key: SigningKey::p256("mh-1", &[41; 32]).unwrap(),
        }
    }

    fn labs() -> Self {
        Downstream {
            issuer: LABS,
            key: SigningKey::ed25519("labs-1", &[42; 32]).unwrap(),
        }
    }

    fn claims(&self, sub: &str) -> Value {
        let now = now();
        json!({"iss": self.issuer, "sub": sub, "aud": ISSUER, "jti": random_id(12),
               "iat": now, "exp": now + 120})
    }

    fn sign(&self, typ: &str, claims: &Value) -> String {
        let header = json!({"alg": self.key.alg().as_str(), "kid": self.key.kid(), "typ": typ});
        self.key
            .sign_compact(&header.to_string(), &claims.to_string())
    }

    /// A fresh statement that `sub` is this downstream's user, carrying no nonce.
    fn statement(&self, sub: &str) -> String {
        self.sign("account-link+jwt", &self.claims(sub))
    }

    /// A fresh statement that `sub` is this downstream's user, signing back `nonce`.
    fn statement_with(&self, sub: &str, nonce: &str) -> String {
        let mut claims = self.claims(sub);
        claims["nonce"] = json!(nonce);
        self.sign("account-link+jwt", &claims)
    }

    /// Its id in the registry.
    fn id(&self) -> &'static str {
        if self.issuer == MYHEALTH {
            "myhealth"
        } else {
            "labs"
        }
    }
}

/// A link nonce XYZ issues to the token's user for `downstream`.
async fn nonce(t: &TestServer, token: &str, downstream: &str) -> String {
    let r = t
        .call(
            reqwest::Method::POST,
            "/api/v1/me/links/nonces",
            Some(token),
            &[],
            Some(json!({ "downstream": downstream })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["nonce"].as_str().unwrap().to_owned()
}

/// A statement by `d` that `sub` is its user, bound to the token's XYZ user.
async fn bound(t: &TestServer, token: &str, d: &Downstream, sub: &str) -> String {
    d.statement_with(sub, &nonce(t, token, d.id()).await)
}

/// A fresh partner assertion for the token's user, as the partner would sign it:
/// the step-up proof a link needs.
async fn step_up(t: &TestServer, token: &str) -> String {
    let claims: Value = jose::decode_claims_unverified(token).unwrap();
    let partner = match claims["client_id"].as_str().unwrap() {
        "abc" => Partner::abc(),
        _ => Partner::def(),
    };
    let row = sqlx::query("SELECT external_id FROM users WHERE id = $1")
        .bind(claims["sub"].as_str().unwrap())
        .fetch_one(t.server().state().db.pool())
        .await
        .unwrap();
    partner.assertion(&sqlx::Row::get::<String, _>(&row, "external_id"))
}

/// A service that exchanges tokens: its client id and key.
fn service(client_id: &'static str, seed: u8) -> Partner {
    Partner {
        client_id,
        issuer: "",
        key: SigningKey::ed25519(format!("{client_id}-1"), &[seed; 32]).unwrap(),
    }
}

fn portal() -> Partner {
    service("portal", 51)
}

fn mh_backend() -> Partner {
    service("mh-backend", 52)
}

/// Registers myhealth (record sync to `sync_url`) and labs, and three services:
/// `portal` (user tokens → myhealth), `mh-backend` (myhealth tokens → labs) and the
/// keyless `records-sync` (user tokens → myhealth, in-process only).
async fn register(t: &TestServer, sync_url: Option<String>) {
    let db = &t.server().state().db;
    let jwks = |k: &SigningKey| {
        Jwks::new(vec![k.public_jwk()])
            .unwrap()
            .to_json()
            .to_string()
    };
    let mut downstreams = Vec::new();
    for (id, d, sync) in [
        ("myhealth", Downstream::myhealth(), sync_url),
        ("labs", Downstream::labs(), None),
    ] {
        let downstream = DownstreamInput {
            id: id.into(),
            audience: d.issuer.into(),
            issuer: d.issuer.into(),
            jwks: jwks(&d.key),
            scopes: "form.read".into(),
            token_lifetime_secs: 300,
            sync_url: sync,
        }
        .validate(&[ISSUER, API])
        .unwrap();
        db.insert_downstream(&downstream, now()).await.unwrap();
        downstreams.push(downstream);
    }
    for (client_id, key, accepts, target) in [
        ("portal", Some(portal().key), API, "myhealth"),
        ("mh-backend", Some(mh_backend().key), MYHEALTH, "labs"),
        ("records-sync", None, API, "myhealth"),
    ] {
        let s = ServiceInput {
            client_id: client_id.into(),
            jwks: key.as_ref().map(jwks),
            accepts: vec![accepts.into()],
            targets: vec![target.into()],
        }
        .validate(API, &downstreams)
        .unwrap();
        db.insert_service(&s, now()).await.unwrap();
    }
}

/// Links with `statement`, and a fresh assertion for the token's user.
async fn link(t: &TestServer, token: &str, statement: &str) -> Reply {
    let assertion = step_up(t, token).await;
    link_with(
        t,
        token,
        json!({ "statement": statement, "assertion": assertion }),
    )
    .await
}

async fn link_with(t: &TestServer, token: &str, body: Value) -> Reply {
    t.call(
        reqwest::Method::POST,
        "/api/v1/me/links",
        Some(token),
        &[],
        Some(body),
    )
    .await
}

async fn record(t: &TestServer, token: &str) -> Reply {
    t.call(
        reqwest::Method::GET,
        "/api/v1/me/record",
        Some(token),
        &[],
        None,
    )
    .await
}

async fn unlink(t: &TestServer, token: &str) -> Reply {
    let path = "/api/v1/me/links/myhealth";
    t.call(reqwest::Method::DELETE, path, Some(token), &[], None)
        .await
}

async fn links(t: &TestServer, token: &str) -> Value {
    t.call(
        reqwest::Method::GET,
        "/api/v1/me/links",
        Some(token),
        &[],
        None,
    )
    .await
    .body
}

/// A token exchange request by `client` (with a fresh client assertion) for
/// `subject`, with the form `extra` added (or, with an empty value, removed).
async fn exchange(
    t: &TestServer,
    client: Option<&Partner>,
    subject: &str,
    extra: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let assertion = client.map(Partner::client_assertion);
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS_TOKEN),
        ("audience", MYHEALTH),
    ];
    if let Some(a) = &assertion {
        form.push(("client_assertion_type", CLIENT_ASSERTION));
        form.push(("client_assertion", a));
    }
    for (k, v) in extra {
        form.retain(|(name, _)| name != k);
        if !v.is_empty() {
            form.push((k, v));
        }
    }
    t.token(&form).await
}

/// Verifies `token` as the downstream `audience` does.
async fn downstream_view(t: &TestServer, token: &str, audience: &str) -> AccessTokenClaims {
    validate_access_token(
        &AccessToken::new(token),
        &xyz_keys(t).await,
        &AccessTokenExpectations {
            issuer: ISSUER,
            audience,
            client_id: None,
            required_scope: None,
        },
        now(),
    )
    .unwrap()
}

/// A token for def's user dave (def creates users just in time).
async fn dave_token(t: &TestServer) -> String {
    let (status, body) = t.redeem(&Partner::def().assertion("dave")).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn user_token_to_myhealth_to_labs_with_act_nested() {
    let t = TestServer::start().await;
    register(&t, None).await;
    let alice = t.alice_token(None).await;
    let r = link(
        &t,
        &alice,
        &bound(&t, &alice, &Downstream::myhealth(), "p-1001").await,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["downstream"], "myhealth");
    assert_eq!(r.body["subject"], "p-1001");
    assert_eq!(
        link(
            &t,
            &alice,
            &bound(&t, &alice, &Downstream::labs(), "lab-77").await
        )
        .await
        .status,
        201
    );
    let listed = links(&t, &alice).await;
    let linked: Vec<(&str, &str)> = listed["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["downstream"].as_str().unwrap(),
                l["subject"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(linked, [("labs", "lab-77"), ("myhealth", "p-1001")]);

    // Hop 1: the portal service trades alice's XYZ token for a MyHealth token.
    let (status, headers, body) = exchange(&t, Some(&portal()), &alice, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["issued_token_type"], ACCESS_TOKEN);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "form.read");
    let expires_in = body["expires_in"].as_i64().unwrap();
    assert!((295..=300).contains(&expires_in), "{expires_in}");
    let hop1 = body["access_token"].as_str().unwrap().to_owned();
    let claims = downstream_view(&t, &hop1, MYHEALTH).await;
    assert_eq!(claims.sub, "p-1001");
    assert_eq!(claims.aud, Audience::One(MYHEALTH.into()));
    assert_eq!(claims.client_id, ClientId::new("portal").unwrap());
    assert_eq!(claims.tenant, TenantId::new("abc").unwrap());
    assert_eq!(
        serde_json::to_value(&claims.act).unwrap(),
        json!({"sub": "portal"})
    );
    // The MyHealth token is for MyHealth only: XYZ's API refuses it.
    let r = record(&t, &hop1).await;
    assert_eq!(r.status, 401);

    // Hop 2: MyHealth's backend trades that token for a Labs token.
    let (status, _, body) = exchange(
        &t,
        Some(&mh_backend()),
        &hop1,
        &[("audience", ""), ("resource", LABS)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let claims = downstream_view(&t, body["access_token"].as_str().unwrap(), LABS).await;
    assert_eq!(claims.sub, "lab-77");
    assert_eq!(claims.client_id, ClientId::new("mh-backend").unwrap());
    assert_eq!(
        serde_json::to_value(&claims.act).unwrap(),
        json!({"sub": "mh-backend", "act": {"sub": "portal"}})
    );
    assert_eq!(claims.scope.to_string(), "form.read");

    let metadata = get_json(&t.http, &t.url("/.well-known/oauth-authorization-server")).await;
    assert!(metadata["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!(EXCHANGE)));
    t.stop().await;
}

/// A refused exchange: its name, the client, the subject token, the form changes and
/// the error.
type Case<'a> = (
    &'a str,
    Option<&'a Partner>,
    &'a str,
    Vec<(&'a str, &'a str)>,
    Value,
);

#[tokio::test]
async fn every_exchange_refusal_has_its_exact_error() {
    let t = TestServer::start().await;
    register(&t, None).await;
    let alice = t.alice_token(None).await;
    assert_eq!(
        link(
            &t,
            &alice,
            &bound(&t, &alice, &Downstream::myhealth(), "p-1001").await
        )
        .await
        .status,
        201
    );
    let (_, _, hop1) = exchange(&t, Some(&portal()), &alice, &[]).await;
    let hop1 = hop1["access_token"].as_str().unwrap().to_owned();
    let dave = dave_token(&t).await;
    let alice_claims = AccessTokenClaims {
        iss: ISSUER.into(),
        sub: "u_alice".into(),
        aud: Audience::One(API.into()),
        client_id: ClientId::new("abc").unwrap(),
        tenant: TenantId::new("abc").unwrap(),
        scope: "form.read form.write".parse().unwrap(),
        jti: random_id(8),
        iat: now() - 700,
        exp: now() - 100,
        act: None,
        sid: None,
    };
    let expired = t.sign_access(&alice_claims);
    let forged = SigningKey::ed25519(t.server().state().keys.get().current.kid(), &[77; 32])
        .unwrap()
        .sign_access_token(&AccessTokenClaims {
            exp: now() + 600,
            ..alice_claims.clone()
        })
        .unwrap()
        .expose_secret()
        .to_owned();
    let id_jag = Partner::abc().assertion("alice");
    let stranger = Partner {
        client_id: "portal",
        issuer: "",
        key: SigningKey::ed25519("portal-1", &[99; 32]).unwrap(),
    };
    let replayed = portal().client_assertion();
    let first_use = [
        ("client_assertion_type", CLIENT_ASSERTION),
        ("client_assertion", replayed.as_str()),
    ];
    let (status, _, _) = exchange(&t, None, &alice, &first_use).await;
    assert_eq!(status, 200);

    let request = |d: &str| error("invalid_request", d);
    let client = |d: &str| error("invalid_client", d);
    let grant = |d: &str| error("invalid_grant", d);
    let target = |d: &str| error("invalid_target", d);
    let scope = |d: &str| error("invalid_scope", d);
    let p = portal();
    let abc = Partner::abc();
    let keyless = service("records-sync", 53);
    let cases: Vec<Case> = vec![
        (
            "unknown audience",
            Some(&p),
            &alice,
            vec![("audience", "http://nowhere.localhost")],
            target("unknown audience"),
        ),
        (
            "an audience the client may not ask for",
            Some(&p),
            &alice,
            vec![("audience", LABS)],
            target("this client may not obtain tokens for that audience"),
        ),
        (
            "resource that is not an absolute URI",
            Some(&p),
            &alice,
            vec![("audience", ""), ("resource", "myhealth")],
            target("resource must be an absolute URI without a fragment"),
        ),
        (
            "audience and resource disagree",
            Some(&p),
            &alice,
            vec![("resource", LABS)],
            target("audience and resource name different targets; ask for one"),
        ),
        (
            "no target",
            Some(&p),
            &alice,
            vec![("audience", "")],
            request("audience or resource is required"),
        ),
        (
            "a scope the audience does not accept",
            Some(&p),
            &alice,
            vec![("scope", "form.write")],
            scope("the requested scope is wider than the subject token's or the audience's"),
        ),
        (
            "a scope the subject token lacks",
            Some(&p),
            &alice,
            vec![("scope", "form.read admin")],
            scope("the requested scope is wider than the subject token's or the audience's"),
        ),
        (
            "subject_token_type id_token",
            Some(&p),
            &alice,
            vec![(
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            )],
            request("subject_token_type must be urn:ietf:params:oauth:token-type:access_token or urn:crosspass:params:oauth:token-type:embed-session"),
        ),
        (
            "no subject_token_type",
            Some(&p),
            &alice,
            vec![("subject_token_type", "")],
            request("subject_token_type is required"),
        ),
        (
            "requested_token_type id-jag",
            Some(&p),
            &alice,
            vec![(
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:id-jag",
            )],
            request("requested_token_type must be urn:ietf:params:oauth:token-type:access_token"),
        ),
        (
            "an ID-JAG as subject token",
            Some(&p),
            &id_jag,
            vec![],
            request("subject_token: unexpected token type"),
        ),
        (
            "not a JWT as subject token",
            Some(&p),
            "opaque",
            vec![],
            request("subject_token: malformed token: not a compact JWS"),
        ),
        (
            "an actor token",
            Some(&p),
            &alice,
            vec![("actor_token", &alice), ("actor_token_type", ACCESS_TOKEN)],
            request("actor_token is not supported: the authenticated client is the actor"),
        ),
        (
            "no client authentication",
            None,
            &alice,
            vec![],
            client("token exchange requires client authentication (private_key_jwt)"),
        ),
        (
            "client assertion signed with another key",
            Some(&stranger),
            &alice,
            vec![],
            client("client authentication failed: signature does not verify"),
        ),
        (
            "a replayed client assertion",
            None,
            &alice,
            first_use.to_vec(),
            client("client authentication failed: client assertion already used"),
        ),
        (
            "a partner is no service",
            Some(&abc),
            &alice,
            vec![],
            client("client authentication failed: unknown issuer"),
        ),
        (
            "a keyless service cannot authenticate",
            Some(&keyless),
            &alice,
            vec![],
            client("client authentication failed: unknown key id"),
        ),
        (
            "an expired subject token",
            Some(&p),
            &expired,
            vec![],
            grant("subject_token: token expired"),
        ),
        (
            "a forged subject token",
            Some(&p),
            &forged,
            vec![],
            grant("subject_token: signature does not verify"),
        ),
        (
            "a subject token addressed to another client",
            Some(&p),
            &hop1,
            vec![],
            grant("subject_token is not addressed to this client"),
        ),
        (
            "a user with no account at the audience",
            Some(&p),
            &dave,
            vec![],
            grant("the user has no account linked at that audience"),
        ),
    ];
    for (name, client, subject, extra, want) in cases {
        let (status, headers, body) = exchange(&t, client, subject, &extra).await;
        let code = want["error"].as_str().unwrap();
        let want_status = if code == "invalid_client" { 401 } else { 400 };
        assert_eq!((status, &body), (want_status, &want), "{name}");
        assert_eq!(headers["cache-control"], "no-store", "{name}");
        assert!(!body.to_string().contains(subject), "{name}");
    }
    t.stop().await;
}

#[tokio::test]
async fn links_are_made_only_from_genuine_fresh_statements() {
    let t = TestServer::start().await;
    register(&t, None).await;
    let alice = t.alice_token(None).await;
    let mh = Downstream::myhealth();
    let good = bound(&t, &alice, &mh, "p-1001").await;
    assert_eq!(link(&t, &alice, &good).await.status, 201);
    let impostor = Downstream {
        issuer: MYHEALTH,
        key: SigningKey::p256("mh-1", &[43; 32]).unwrap(),
    };
    let unknown = Downstream {
        issuer: "http://evil.localhost",
        key: SigningKey::p256("mh-1", &[41; 32]).unwrap(),
    };
    let mut foreign_aud = mh.claims("p-2");
    foreign_aud["aud"] = json!("http://other.localhost");
    let mut long = mh.claims("p-2");
    long["exp"] = json!(now() + 3600);
    let grant = |d: &str| error("invalid_grant", d);
    let cases = [
        ("replayed", good.clone(), grant("statement already used")),
        (
            "from an unregistered issuer",
            unknown.statement("p-2"),
            grant("statement: unknown issuer"),
        ),
        (
            "signed with a key MyHealth never registered",
            impostor.statement("p-2"),
            grant("statement: signature does not verify"),
        ),
        (
            "for another audience",
            mh.sign("account-link+jwt", &foreign_aud),
            grant("statement: unexpected audience"),
        ),
        (
            "living an hour",
            mh.sign("account-link+jwt", &long),
            grant("statement: token lifetime too long"),
        ),
        (
            "an ID-JAG instead",
            Partner::abc().assertion("alice"),
            grant("statement: unexpected token type"),
        ),
        (
            "an access token instead",
            alice.clone(),
            grant("statement: unexpected token type"),
        ),
    ];
    for (name, statement, want) in cases {
        let r = link(&t, &alice, &statement).await;
        assert_eq!((r.status, &r.body), (400, &want), "{name}");
    }
    // An identifier the user types is no statement.
    let r = link_with(
        &t,
        &alice,
        json!({"downstream": "myhealth", "subject": "p-2"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "invalid_request");
    // Nothing of that changed the link.
    assert_eq!(links(&t, &alice).await["links"][0]["subject"], "p-1001");
    assert_eq!(
        links(&t, &alice).await["links"].as_array().unwrap().len(),
        1
    );

    // One MyHealth account belongs to one XYZ user.
    let dave = dave_token(&t).await;
    let r = link(&t, &dave, &bound(&t, &dave, &mh, "p-1001").await).await;
    assert_eq!(
        (r.status, &r.body),
        (
            409,
            &error(
                "conflict",
                "that account is already linked to another XYZ user"
            )
        )
    );
    // The user's side is authenticated too, and needs form.write.
    let r = t
        .call(
            reqwest::Method::POST,
            "/api/v1/me/links",
            None,
            &[],
            Some(json!({"statement": mh.statement("p-3")})),
        )
        .await;
    assert_eq!(r.status, 401);
    let reader = t.alice_token(Some("form.read")).await;
    let r = link(&t, &reader, &mh.statement("p-3")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["error"], "insufficient_scope");

    // A link is never replaced: the same statement's subject again is a no-op (200),
    // another is refused until the user unlinks.
    let again = link(&t, &alice, &bound(&t, &alice, &mh, "p-1001").await).await;
    assert_eq!(
        (again.status, &again.body["subject"]),
        (200, &json!("p-1001"))
    );
    let r = link(&t, &alice, &bound(&t, &alice, &mh, "p-2").await).await;
    assert_eq!(
        (r.status, &r.body),
        (
            409,
            &error(
                "conflict",
                "the user already has a linked account at this downstream: unlink it first"
            )
        )
    );
    assert_eq!(links(&t, &alice).await["links"][0]["subject"], "p-1001");
    assert_eq!(unlink(&t, &alice).await.status, 204);
    assert_eq!(unlink(&t, &alice).await.status, 404);
    assert_eq!(links(&t, &alice).await, json!({"links": []}));
    assert_eq!(
        link(&t, &alice, &bound(&t, &alice, &mh, "p-2").await)
            .await
            .status,
        201
    );
    t.stop().await;
}

#[tokio::test]
async fn a_statement_links_only_the_user_its_nonce_was_issued_to_and_only_with_a_fresh_sign_in() {
    let t = TestServer::start().await;
    register(&t, None).await;
    let alice = t.alice_token(None).await;
    let dave = dave_token(&t).await;
    let mh = Downstream::myhealth();
    let grant = |d: &str| error("invalid_grant", d);
    let foreign =
        "statement: its nonce was not issued to this user for this downstream, or is spent";

    // A statement without a nonce is a bearer token for anyone: refused.
    let r = link(&t, &alice, &mh.statement("p-1001")).await;
    assert_eq!(
        (r.status, &r.body),
        (400, &grant("statement: missing claim `nonce`"))
    );
    // Dave's statement (his nonce) cannot link alice, whoever carries it.
    let daves = mh.statement_with("p-1001", &nonce(&t, &dave, "myhealth").await);
    let r = link(&t, &alice, &daves).await;
    assert_eq!((r.status, &r.body), (400, &grant(foreign)));
    // A nonce issued for Labs does not link MyHealth; a made-up one links nothing.
    let for_labs = nonce(&t, &alice, "labs").await;
    let r = link(&t, &alice, &mh.statement_with("p-1001", &for_labs)).await;
    assert_eq!((r.status, &r.body), (400, &grant(foreign)));
    let r = link(&t, &alice, &mh.statement_with("p-1001", "xpln_made-up")).await;
    assert_eq!((r.status, &r.body), (400, &grant(foreign)));
    // A nonce is spent once.
    let n = nonce(&t, &alice, "myhealth").await;
    assert_eq!(
        link(&t, &alice, &mh.statement_with("p-1001", &n))
            .await
            .status,
        201
    );
    assert_eq!(unlink(&t, &alice).await.status, 204);
    let r = link(&t, &alice, &mh.statement_with("p-1001", &n)).await;
    assert_eq!((r.status, &r.body), (400, &grant(foreign)));
    let r = t
        .call(
            reqwest::Method::POST,
            "/api/v1/me/links/nonces",
            Some(&alice),
            &[],
            Some(json!({"downstream": "nowhere"})),
        )
        .await;
    assert_eq!(r.status, 404);

    // A stolen access token alone cannot link: the partner must vouch for the same
    // user with a fresh, single-use assertion.
    let statement = bound(&t, &alice, &mh, "p-1001").await;
    let r = link_with(&t, &alice, json!({ "statement": statement })).await;
    assert_eq!(
        (r.status, &r.body["error"]),
        (400, &json!("invalid_request"))
    );
    let bobs = Partner::abc().assertion("bob");
    let r = link_with(
        &t,
        &alice,
        json!({ "statement": statement, "assertion": bobs }),
    )
    .await;
    assert_eq!(
        (r.status, &r.body),
        (
            403,
            &error(
                "access_denied",
                "assertion: it is not for the signed-in user"
            )
        )
    );
    let defs = Partner::def().assertion("alice");
    let r = link_with(
        &t,
        &alice,
        json!({ "statement": statement, "assertion": defs }),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let used = step_up(&t, &alice).await;
    assert_eq!(t.redeem(&used).await.0, 200);
    let r = link_with(
        &t,
        &alice,
        json!({ "statement": statement, "assertion": used }),
    )
    .await;
    assert_eq!((r.status, &r.body), (400, &grant("assertion already used")));
    assert_eq!(links(&t, &alice).await, json!({"links": []}));
    // With it, the very same statement links.
    assert_eq!(link(&t, &alice, &statement).await.status, 201);
    t.stop().await;
}

/// One call the fake downstream received: its `Authorization` header and body.
type Call = (Option<String>, Value);

/// What the fake downstream received, and how it answers.
#[derive(Clone, Default)]
struct Inbox {
    calls: Arc<Mutex<Vec<Call>>>,
    status: Arc<Mutex<u16>>,
    delay: Arc<Mutex<Duration>>,
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    inbox
        .calls
        .lock()
        .unwrap()
        .push((auth, serde_json::from_str(&body).unwrap_or(Value::Null)));
    let delay = *inbox.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    StatusCode::from_u16(*inbox.status.lock().unwrap()).unwrap()
}

/// A real HTTP downstream on 127.0.0.1:0; returns its record URL.
async fn downstream_server(inbox: Inbox) -> String {
    *inbox.status.lock().unwrap() = 200;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/xyz/record", post(receive))
        .with_state(inbox);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/xyz/record")
}

/// Polls the user's link to `myhealth` until its last sync ended as `want` (each step
/// of the test ends differently from the one before).
async fn await_sync(t: &TestServer, token: &str, want: &str) {
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = links(t, token).await["links"][0]["sync_status"].clone();
        if seen == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, want, "the last sync ended otherwise");
}

async fn save(t: &TestServer, token: &str, company: &str) -> (u16, Duration) {
    let current = record(t, token).await;
    let etag = current.headers["etag"].to_str().unwrap().to_owned();
    let start = std::time::Instant::now();
    let r = t
        .http
        .put(t.url("/api/v1/me/record"))
        .bearer_auth(token)
        .header("if-match", etag)
        .json(&json!({ "company": company }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), start.elapsed())
}

#[tokio::test]
async fn a_saved_record_reaches_the_linked_downstream_and_never_holds_up_the_save() {
    let t = TestServer::start_with(|c| {
        c.record_sync_service = Some("records-sync".into());
        c.record_sync_timeout_secs = 1;
    })
    .await;
    let inbox = Inbox::default();
    register(&t, Some(downstream_server(inbox.clone()).await)).await;
    let db = &t.server().state().db;
    set_form(
        db,
        &TenantId::new("abc").unwrap(),
        r#"{"fields": [{"name": "company", "type": "string", "label": "Company"}]}"#,
    )
    .await
    .unwrap();
    let alice = t.alice_token(None).await;
    assert_eq!(
        link(
            &t,
            &alice,
            &bound(&t, &alice, &Downstream::myhealth(), "p-1001").await
        )
        .await
        .status,
        201
    );

    assert_eq!(save(&t, &alice, "Alice Clinic").await.0, 200);
    await_sync(&t, &alice, "ok").await;
    let (auth, body) = inbox.calls.lock().unwrap().pop().unwrap();
    assert_eq!(
        body,
        json!({"record": {"company": "Alice Clinic"}, "version": 1})
    );
    let token = auth.unwrap().strip_prefix("Bearer ").unwrap().to_owned();
    let claims = downstream_view(&t, &token, MYHEALTH).await;
    assert_eq!(claims.sub, "p-1001");
    assert_eq!(claims.client_id, ClientId::new("records-sync").unwrap());
    assert_eq!(
        serde_json::to_value(&claims.act).unwrap(),
        json!({"sub": "records-sync"})
    );
    assert_eq!(claims.scope.to_string(), "form.read");

    // A downstream that fails, or hangs past the timeout, changes nothing for the save.
    *inbox.status.lock().unwrap() = 503;
    assert_eq!(save(&t, &alice, "Alice Clinic 2").await.0, 200);
    await_sync(&t, &alice, "http 503").await;
    *inbox.delay.lock().unwrap() = Duration::from_millis(1500);
    let (status, took) = save(&t, &alice, "Alice Clinic 3").await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(900), "{took:?}");
    await_sync(&t, &alice, "timeout").await;
    let r = record(&t, &alice).await;
    assert_eq!(r.body["data"]["company"], "Alice Clinic 3");

    // A user with no link sends nothing.
    let calls = inbox.calls.lock().unwrap().len();
    *inbox.delay.lock().unwrap() = Duration::ZERO;
    assert_eq!(unlink(&t, &alice).await.status, 204);
    assert_eq!(save(&t, &alice, "Alice Clinic 4").await.0, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(inbox.calls.lock().unwrap().len(), calls);
    t.stop().await;
}

#[tokio::test]
async fn revoking_a_users_token_ends_the_tokens_exchanged_from_it() {
    let t = TestServer::start().await;
    register(&t, None).await;
    let alice = t.alice_token(None).await;
    for statement in [
        bound(&t, &alice, &Downstream::myhealth(), "p-1001").await,
        bound(&t, &alice, &Downstream::labs(), "lab-77").await,
    ] {
        let r = link(&t, &alice, &statement).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (status, _, body) = exchange(&t, Some(&portal()), &alice, &[]).await;
    assert_eq!(status, 200, "{body}");
    let hop1 = body["access_token"].as_str().unwrap().to_owned();
    // The exchanged token carries the session of the token it was made from.
    let claims = downstream_view(&t, &hop1, MYHEALTH).await;
    assert!(claims.sid.is_some(), "{claims:?}");

    let revoked = t
        .http
        .post(t.url("/oauth/revoke"))
        .form(&[("token", alice.as_str()), ("client_id", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);

    // Neither the user's token nor the one made from it can be exchanged any more.
    let (status, _, body) = exchange(&t, Some(&portal()), &alice, &[]).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_grant")),
        "{body}"
    );
    let (status, _, body) = exchange(
        &t,
        Some(&mh_backend()),
        &hop1,
        &[("audience", ""), ("resource", LABS)],
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_grant")),
        "{body}"
    );
    assert_eq!(
        body["error_description"],
        "subject_token: its session was revoked"
    );
    // A new sign-in is a new session, and exchanges again.
    let fresh = t.alice_token(None).await;
    let (status, _, body) = exchange(&t, Some(&portal()), &fresh, &[]).await;
    assert_eq!(status, 200, "{body}");
    t.stop().await;
}
