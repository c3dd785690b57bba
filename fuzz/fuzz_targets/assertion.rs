//! Partner assertions through `UnverifiedAssertion::parse` and `verify` against pinned
//! keys, in two modes:
//!
//! - `header\nclaims`: the two JSON texts are signed here with a pinned key, so inputs
//!   get past the signature to every header and claim rule; whatever verifies is
//!   checked again, independently, on the JSON as `serde_json::Value` reads it.
//! - anything else is a token as a partner would send it; no input can carry a valid
//!   signature of a pinned key, so none may verify (as an assertion, a client
//!   assertion or an access token).
#![no_main]

use crosspass_jwt::{
    validate_access_token, AssertionExpectations, Jwks, PinnedIssuer, SigningKey,
    UnverifiedAssertion, UnverifiedClientAssertion,
};
use crosspass_protocol::claims::{
    AccessTokenExpectations, AssertionClaims, Audience, MAX_ASSERTION_LIFETIME_SECS,
};
use crosspass_protocol::{AccessToken, Assertion, ClientId};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::OnceLock;

const NOW: i64 = 1_800_000_000;
const LEEWAY: i64 = 30;
const XYZ: &str = "https://sso.xyz";
const ISS: &str = "https://abc.example";
const CLIENT: &str = "abc";

struct Fixture {
    ed: SigningKey,
    ec: SigningKey,
    keys: Jwks,
    client: ClientId,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ed = SigningKey::ed25519("ed-1", &[1; 32]).unwrap();
        let ec = SigningKey::p256("ec-1", &[2; 32]).unwrap();
        let keys = Jwks::new(vec![ed.public_jwk(), ec.public_jwk()]).unwrap();
        let client = ClientId::new(CLIENT).unwrap();
        Fixture {
            ed,
            ec,
            keys,
            client,
        }
    })
}

const EXPECT: AssertionExpectations<'static> = AssertionExpectations {
    audience: XYZ,
    now: NOW,
    leeway: LEEWAY,
};

fn check(token: &Assertion) -> Option<AssertionClaims> {
    let fx = fixture();
    let unverified = UnverifiedAssertion::parse(token).ok()?;
    let issuer = (unverified.issuer().ok()? == ISS).then_some(PinnedIssuer {
        keys: &fx.keys,
        client_id: Some(&fx.client),
    });
    unverified.verify(issuer, &EXPECT).ok()
}

/// The rules of docs/design.md, read off the raw JSON.
fn obeys_the_rules(header: &Value, claims: &Value, alg: &str, kid: &str, got: &AssertionClaims) {
    let typ = header["typ"].as_str().map(str::to_ascii_lowercase);
    assert!(matches!(
        typ.as_deref(),
        Some("oauth-id-jag+jwt" | "application/oauth-id-jag+jwt")
    ));
    assert_eq!(header["alg"], alg);
    assert_eq!(header["kid"], kid);
    assert!(header.get("crit").is_none());
    assert_eq!(claims["iss"], ISS);
    assert!(claims["aud"] == XYZ || claims["aud"] == serde_json::json!([XYZ]));
    assert_eq!(claims["client_id"], CLIENT);
    let exp = claims["exp"].as_i64().unwrap();
    let iat = claims["iat"].as_i64().unwrap();
    assert!(exp > NOW - LEEWAY);
    assert!(exp - iat <= MAX_ASSERTION_LIFETIME_SECS);
    assert!(iat <= NOW + LEEWAY);
    if let Some(nbf) = claims.get("nbf").filter(|v| !v.is_null()) {
        assert!(nbf.as_i64().unwrap() <= NOW + LEEWAY);
    }
    // What the validator returns is what the JSON says.
    assert_eq!(got.iss.as_deref(), Some(ISS));
    assert_eq!(got.sub.as_deref(), claims["sub"].as_str());
    assert_eq!(got.jti.as_deref(), claims["jti"].as_str());
    assert_eq!((got.exp, got.iat), (Some(exp), Some(iat)));
    assert!(
        matches!(&got.aud, Some(Audience::One(a)) if a == XYZ)
            || matches!(&got.aud, Some(Audience::Many(v)) if v == &[XYZ])
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fx = fixture();
    match text.split_once('\n') {
        Some((header, claims)) => {
            let key = if header.contains("ES256") {
                &fx.ec
            } else {
                &fx.ed
            };
            let token = Assertion::new(key.sign_compact(header, claims));
            if let Some(got) = check(&token) {
                let header: Value = serde_json::from_str(header).unwrap();
                let claims: Value = serde_json::from_str(claims).unwrap();
                obeys_the_rules(&header, &claims, key.alg().as_str(), key.kid(), &got);
            }
        }
        None => {
            let token = Assertion::new(text);
            assert!(check(&token).is_none());
            if let Ok(client) = UnverifiedClientAssertion::parse(&token) {
                assert!(client
                    .verify(Some((&fx.client, &fx.keys)), &EXPECT)
                    .is_err());
            }
            let expect = AccessTokenExpectations {
                issuer: XYZ,
                audience: XYZ,
                client_id: None,
                required_scope: None,
            };
            let access = AccessToken::new(text);
            assert!(validate_access_token(&access, &fx.keys, &expect, NOW).is_err());
        }
    }
});
