//! The XYZ leg of Cross-App Access over real HTTP: an ID-JAG issued by an
//! enterprise IdP registered for tenant abc is redeemed like a partner's, for abc's
//! clients only, once, and for users of the tenant only.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use crosspass_jwt::{validate_access_token, Jwks, SigningKey};
use crosspass_protocol::claims::AccessTokenExpectations;
use crosspass_protocol::AccessToken;
use crosspass_server::registry::IdpInput;
use crosspass_server::util::{now, random_id};
use serde_json::{json, Value};

const IDP: &str = "http://idp.localhost:18086";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLIENT_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn idp_key() -> SigningKey {
    SigningKey::p256("idp-1", &[61; 32]).unwrap()
}

fn claims(client_id: &str, sub: &str) -> Value {
    let now = now();
    json!({"iss": IDP, "sub": sub, "aud": ISSUER, "client_id": client_id,
           "jti": random_id(12), "iat": now, "exp": now + 120, "scope": "form.read"})
}

fn id_jag(key: &SigningKey, claims: &Value) -> String {
    let header = json!({"alg": key.alg().as_str(), "kid": key.kid(), "typ": "oauth-id-jag+jwt"});
    key.sign_compact(&header.to_string(), &claims.to_string())
}

/// `client` redeems an ID-JAG with `claims`, authenticated with `private_key_jwt`.
async fn server_path(t: &TestServer, client: &Partner, claims: &Value) -> (u16, Value) {
    let client_assertion = client.client_assertion();
    let (status, _, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("assertion", &id_jag(&idp_key(), claims)),
            ("client_assertion_type", CLIENT_ASSERTION),
            ("client_assertion", &client_assertion),
        ])
        .await;
    (status, body)
}

async fn start() -> TestServer {
    let t = TestServer::start().await;
    let idp = IdpInput {
        issuer: IDP.into(),
        tenant: "abc".into(),
        jwks: Jwks::new(vec![idp_key().public_jwk()])
            .unwrap()
            .to_json()
            .to_string(),
    }
    .validate()
    .unwrap();
    t.server().state().db.insert_idp(&idp, now()).await.unwrap();
    t
}

#[tokio::test]
async fn an_idp_issued_id_jag_is_redeemed_for_its_tenants_clients() {
    let t = start().await;
    let (status, body) = t.redeem(&id_jag(&idp_key(), &claims("abc", "alice"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "form.read");
    let keys = xyz_keys(&t).await;
    let token = validate_access_token(
        &AccessToken::new(body["access_token"].as_str().unwrap()),
        &keys,
        &AccessTokenExpectations {
            issuer: ISSUER,
            audience: API,
            client_id: None,
            required_scope: None,
        },
        now(),
    )
    .unwrap();
    // The IdP's `sub` maps within the tenant exactly as the partner's own would.
    assert_eq!(
        (
            token.sub.as_str(),
            token.client_id.as_str(),
            token.tenant.as_str()
        ),
        ("u_alice", "abc", "abc")
    );

    // The server path: abc's backend redeems it, authenticated as abc.
    let (status, body) = server_path(&t, &Partner::abc(), &claims("abc", "alice")).await;
    assert_eq!(status, 200, "{body}");
    t.stop().await;
}

#[tokio::test]
async fn an_idp_speaks_only_for_its_tenant_and_each_id_jag_once() {
    let t = start().await;
    let once = id_jag(&idp_key(), &claims("abc", "alice"));
    assert_eq!(t.redeem(&once).await.0, 200);
    let mut no_client = claims("abc", "alice");
    no_client.as_object_mut().unwrap().remove("client_id");
    let mut as_partner = claims("abc", "alice");
    as_partner["iss"] = json!(ABC_ISS);
    let mut wide = claims("abc", "alice");
    wide["scope"] = json!("form.read admin");
    let grant = |d: &str| error("invalid_grant", d);
    let cases = [
        ("replayed", once.clone(), grant("assertion already used")),
        (
            "for a client of another tenant",
            id_jag(&idp_key(), &claims("def", "dave")),
            grant("client_id does not match"),
        ),
        (
            "for a client that does not exist",
            id_jag(&idp_key(), &claims("nobody", "alice")),
            grant("client_id does not match"),
        ),
        (
            "naming no client",
            id_jag(&idp_key(), &no_client),
            grant("missing claim `client_id`"),
        ),
        (
            "for a user the tenant does not have",
            id_jag(&idp_key(), &claims("abc", "mallory")),
            grant("unknown user"),
        ),
        (
            "the IdP's key under the partner's issuer",
            id_jag(
                &SigningKey::ed25519("abc-1", &[61; 32]).unwrap(),
                &as_partner,
            ),
            grant("signature does not verify"),
        ),
        (
            "another key under the IdP's issuer",
            id_jag(
                &SigningKey::p256("idp-1", &[62; 32]).unwrap(),
                &claims("abc", "alice"),
            ),
            grant("signature does not verify"),
        ),
        (
            "more scope than the client is registered for",
            id_jag(&idp_key(), &wide),
            error("invalid_scope", "scope not allowed"),
        ),
    ];
    for (name, assertion, want) in cases {
        let (status, body) = t.redeem(&assertion).await;
        assert_eq!((status, &body), (400, &want), "{name}");
    }
    // def's backend cannot redeem an ID-JAG meant for abc.
    let (status, body) = server_path(&t, &Partner::def(), &claims("abc", "alice")).await;
    assert_eq!(
        (status, body),
        (400, error("invalid_grant", "client_id does not match"))
    );
    t.stop().await;
}
