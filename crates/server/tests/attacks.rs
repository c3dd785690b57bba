//! The attack suite against the server, over real HTTP and a real SQLite file: forged
//! and confused tokens, hostile token requests, and API calls across audiences, scopes,
//! tenants and origins. Every attack asserts its exact rejection (status, error code,
//! description), and each group ends by showing the legitimate path still works.
//! SECURITY.md says which threat each group stands for.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use crosspass_jwt::SigningKey;
use crosspass_protocol::claims::{AccessTokenClaims, Audience};
use crosspass_protocol::jose;
use crosspass_protocol::ScopeSet;
use crosspass_server::registry::PartnerInput;
use crosspass_server::util::now;
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::AlgorithmExt;
use serde_json::{json, Value};
use std::io::{Read, Write};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLIENT_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The order of P-256, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
/// The order of the Ed25519 group, little-endian.
const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// A compact JWS from raw header and claims JSON texts and raw signature bytes.
fn compact(header: &str, claims: &str, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        jose::b64_encode(header.as_bytes()),
        jose::b64_encode(claims.as_bytes()),
        jose::b64_encode(sig)
    )
}

/// `object` (JSON text) with `member` inserted first, so the member appears twice.
fn dup(object: &Value, member: &str) -> String {
    let text = object.to_string();
    format!("{{{member},{}", &text[1..])
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

/// The JSON text of `claims` with `exp` written as `raw`, a number serde_json would not
/// produce.
fn raw_exp(claims: &Value, raw: &str) -> String {
    let exp = format!("\"exp\":{}", claims["exp"]);
    let text = claims.to_string();
    assert!(text.contains(&exp));
    text.replace(&exp, &format!("\"exp\":{raw}"))
}

fn signature(token: &str) -> Vec<u8> {
    jose::b64_decode(token.rsplit('.').next().unwrap()).unwrap()
}

fn signing_input(token: &str) -> &str {
    &token[..token.rfind('.').unwrap()]
}

/// `token` with its signature replaced.
fn resigned(token: &str, sig: &[u8]) -> String {
    format!("{}.{}", signing_input(token), jose::b64_encode(sig))
}

/// `a - b` on 256-bit big-endian numbers (`a >= b`).
fn sub_be(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = (d + 256 * borrow) as u8;
    }
    out
}

/// `a + b` on 256-bit little-endian numbers.
fn add_le(a: &[u8], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

/// An ECDSA `r || s` signature as ASN.1 DER, the form JWS forbids (RFC 7518 §3.4).
fn der(sig: &[u8]) -> Vec<u8> {
    let int = |x: &[u8]| {
        let x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        let x = if x[0] & 0x80 != 0 {
            [&[0u8][..], &x].concat()
        } else {
            x
        };
        [&[0x02, x.len() as u8][..], &x].concat()
    };
    let body = [int(&sig[..32]), int(&sig[32..])].concat();
    [&[0x30, body.len() as u8][..], &body].concat()
}

fn hs256(secret: &[u8], header: jwt_compact::Header, claims: Value) -> String {
    Hs256
        .token(
            &header,
            &jwt_compact::Claims::new(claims),
            &Hs256Key::new(secret),
        )
        .unwrap()
}

/// A TCP listener that counts who connects: where a token names a URL, the server
/// must never fetch it.
struct Trap(std::net::TcpListener);

impl Trap {
    fn new() -> Self {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Trap(l)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.0.local_addr().unwrap())
    }

    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.0.accept().ok()).count()
    }
}

async fn expect_grant_errors(t: &TestServer, cases: Vec<(&str, String, &str)>) {
    for (name, assertion, description) in cases {
        let (status, headers, body) = t
            .token(&[("grant_type", GRANT), ("assertion", &assertion)])
            .await;
        assert_eq!(
            (status, &body),
            (400, &error("invalid_grant", description)),
            "{name}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{name}");
        assert!(!body.to_string().contains(&assertion), "{name}");
    }
}

#[tokio::test]
async fn forged_signatures_and_algorithms() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let def = Partner::def();
    let h = abc.header();
    let c = || abc.claims("alice");
    let genuine_ed = abc.assertion("alice");
    let genuine_ec = def.assertion("bob");
    let ec_sig = signature(&genuine_ec);
    let ec_point = {
        let jwk: Value = serde_json::from_str(&def.jwks()).unwrap();
        let coord = |k: &str| jose::b64_decode(jwk["keys"][0][k].as_str().unwrap()).unwrap();
        [vec![4], coord("x"), coord("y")].concat()
    };
    let ec_header = || {
        jwt_compact::Header::empty()
            .with_key_id("def-1")
            .with_token_type("oauth-id-jag+jwt")
    };

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "alg none, keeping a genuine signature",
            resigned(
                &abc.sign(&with(h.clone(), "alg", json!("none")), &c()),
                &signature(&genuine_ed),
            ),
            "signature algorithm not allowed",
        ),
        (
            "alg nOnE",
            compact(
                &with(h.clone(), "alg", json!("nOnE")).to_string(),
                &c().to_string(),
                b"",
            ),
            "signature algorithm not allowed",
        ),
        (
            "alg none spelt with JSON escapes",
            compact(
                r#"{"alg":"\u006eone","kid":"abc-1","typ":"oauth-id-jag+jwt"}"#,
                &c().to_string(),
                b"",
            ),
            "signature algorithm not allowed",
        ),
        (
            "alg empty",
            compact(
                &with(h.clone(), "alg", json!("")).to_string(),
                &c().to_string(),
                b"",
            ),
            "signature algorithm not allowed",
        ),
        (
            "HS256 keyed with the partner's P-256 public point",
            hs256(&ec_point, ec_header(), def.claims("bob")),
            "signature algorithm not allowed",
        ),
        (
            "HS256 keyed with the partner's published JWKS text",
            hs256(def.jwks().as_bytes(), ec_header(), def.claims("bob")),
            "signature algorithm not allowed",
        ),
        (
            "RS256 header",
            abc.sign(&with(h.clone(), "alg", json!("RS256")), &c()),
            "signature algorithm not allowed",
        ),
        (
            "ES256 with an empty signature",
            resigned(&genuine_ec, b""),
            "signature does not verify",
        ),
        (
            "signature segment missing",
            signing_input(&genuine_ec).to_owned(),
            "malformed token: not a compact JWS",
        ),
        (
            "signature with base64 padding",
            format!("{genuine_ec}=="),
            "malformed token: invalid signature encoding",
        ),
        (
            "ES256 r = 0 with a genuine s (CVE-2022-21449)",
            resigned(&genuine_ec, &[&[0u8; 32][..], &ec_sig[32..]].concat()),
            "signature does not verify",
        ),
        (
            "ES256 r = n, s = 1",
            resigned(&genuine_ec, &[&P256_N[..], &[0; 31], &[1]].concat()),
            "signature does not verify",
        ),
        (
            "ES256 s = n with a genuine r",
            resigned(&genuine_ec, &[&ec_sig[..32], &P256_N[..]].concat()),
            "signature does not verify",
        ),
        (
            "ES256 r = s = 2^256 - 1",
            resigned(&genuine_ec, &[0xff; 64]),
            "signature does not verify",
        ),
        (
            "ES256 signature in DER form",
            resigned(&genuine_ec, &der(&ec_sig)),
            "signature does not verify",
        ),
        (
            "Ed25519 signature with S + L (non-canonical scalar)",
            {
                let sig = signature(&genuine_ed);
                let s = add_le(&sig[32..], &ED25519_L);
                resigned(&genuine_ed, &[&sig[..32], &s[..]].concat())
            },
            "signature does not verify",
        ),
        (
            "Ed25519 signature truncated to 63 bytes",
            resigned(&genuine_ed, &signature(&genuine_ed)[..63]),
            "signature does not verify",
        ),
        (
            "payload of partner B under partner A's signature",
            format!(
                "{}.{}.{}",
                genuine_ed.split('.').next().unwrap(),
                genuine_ec.split('.').nth(1).unwrap(),
                genuine_ed.rsplit('.').next().unwrap()
            ),
            "unknown key id",
        ),
        (
            "a JWE (five segments)",
            format!(
                "{}.e30.e30.e30.e30",
                jose::b64_encode(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#)
            ),
            "malformed token: not a compact JWS",
        ),
    ];
    expect_grant_errors(&t, cases).await;

    // Both genuine assertions were never redeemed above; they still work.
    assert_eq!(t.redeem(&genuine_ed).await.0, 200);
    assert_eq!(t.redeem(&genuine_ec).await.0, 200);
    // ECDSA signatures are malleable: (r, n - s) verifies too. Replay protection is
    // keyed by (issuer, jti), not by the token's bytes, so the twin is still a replay.
    let twin = resigned(
        &genuine_ec,
        &[&ec_sig[..32], &sub_be(&P256_N, &ec_sig[32..])[..]].concat(),
    );
    assert_eq!(
        t.redeem(&twin).await,
        (400, error("invalid_grant", "assertion already used"))
    );
    t.stop().await;
}

#[tokio::test]
async fn attacker_keys_and_hostile_key_ids() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let c = || abc.claims("alice");
    let attacker = SigningKey::ed25519("abc-1", &[66; 32]).unwrap();
    let evil = SigningKey::ed25519("evil-1", &[66; 32]).unwrap();
    let trap = Trap::new();
    let header = |extra: Value, kid: Option<&str>| {
        let mut h = json!({"alg": "EdDSA", "typ": "oauth-id-jag+jwt"});
        if let Some(kid) = kid {
            h["kid"] = kid.into();
        }
        for (k, v) in extra.as_object().unwrap() {
            h[k] = v.clone();
        }
        h.to_string()
    };
    let by = |key: &SigningKey, header: String| key.sign_compact(&header, &c().to_string());
    let kid_10k = "k".repeat(10 * 1024);
    let kid_5k = "k".repeat(5 * 1024);

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "attacker's key embedded as jwk, under the attacker's kid",
            by(
                &evil,
                header(json!({"jwk": evil.public_jwk().to_json()}), Some("evil-1")),
            ),
            "unknown key id",
        ),
        (
            "attacker's key embedded as jwk, no kid",
            by(
                &evil,
                header(json!({"jwk": evil.public_jwk().to_json()}), None),
            ),
            "missing kid header",
        ),
        (
            "jku naming the attacker's JWKS, pinned kid",
            by(
                &attacker,
                header(json!({"jku": trap.url("/jwks.json")}), Some("abc-1")),
            ),
            "signature does not verify",
        ),
        (
            "jku naming the attacker's JWKS, attacker's kid",
            by(
                &evil,
                header(json!({"jku": trap.url("/jwks.json")}), Some("evil-1")),
            ),
            "unknown key id",
        ),
        (
            "x5u naming the attacker's certificate",
            by(
                &attacker,
                header(json!({"x5u": trap.url("/cert.pem")}), Some("abc-1")),
            ),
            "signature does not verify",
        ),
        (
            "x5c carrying an attacker's certificate chain",
            by(
                &attacker,
                header(
                    json!({"x5c": [jose::b64_encode(&[0x30; 300])], "x5t#S256": "AAAA"}),
                    Some("abc-1"),
                ),
            ),
            "signature does not verify",
        ),
        (
            "kid with path traversal",
            abc.sign(
                &with(abc.header(), "kid", json!("../../../../etc/passwd")),
                &c(),
            ),
            "unknown key id",
        ),
        (
            "kid with SQL metacharacters",
            abc.sign(
                &with(abc.header(), "kid", json!("abc-1' OR '1'='1' --")),
                &c(),
            ),
            "unknown key id",
        ),
        (
            "kid with a NUL after the pinned kid",
            abc.sign(&with(abc.header(), "kid", json!("abc-1\u{0}")), &c()),
            "unknown key id",
        ),
        (
            "kid of 10 KB",
            abc.sign(&with(abc.header(), "kid", json!(kid_10k)), &c()),
            "token too large",
        ),
        (
            "kid of 5 KB, under the size cap",
            abc.sign(&with(abc.header(), "kid", json!(kid_5k)), &c()),
            "unknown key id",
        ),
        (
            "kid as a number",
            abc.sign(&with(abc.header(), "kid", json!(1)), &c()),
            "malformed token: invalid header",
        ),
        (
            "kid empty",
            abc.sign(&with(abc.header(), "kid", json!("")), &c()),
            "missing kid header",
        ),
        (
            "iss with SQL metacharacters",
            abc.sign(
                &abc.header(),
                &with(c(), "iss", json!("' OR 1=1; DROP TABLE partners; --")),
            ),
            "unknown issuer",
        ),
    ];
    expect_grant_errors(&t, cases).await;
    // A moment for any stray fetch to arrive, then none may have.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        trap.connections(),
        0,
        "the server fetched a URL named in a token"
    );
    assert_eq!(t.redeem(&abc.assertion("alice")).await.0, 200);

    // A small-order Ed25519 "key" would verify a forgery of any message (R = B, S = 1
    // under the identity point): it is never pinned.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let registration = PartnerInput {
        client_id: "weak".into(),
        tenant: "weak".into(),
        issuer: "http://weak.localhost".into(),
        jwks: json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "weak-1", "x": jose::b64_encode(&identity)}]})
            .to_string(),
        origins: vec!["http://weak.localhost".into()],
        scopes: "form.read".into(),
        token_lifetime_secs: 600,
        jit_users: true,
        expose_tokens: false,
        allow_http_origins: false,
    };
    assert_eq!(
        registration.validate().unwrap_err().to_string(),
        "jwks: key `weak-1`: invalid public key"
    );
    t.stop().await;
}

#[tokio::test]
async fn confused_claims_types_and_token_kinds() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let h = abc.header();
    let c = || abc.claims("alice");
    let now = now();
    let access_token = t.alice_token(None).await;
    let client_assertion = abc.client_assertion();
    let signed_text = |header: String, claims: String| abc.key.sign_compact(&header, &claims);

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "typ at+jwt (an access token's)",
            abc.sign(&with(h.clone(), "typ", json!("at+jwt")), &c()),
            "unexpected token type",
        ),
        (
            "typ application/at+jwt",
            abc.sign(&with(h.clone(), "typ", json!("application/at+jwt")), &c()),
            "unexpected token type",
        ),
        (
            "typ of a client assertion",
            abc.sign(
                &with(h.clone(), "typ", json!("client-authentication+jwt")),
                &c(),
            ),
            "unexpected token type",
        ),
        (
            "typ with parameters",
            abc.sign(
                &with(h.clone(), "typ", json!("oauth-id-jag+jwt; v=1")),
                &c(),
            ),
            "unexpected token type",
        ),
        (
            "typ as a number",
            abc.sign(&with(h.clone(), "typ", json!(1)), &c()),
            "malformed token: invalid header",
        ),
        (
            "an XYZ access token presented as an assertion",
            access_token.clone(),
            "unexpected token type",
        ),
        (
            "a client assertion presented as an assertion",
            client_assertion,
            "unexpected token type",
        ),
        (
            "iss with a trailing slash",
            abc.sign(&h, &with(c(), "iss", json!(format!("{ABC_ISS}/")))),
            "unknown issuer",
        ),
        (
            "iss as an array",
            abc.sign(&h, &with(c(), "iss", json!([ABC_ISS]))),
            "malformed token: invalid claims",
        ),
        (
            "aud with a trailing slash",
            abc.sign(&h, &with(c(), "aud", json!(format!("{ISSUER}/")))),
            "unexpected audience",
        ),
        (
            "aud the token endpoint URL",
            abc.sign(
                &h,
                &with(c(), "aud", json!(format!("{ISSUER}/oauth/token"))),
            ),
            "unexpected audience",
        ),
        (
            "aud the data API",
            abc.sign(&h, &with(c(), "aud", json!(API))),
            "unexpected audience",
        ),
        (
            "aud an empty array",
            abc.sign(&h, &with(c(), "aud", json!([]))),
            "unexpected audience",
        ),
        (
            "aud missing",
            abc.sign(&h, &without(c(), "aud")),
            "missing claim `aud`",
        ),
        (
            "client_id in upper case",
            abc.sign(&h, &with(c(), "client_id", json!("ABC"))),
            "client_id does not match",
        ),
        (
            "client_id missing",
            abc.sign(&h, &without(c(), "client_id")),
            "missing claim `client_id`",
        ),
        (
            "client_id as a number",
            abc.sign(&h, &with(c(), "client_id", json!(7))),
            "malformed token: invalid claims",
        ),
        (
            "iat as a string",
            abc.sign(&h, &with(c(), "iat", json!(now.to_string()))),
            "malformed token: invalid claims",
        ),
        (
            "iat as a float",
            abc.sign(&h, &with(c(), "iat", json!(now as f64 + 0.5))),
            "malformed token: invalid claims",
        ),
        (
            "exp in exponent notation",
            signed_text(h.to_string(), raw_exp(&c(), "1.9e9")),
            "malformed token: invalid claims",
        ),
        (
            "exp beyond 64 bits",
            signed_text(h.to_string(), raw_exp(&c(), "18446744073709551616")),
            "malformed token: invalid claims",
        ),
        (
            "exp negative",
            abc.sign(&h, &with(c(), "exp", json!(-1))),
            "token expired",
        ),
        (
            "exp null",
            abc.sign(&h, &with(c(), "exp", Value::Null)),
            "missing claim `exp`",
        ),
        (
            "duplicate alg in the header (none, then EdDSA)",
            signed_text(dup(&h, r#""alg":"none""#), c().to_string()),
            "malformed token: invalid header",
        ),
        (
            "duplicate kid in the header",
            signed_text(dup(&h, r#""kid":"evil-1""#), c().to_string()),
            "malformed token: invalid header",
        ),
        (
            "duplicate typ in the header",
            signed_text(dup(&h, r#""typ":"at+jwt""#), c().to_string()),
            "malformed token: invalid header",
        ),
        (
            "duplicate sub in the claims",
            signed_text(h.to_string(), dup(&c(), r#""sub":"admin""#)),
            "malformed token: invalid claims",
        ),
        (
            "duplicate aud in the claims",
            signed_text(h.to_string(), dup(&c(), r#""aud":"http://evil.localhost""#)),
            "malformed token: invalid claims",
        ),
        (
            "duplicate exp in the claims",
            signed_text(
                h.to_string(),
                dup(&c(), &format!(r#""exp":{}"#, now + 86_400)),
            ),
            "malformed token: invalid claims",
        ),
        (
            "claims with trailing garbage",
            signed_text(h.to_string(), format!("{} {{}}", c())),
            "malformed token: invalid claims",
        ),
        (
            "header a JSON array",
            signed_text(format!("[{h}]"), c().to_string()),
            "malformed token: invalid header",
        ),
        (
            "jti of 257 characters",
            abc.sign(&h, &with(c(), "jti", json!("j".repeat(257)))),
            "invalid claim `jti`",
        ),
        (
            "jti empty",
            abc.sign(&h, &with(c(), "jti", json!(""))),
            "invalid claim `jti`",
        ),
        (
            "sub with a line break (log injection)",
            abc.sign(
                &h,
                &with(c(), "sub", json!("alice\nlevel=error msg=forged")),
            ),
            "invalid claim `sub`",
        ),
        (
            "scope claim empty",
            abc.sign(&h, &with(c(), "scope", json!(""))),
            "invalid claim `scope`",
        ),
    ];
    expect_grant_errors(&t, cases).await;

    // An assertion at the API: the wrong typ, before its claims are even read.
    let api_cases = [
        (
            "an assertion as a bearer token",
            abc.assertion("alice"),
            "unexpected token type",
        ),
        (
            "a partner-signed token with access-token claims",
            abc.key.sign("oauth-id-jag+jwt", &alice_claims()).unwrap(),
            "unexpected token type",
        ),
    ];
    for (name, token, description) in api_cases {
        let r = t
            .call(
                reqwest::Method::GET,
                "/api/v1/me/record",
                Some(&token),
                &[],
                None,
            )
            .await;
        assert_eq!(
            (r.status, &r.body),
            (401, &error("invalid_token", description)),
            "{name}"
        );
    }
    // An access token as a client assertion.
    let (status, _, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("assertion", &abc.assertion("alice")),
            ("client_assertion_type", CLIENT_ASSERTION),
            ("client_assertion", &access_token),
        ])
        .await;
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
    assert_eq!(t.redeem(&abc.assertion("alice")).await.0, 200);
    t.stop().await;
}

#[tokio::test]
async fn replay_and_cross_tenant_assertions() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let def = Partner::def();
    // bob exists in tenant def only (created just in time).
    assert_eq!(t.redeem(&def.assertion("bob")).await.0, 200);
    let (status, body) = t.redeem(&abc.assertion("bob")).await;
    assert_eq!(
        (status, body),
        (400, error("invalid_grant", "unknown user"))
    );

    // A second assertion reusing a spent jti, even for another user, is a replay.
    let spent = with(abc.claims("alice"), "jti", json!("once"));
    assert_eq!(t.redeem(&abc.sign(&abc.header(), &spent)).await.0, 200);
    let (status, body) = t
        .redeem(&abc.sign(&abc.header(), &with(spent, "sub", json!("alice2"))))
        .await;
    assert_eq!(
        (status, body),
        (400, error("invalid_grant", "assertion already used"))
    );
    // ... but one partner cannot spend another's: replay sets are per issuer.
    let shared = with(def.claims("bob"), "jti", json!("once"));
    assert_eq!(t.redeem(&def.sign(&def.header(), &shared)).await.0, 200);

    // SQL in a just-in-time user id is stored as data, and the registry is intact.
    let (status, _) = t
        .redeem(&def.assertion("bob'); DELETE FROM partners; --"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(t.redeem(&abc.assertion("alice")).await.0, 200);

    // Scope escalation at the token endpoint.
    let read_only = abc.sign(
        &abc.header(),
        &with(abc.claims("alice"), "scope", json!("form.read")),
    );
    let (status, _, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("assertion", &read_only),
            ("scope", "form.write"),
        ])
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            error(
                "invalid_scope",
                "requested scope exceeds what the assertion grants"
            )
        )
    );
    let (status, _, body) = t
        .token(&[
            ("grant_type", GRANT),
            ("assertion", &abc.assertion("alice")),
            ("scope", "form.read\u{0}admin"),
        ])
        .await;
    assert_eq!(
        (status, body),
        (400, error("invalid_scope", "malformed scope"))
    );
    t.stop().await;
}

/// Writes `request` to the server on a fresh connection and returns status and body.
async fn raw_http(t: &TestServer, request: Vec<u8>) -> (u16, Value) {
    let addr = t.server().addr();
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        // The server may answer (413) and close before the whole body is written.
        let _ = s.write_all(&request);
        let mut response = Vec::new();
        let _ = s.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text[9..12].parse().unwrap();
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        // The body may be chunked: the JSON object is between its first `{` and last `}`.
        let json = body
            .find('{')
            .zip(body.rfind('}'))
            .map_or(Value::Null, |(a, b)| {
                serde_json::from_str(&body[a..=b]).unwrap()
            });
        (status, json)
    })
    .await
    .unwrap()
}

/// An attack name, a token request form, and the status and body it must get.
type FormCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, Value);

#[tokio::test]
async fn hostile_token_requests() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let a = abc.assertion("alice");
    let bad_form = error(
        "invalid_request",
        "malformed form body (or a repeated parameter)",
    );
    let forms: Vec<FormCase> = vec![
        (
            "assertion twice",
            vec![
                ("grant_type", GRANT),
                ("assertion", &a),
                ("assertion", "x.y.z"),
            ],
            400,
            bad_form.clone(),
        ),
        (
            "scope twice",
            vec![
                ("grant_type", GRANT),
                ("assertion", &a),
                ("scope", "form.read"),
                ("scope", "admin"),
            ],
            400,
            bad_form.clone(),
        ),
        (
            "client_assertion twice",
            vec![
                ("grant_type", GRANT),
                ("assertion", &a),
                ("client_assertion_type", CLIENT_ASSERTION),
                ("client_assertion", "x"),
                ("client_assertion", "y"),
            ],
            400,
            bad_form,
        ),
        (
            "client_assertion without its type",
            vec![
                ("grant_type", GRANT),
                ("assertion", &a),
                ("client_assertion", "x"),
            ],
            400,
            error(
                "invalid_request",
                "client_assertion and client_assertion_type go together",
            ),
        ),
        (
            "a SAML client assertion type",
            vec![
                ("grant_type", GRANT),
                ("assertion", &a),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                ),
                ("client_assertion", "x"),
            ],
            401,
            error("invalid_client", "unsupported client_assertion_type"),
        ),
    ];
    for (name, form, status, want) in forms {
        let (s, headers, body) = t.token(&form).await;
        assert_eq!((s, &body), (status, &want), "{name}");
        assert_eq!(headers["cache-control"], "no-store", "{name}");
    }
    for grant in [
        "client_credentials",
        "authorization_code",
        "refresh_token",
        "password",
        "URN:IETF:PARAMS:OAUTH:GRANT-TYPE:JWT-BEARER",
        "URN:IETF:PARAMS:OAUTH:GRANT-TYPE:TOKEN-EXCHANGE",
        "urn:ietf:params:oauth:grant-type:jwt-bearer ",
        "",
    ] {
        let (s, _, body) = t.token(&[("grant_type", grant), ("assertion", &a)]).await;
        assert_eq!(
            (s, body),
            (
                400,
                error("unsupported_grant_type", "unsupported grant_type")
            ),
            "{grant:?}"
        );
    }
    let form_body = format!("grant_type={GRANT}&assertion={a}");
    for content_type in [
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jwt"),
        None,
    ] {
        let mut req = t.http.post(t.url("/oauth/token")).body(form_body.clone());
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 415, "{content_type:?}");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            error(
                "invalid_request",
                "expected application/x-www-form-urlencoded"
            ),
            "{content_type:?}"
        );
    }
    let too_large = error("invalid_request", "request body too large");
    let just_over = format!("grant_type={GRANT}&assertion={}", "a".repeat(64 * 1024));
    let r = t
        .http
        .post(t.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(just_over)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.json::<Value>().await.unwrap()),
        (413, too_large.clone())
    );
    // Streamed without a Content-Length, 16 KB chunks up to 1 MB.
    let mut chunked = b"POST /oauth/token HTTP/1.1\r\nHost: sso.localhost\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    for _ in 0..64 {
        chunked.extend_from_slice(format!("4000\r\n{}\r\n", "a".repeat(0x4000)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw_http(&t, chunked).await, (413, too_large));
    // A token request in the URL is not a token request.
    let r = t
        .http
        .get(t.url(&format!("/oauth/token?grant_type={GRANT}&assertion={a}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["allow"], "POST");
    assert_eq!(
        (r.status().as_u16(), r.json::<Value>().await.unwrap()),
        (405, error("invalid_request", "method not allowed"))
    );
    // The API answers other methods the same way (and still answers preflights).
    let r = t
        .call(
            reqwest::Method::DELETE,
            "/api/v1/me/record",
            None,
            &[],
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (405, error("invalid_request", "method not allowed"))
    );
    // The assertion was never redeemed by any of the above.
    assert_eq!(t.redeem(&a).await.0, 200);
    t.stop().await;
}

#[tokio::test]
async fn api_across_audiences_scopes_tenants_and_origins() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let token = t.alice_token(None).await;
    let attacker =
        SigningKey::ed25519(jose::decode_header(&token).unwrap().kid.unwrap(), &[77; 32]).unwrap();
    let now = now();
    let read_only = t.alice_token(Some("form.read")).await;
    let escalated = {
        // form.read's claims with form.write added, under form.read's signature.
        let claims: Value = jose::decode_claims_unverified(&read_only).unwrap();
        let wider = with(claims, "scope", json!("form.read form.write"));
        format!(
            "{}.{}.{}",
            read_only.split('.').next().unwrap(),
            jose::b64_encode(wider.to_string().as_bytes()),
            read_only.rsplit('.').next().unwrap()
        )
    };
    let header = jose::decode_header(&token).unwrap();
    let token_cases: Vec<(&str, String, u16, Value)> = vec![
        (
            "aud the API and another audience",
            t.sign_access(&AccessTokenClaims {
                aud: Audience::Many(vec![API.into(), "http://other.localhost/api".into()]),
                ..alice_claims()
            }),
            401,
            error("invalid_token", "unexpected audience"),
        ),
        (
            "aud the authorization server itself",
            t.sign_access(&AccessTokenClaims {
                aud: Audience::One(ISSUER.into()),
                ..alice_claims()
            }),
            401,
            error("invalid_token", "unexpected audience"),
        ),
        (
            "iss a partner",
            t.sign_access(&AccessTokenClaims {
                iss: ABC_ISS.into(),
                ..alice_claims()
            }),
            401,
            error("invalid_token", "unexpected issuer"),
        ),
        (
            "expired this very second",
            t.sign_access(&AccessTokenClaims {
                iat: now - 600,
                exp: now,
                ..alice_claims()
            }),
            401,
            error("invalid_token", "token expired"),
        ),
        (
            "issued an hour from now",
            t.sign_access(&AccessTokenClaims {
                iat: now + 3600,
                exp: now + 4200,
                ..alice_claims()
            }),
            401,
            error("invalid_token", "token issued in the future"),
        ),
        (
            "no scope at all",
            t.sign_access(&AccessTokenClaims {
                scope: ScopeSet::default(),
                ..alice_claims()
            }),
            403,
            error("insufficient_scope", "the token lacks the form.read scope"),
        ),
        (
            "scope widened under the original signature",
            escalated.clone(),
            401,
            error("invalid_token", "signature does not verify"),
        ),
        (
            "re-signed by an attacker under XYZ's kid",
            attacker
                .sign_access_token(&alice_claims())
                .unwrap()
                .expose_secret()
                .to_owned(),
            401,
            error("invalid_token", "signature does not verify"),
        ),
        (
            "HS256 keyed with XYZ's published public key",
            {
                let jwks: Value = t
                    .http
                    .get(t.url("/.well-known/jwks.json"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let x = jose::b64_decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
                let h = jwt_compact::Header::empty()
                    .with_key_id(header.kid.clone().unwrap())
                    .with_token_type("at+jwt");
                hs256(&x, h, serde_json::to_value(alice_claims()).unwrap())
            },
            401,
            error("invalid_token", "signature algorithm not allowed"),
        ),
        (
            "alg none",
            compact(
                &json!({"alg": "none", "kid": header.kid, "typ": "at+jwt"}).to_string(),
                &serde_json::to_string(&alice_claims()).unwrap(),
                b"",
            ),
            401,
            error("invalid_token", "signature algorithm not allowed"),
        ),
    ];
    for (name, tok, status, want) in token_cases {
        let r = t
            .call(
                reqwest::Method::GET,
                "/api/v1/me/record",
                Some(&tok),
                &[],
                None,
            )
            .await;
        assert_eq!((r.status, &r.body), (status, &want), "{name}");
        assert!(
            r.headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer error="),
            "{name}"
        );
    }
    let r = t
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/record",
            Some(&escalated),
            &[("if-match", "\"v0\"")],
            Some(json!({"company": "Escalated"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (401, error("invalid_token", "signature does not verify"))
    );

    // Tokens anywhere but the Authorization header are not read (nor logged from URLs).
    let required = error("invalid_token", "a bearer access token is required");
    for (path, headers) in [
        (format!("/api/v1/me/record?access_token={token}"), vec![]),
        (
            "/api/v1/me/record".to_owned(),
            vec![("cookie", format!("access_token={token}"))],
        ),
        (
            "/api/v1/me/record".to_owned(),
            vec![("authorization", format!("Basic {token}"))],
        ),
        (
            "/api/v1/me/record".to_owned(),
            vec![("authorization", "Bearer ".to_owned())],
        ),
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = t
            .call(reqwest::Method::GET, &path, None, &headers, None)
            .await;
        assert_eq!((r.status, &r.body), (401, &required), "{path} {headers:?}");
    }

    // Provisioning paths that name another tenant's client.
    for path in [
        "/api/v1/partners/def/users/alice",
        "/api/v1/partners/ABC/users/alice",
        "/api/v1/partners/abc%2F..%2Fdef/users/alice",
    ] {
        let r = t
            .call(
                reqwest::Method::PUT,
                path,
                Some(&abc.client_assertion()),
                &[],
                None,
            )
            .await;
        assert_eq!(
            (r.status, &r.body),
            (
                403,
                &error("access_denied", "a client may only manage its own users")
            ),
            "{path}"
        );
    }
    // A traversal in the user id stays an opaque id in the caller's own tenant.
    let r = t
        .call(
            reqwest::Method::PUT,
            "/api/v1/partners/abc/users/..%2F..%2Fdef%2Fusers%2Fbob",
            Some(&abc.client_assertion()),
            &[],
            None,
        )
        .await;
    assert_eq!(
        (r.status, &r.body["tenant"], &r.body["external_id"]),
        (201, &json!("abc"), &json!("../../def/users/bob"))
    );

    // CORS: origins that merely look like abc's.
    let lookalikes = [
        "http://abc.localhost.evil.localhost:18081",
        "http://evilabc.localhost:18081",
        "http://app.abc.localhost:18081",
        "https://abc.localhost:18081",
        "http://ABC.localhost:18081",
        "http://abc.localhost:18089",
        "http://abc.localhost:018081",
        "http://abc.localhost:18081@evil.localhost",
        "http://abc.localhost:18081 http://evil.localhost",
        "http://abc.localhost:18081, http://evil.localhost",
    ];
    let denied = error(
        "access_denied",
        "origin is not registered for this token's client",
    );
    for origin in lookalikes {
        let r = t
            .call(
                reqwest::Method::GET,
                "/api/v1/me/record",
                Some(&token),
                &[("origin", origin)],
                None,
            )
            .await;
        assert_eq!((r.status, &r.body), (403, &denied), "{origin}");
        assert!(
            r.headers.get("access-control-allow-origin").is_none(),
            "{origin}"
        );
        let r = t
            .call(
                reqwest::Method::GET,
                "/api/v1/me/record",
                None,
                &[("origin", origin)],
                None,
            )
            .await;
        assert_eq!(r.status, 401, "{origin}");
        assert!(
            r.headers.get("access-control-allow-origin").is_none(),
            "{origin}"
        );
        let r = t
            .call(
                reqwest::Method::OPTIONS,
                "/api/v1/me/record",
                None,
                &[("origin", origin), ("access-control-request-method", "PUT")],
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{origin}");
        assert!(
            r.headers.get("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
    // The hub page never reflects what it is given.
    let r = t
        .http
        .get(t.url("/hub?client_id=%3Cscript%3Ealert(1)%3C/script%3E"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.text().await.unwrap(), "unknown client\n");

    let r = t
        .call(
            reqwest::Method::GET,
            "/api/v1/me/record",
            Some(&token),
            &[("origin", ABC_ORIGIN)],
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["access-control-allow-origin"], ABC_ORIGIN);
    t.stop().await;
}
