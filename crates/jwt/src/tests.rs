use super::*;
use crosspass_protocol::claims::{Audience, DEFAULT_LEEWAY_SECS, MAX_ASSERTION_LIFETIME_SECS};
use crosspass_protocol::ids::TenantId;
use crosspass_protocol::scope::ScopeSet;
use jwt_compact::alg::{Hs256, Hs256Key};
use serde_json::json;

const NOW: i64 = 1_800_000_000;
const XYZ: &str = "https://sso.xyz";
const ISS_A: &str = "https://abc.example";
const ISS_B: &str = "https://def.example";

struct Partner {
    key: SigningKey,
    keys: Jwks,
    client_id: ClientId,
}

fn partner(kid: &str, seed: u8, client: &str) -> Partner {
    let key = SigningKey::ed25519(kid, &[seed; 32]).unwrap();
    let keys = Jwks::new(vec![key.public_jwk()]).unwrap();
    Partner {
        key,
        keys,
        client_id: ClientId::new(client).unwrap(),
    }
}

fn ec_partner() -> Partner {
    let key = SigningKey::p256("ec1", &[7; 32]).unwrap();
    let keys = Jwks::new(vec![key.public_jwk()]).unwrap();
    Partner {
        key,
        keys,
        client_id: ClientId::new("abc").unwrap(),
    }
}

fn claims() -> serde_json::Value {
    json!({
        "iss": ISS_A, "sub": "user-1", "aud": XYZ, "client_id": "abc",
        "jti": "j1", "iat": NOW - 10, "exp": NOW + 120, "scope": "form.read",
    })
}

fn header(p: &Partner) -> serde_json::Value {
    json!({"alg": p.key.alg().as_str(), "kid": p.key.kid(), "typ": ID_JAG_TYP})
}

fn sign(p: &Partner, header: &serde_json::Value, claims: &serde_json::Value) -> Assertion {
    Assertion::new(p.key.sign_compact(&header.to_string(), &claims.to_string()))
}

const EXPECT: AssertionExpectations<'static> = AssertionExpectations {
    audience: XYZ,
    now: NOW,
    leeway: DEFAULT_LEEWAY_SECS,
};

/// Validates with `a` registered for ISS_A and `b` for ISS_B.
fn check(a: &Partner, b: &Partner, token: &Assertion) -> Result<AssertionClaims, JwtError> {
    validate_assertion(
        token,
        |iss| match iss {
            ISS_A => Some(PinnedIssuer {
                keys: &a.keys,
                client_id: Some(&a.client_id),
            }),
            ISS_B => Some(PinnedIssuer {
                keys: &b.keys,
                client_id: Some(&b.client_id),
            }),
            _ => None,
        },
        &EXPECT,
    )
}

fn with(mut v: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    v[key] = value;
    v
}

fn without(mut v: serde_json::Value, key: &str) -> serde_json::Value {
    if let Some(m) = v.as_object_mut() {
        m.remove(key);
    }
    v
}

fn unsigned(header: &serde_json::Value, claims: &serde_json::Value, sig: &[u8]) -> Assertion {
    Assertion::new(format!(
        "{}.{}.{}",
        jose::b64_encode(header.to_string().as_bytes()),
        jose::b64_encode(claims.to_string().as_bytes()),
        jose::b64_encode(sig)
    ))
}

#[test]
fn good_assertions_verify_with_both_key_types() {
    let a = partner("a1", 1, "abc");
    let b = partner("b1", 2, "def");
    let got = check(&a, &b, &sign(&a, &header(&a), &claims())).unwrap();
    assert_eq!(got.sub.as_deref(), Some("user-1"));
    let typ = with(header(&a), "typ", json!("application/oauth-id-jag+jwt"));
    check(&a, &b, &sign(&a, &typ, &claims())).unwrap();
    let aud = with(claims(), "aud", json!([XYZ]));
    check(&a, &b, &sign(&a, &header(&a), &aud)).unwrap();

    let ec = ec_partner();
    check(&ec, &b, &sign(&ec, &header(&ec), &claims())).unwrap();
}

#[test]
fn each_rule_fails_alone_with_its_own_error() {
    let a = partner("a1", 1, "abc");
    let b = partner("b1", 2, "def");
    let h = header(&a);
    let c = claims();
    let cases: Vec<(&str, Assertion, JwtError)> = vec![
        (
            "too large",
            Assertion::new("a".repeat(jose::MAX_JWT_BYTES + 1)),
            JwtError::TooLarge,
        ),
        (
            "two segments",
            Assertion::new("abc.def"),
            JwtError::Malformed("not a compact JWS"),
        ),
        (
            "header not JSON",
            Assertion::new(format!("{}.e30.AA", jose::b64_encode(b"nope"))),
            JwtError::Malformed("invalid header"),
        ),
        (
            "float exp",
            sign(&a, &h, &with(c.clone(), "exp", json!(1_800_000_120.5))),
            JwtError::Malformed("invalid claims"),
        ),
        (
            "string exp",
            sign(&a, &h, &with(c.clone(), "exp", json!("1800000120"))),
            JwtError::Malformed("invalid claims"),
        ),
        (
            "duplicate claim",
            Assertion::new(a.key.sign_compact(
                &h.to_string(),
                &format!(
                    r#"{{"iss":"{ISS_A}","iss":"{ISS_B}","sub":"u","aud":"{XYZ}","client_id":"abc","jti":"j","iat":{},"exp":{}}}"#,
                    NOW,
                    NOW + 60
                ),
            )),
            JwtError::Malformed("invalid claims"),
        ),
        (
            "duplicate header member",
            Assertion::new(a.key.sign_compact(
                r#"{"alg":"EdDSA","alg":"none","kid":"a1","typ":"oauth-id-jag+jwt"}"#,
                &c.to_string(),
            )),
            JwtError::Malformed("invalid header"),
        ),
        (
            "crit header",
            sign(&a, &with(h.clone(), "crit", json!(["b64"])), &c),
            JwtError::Malformed("unsupported crit header"),
        ),
        (
            "missing typ",
            sign(&a, &without(h.clone(), "typ"), &c),
            JwtError::WrongTyp,
        ),
        (
            "typ JWT",
            sign(&a, &with(h.clone(), "typ", json!("JWT")), &c),
            JwtError::WrongTyp,
        ),
        (
            "typ at+jwt",
            sign(&a, &with(h.clone(), "typ", json!("at+jwt")), &c),
            JwtError::WrongTyp,
        ),
        (
            "alg none",
            unsigned(&with(h.clone(), "alg", json!("none")), &c, b""),
            JwtError::AlgNotAllowed,
        ),
        (
            "alg None",
            unsigned(&with(h.clone(), "alg", json!("None")), &c, b""),
            JwtError::AlgNotAllowed,
        ),
        ("HS256 with the public key as secret", hs256_forgery(&a), JwtError::AlgNotAllowed),
        (
            "ES256 header on an Ed25519 key",
            sign(&a, &with(h.clone(), "alg", json!("ES256")), &c),
            JwtError::AlgNotAllowed,
        ),
        (
            "missing kid",
            sign(&a, &without(h.clone(), "kid"), &c),
            JwtError::MissingKid,
        ),
        (
            "unknown iss",
            sign(&a, &h, &with(c.clone(), "iss", json!("https://evil.example"))),
            JwtError::UnknownIssuer,
        ),
        (
            "missing iss",
            sign(&a, &h, &without(c.clone(), "iss")),
            JwtError::Claim(ClaimError::Missing("iss")),
        ),
        (
            "unknown kid",
            sign(&a, &with(h.clone(), "kid", json!("a2")), &c),
            JwtError::UnknownKey,
        ),
        (
            "partner A's key with partner B's iss",
            sign(&a, &with(h.clone(), "kid", json!("b1")), &with(c.clone(), "iss", json!(ISS_B))),
            JwtError::BadSignature,
        ),
        (
            "stripped signature",
            unsigned(&h, &c, b""),
            JwtError::BadSignature,
        ),
        (
            "tampered claims",
            {
                let good = sign(&a, &h, &c);
                let sig = good.expose_secret().rsplit('.').next().unwrap_or_default().to_owned();
                let forged = unsigned(&h, &with(c.clone(), "sub", json!("admin")), b"");
                Assertion::new(format!("{}{sig}", forged.expose_secret()))
            },
            JwtError::BadSignature,
        ),
        (
            "aud wrong",
            sign(&a, &h, &with(c.clone(), "aud", json!("https://other"))),
            JwtError::Claim(ClaimError::WrongAudience),
        ),
        (
            "aud two elements",
            sign(&a, &h, &with(c.clone(), "aud", json!([XYZ, "https://other"]))),
            JwtError::Claim(ClaimError::WrongAudience),
        ),
        (
            "client_id mismatch",
            sign(&a, &h, &with(c.clone(), "client_id", json!("def"))),
            JwtError::Claim(ClaimError::ClientIdMismatch),
        ),
        (
            "expired",
            sign(
                &a,
                &h,
                &with(with(c.clone(), "exp", json!(NOW - 31)), "iat", json!(NOW - 100)),
            ),
            JwtError::Claim(ClaimError::Expired),
        ),
        (
            "lifetime over 5 minutes",
            sign(
                &a,
                &h,
                &with(c.clone(), "exp", json!(NOW - 10 + MAX_ASSERTION_LIFETIME_SECS + 1)),
            ),
            JwtError::Claim(ClaimError::LifetimeTooLong),
        ),
        (
            "iat in the future",
            sign(
                &a,
                &h,
                &with(with(c.clone(), "iat", json!(NOW + 60)), "exp", json!(NOW + 120)),
            ),
            JwtError::Claim(ClaimError::IssuedInFuture),
        ),
    ];
    for (name, token, want) in cases {
        assert_eq!(check(&a, &b, &token).unwrap_err(), want, "{name}");
    }
}

fn hs256_forgery(p: &Partner) -> Assertion {
    use jwt_compact::{AlgorithmExt, Claims, Header};
    let PublicKey::Ed25519(public) = p.key.public_jwk().key else {
        unreachable!()
    };
    let secret = Hs256Key::new(public.as_bytes());
    let header = Header::empty()
        .with_key_id(p.key.kid())
        .with_token_type(ID_JAG_TYP);
    let token = Hs256
        .token(&header, &Claims::new(claims()), &secret)
        .unwrap();
    Assertion::new(token)
}

#[test]
fn missing_jti_passes_signature_checks_and_is_left_to_the_caller() {
    let a = partner("a1", 1, "abc");
    let b = partner("b1", 2, "def");
    let got = check(&a, &b, &sign(&a, &header(&a), &without(claims(), "jti"))).unwrap();
    assert_eq!(got.jti(), Err(ClaimError::Missing("jti")));
}

#[test]
fn attacker_keys_in_headers_are_ignored() {
    let a = partner("a1", 1, "abc");
    let b = partner("b1", 2, "def");
    let evil = SigningKey::ed25519("a1", &[9; 32]).unwrap();
    let h = json!({
        "alg": "EdDSA", "kid": "a1", "typ": ID_JAG_TYP,
        "jwk": evil.public_jwk().to_json(),
        "jku": "https://evil.example/jwks.json",
        "x5u": "https://evil.example/cert.pem",
        "x5c": ["MIIB"],
    });
    let forged = Assertion::new(evil.sign_compact(&h.to_string(), &claims().to_string()));
    assert_eq!(check(&a, &b, &forged).unwrap_err(), JwtError::BadSignature);
    let genuine = sign(&a, &h, &claims());
    check(&a, &b, &genuine).unwrap();
}

#[test]
fn ecdsa_zero_signature_is_refused() {
    let ec = ec_partner();
    let b = partner("b1", 2, "def");
    let token = unsigned(&header(&ec), &claims(), &[0; 64]);
    assert_eq!(check(&ec, &b, &token).unwrap_err(), JwtError::BadSignature);
    let short = unsigned(&header(&ec), &claims(), &[1; 63]);
    assert_eq!(check(&ec, &b, &short).unwrap_err(), JwtError::BadSignature);
}

/// The identity point, which has order 1, and a signature that the cofactorless
/// equation `R = [S]B - [k]A` accepts under it for every message: `S = 1`, `R = B`.
const IDENTITY: [u8; 32] = {
    let mut p = [0; 32];
    p[0] = 1;
    p
};
const FORGED_UNDER_IDENTITY: [u8; 64] = {
    let mut sig = [0x66; 64];
    sig[0] = 0x58;
    let mut i = 32;
    while i < 64 {
        sig[i] = 0;
        i += 1;
    }
    sig[32] = 1;
    sig
};

#[test]
fn weak_ed25519_keys_are_refused_and_never_verify() {
    let jwk =
        json!({"kty": "OKP", "crv": "Ed25519", "kid": "weak", "x": jose::b64_encode(&IDENTITY)});
    assert_eq!(
        Jwks::parse(&json!({ "keys": [jwk] }).to_string()),
        Err(JwkError::BadKey("weak".into()))
    );
    let weak = ed25519_dalek::VerifyingKey::from_bytes(&IDENTITY).unwrap();
    assert_eq!(
        Jwk::new("weak", PublicKey::Ed25519(weak)),
        Err(JwkError::BadKey("weak".into()))
    );
    // Even pinned past those checks, such a key verifies nothing.
    let keys = Jwks::new(vec![Jwk {
        kid: "weak".into(),
        key: PublicKey::Ed25519(weak),
    }])
    .unwrap();
    let a = Partner {
        key: SigningKey::ed25519("weak", &[1; 32]).unwrap(),
        keys,
        client_id: ClientId::new("abc").unwrap(),
    };
    let b = partner("b1", 2, "def");
    let forged = unsigned(&header(&a), &claims(), &FORGED_UNDER_IDENTITY);
    assert_eq!(check(&a, &b, &forged).unwrap_err(), JwtError::BadSignature);
}

#[test]
fn client_assertions() {
    let a = partner("a1", 1, "abc");
    let c =
        json!({"iss": "abc", "sub": "abc", "aud": XYZ, "jti": "c1", "iat": NOW, "exp": NOW + 60});
    let h = json!({"alg": "EdDSA", "kid": "a1"});
    let run = |h: &serde_json::Value, c: &serde_json::Value| {
        let token = sign(&a, h, c);
        let u = UnverifiedClientAssertion::parse(&token)?;
        let client = (u.client_id()? == "abc").then_some((&a.client_id, &a.keys));
        u.verify(client, &EXPECT)
    };
    run(&h, &c).unwrap();
    run(&with(h.clone(), "typ", json!("JWT")), &c).unwrap();
    assert_eq!(
        run(&with(h.clone(), "typ", json!(ID_JAG_TYP)), &c).unwrap_err(),
        JwtError::WrongTyp
    );
    assert_eq!(
        run(&h, &with(c.clone(), "iss", json!("def"))).unwrap_err(),
        JwtError::UnknownIssuer
    );
    assert_eq!(
        run(&h, &with(c.clone(), "sub", json!("someone"))).unwrap_err(),
        JwtError::Claim(ClaimError::Invalid("sub"))
    );
    assert_eq!(
        run(
            &h,
            &with(c.clone(), "aud", json!("https://sso.xyz/oauth/token"))
        )
        .unwrap_err(),
        JwtError::Claim(ClaimError::WrongAudience)
    );
    assert_eq!(
        run(&h, &without(c.clone(), "jti")).unwrap_err(),
        JwtError::Claim(ClaimError::Missing("jti"))
    );
    assert_eq!(
        run(&h, &with(c.clone(), "exp", json!(NOW + 3600))).unwrap_err(),
        JwtError::Claim(ClaimError::LifetimeTooLong)
    );
}

fn access_claims() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: XYZ.into(),
        sub: "u_1".into(),
        aud: Audience::One(format!("{XYZ}/api")),
        client_id: ClientId::new("abc").unwrap(),
        tenant: TenantId::new("abc").unwrap(),
        scope: ScopeSet::parse("form.read form.write").unwrap(),
        jti: "t1".into(),
        iat: NOW,
        exp: NOW + 600,
        act: None,
        sid: None,
    }
}

#[test]
fn access_tokens_round_trip_and_fail_per_rule() {
    let key = SigningKey::ed25519("xyz-1", &[3; 32]).unwrap();
    let keys = Jwks::new(vec![key.public_jwk()]).unwrap();
    let api = format!("{XYZ}/api");
    let read = ScopeSet::parse("form.read").unwrap();
    let expect = AccessTokenExpectations {
        issuer: XYZ,
        audience: &api,
        client_id: None,
        required_scope: Some(&read),
    };
    let token = key.sign_access_token(&access_claims()).unwrap();
    assert_eq!(
        jose::decode_header(token.expose_secret())
            .unwrap()
            .typ
            .as_deref(),
        Some("at+jwt")
    );
    let got = validate_access_token(&token, &keys, &expect, NOW).unwrap();
    assert_eq!(got, access_claims());

    assert_eq!(
        validate_access_token(&token, &keys, &expect, NOW + 600).unwrap_err(),
        JwtError::Claim(ClaimError::Expired)
    );
    let other = Jwks::new(vec![SigningKey::ed25519("xyz-2", &[4; 32])
        .unwrap()
        .public_jwk()])
    .unwrap();
    assert_eq!(
        validate_access_token(&token, &other, &expect, NOW).unwrap_err(),
        JwtError::UnknownKey
    );
    let admin = ScopeSet::parse("admin").unwrap();
    let wider = AccessTokenExpectations {
        required_scope: Some(&admin),
        ..expect.clone()
    };
    assert_eq!(
        validate_access_token(&token, &keys, &wider, NOW).unwrap_err(),
        JwtError::Claim(ClaimError::Scope)
    );
    let id_jag = AccessToken::new(key.sign(ID_JAG_TYP, &access_claims()).unwrap());
    assert_eq!(
        validate_access_token(&id_jag, &keys, &expect, NOW).unwrap_err(),
        JwtError::WrongTyp
    );
    let mut partial = serde_json::to_value(access_claims()).unwrap();
    partial.as_object_mut().unwrap().remove("tenant");
    let partial = AccessToken::new(key.sign(ACCESS_TOKEN_TYP, &partial).unwrap());
    assert_eq!(
        validate_access_token(&partial, &keys, &expect, NOW).unwrap_err(),
        JwtError::Malformed("invalid claims")
    );
}

#[test]
fn fast_es256_agrees_with_the_p256_crate() {
    let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let public = *key.verifying_key();
    for msg in [&b""[..], b"a.b", &[0xff; 1000]] {
        let sig = Es256.sign(&key, msg);
        assert!(FastEs256.verify_signature(&sig, &public, msg));
        assert!(!FastEs256.verify_signature(&sig, &public, b"other"));
        let sig = FastEs256.sign(&key, msg);
        assert!(Es256.verify_signature(&sig, &public, msg));
        let other = *p256::ecdsa::SigningKey::from_slice(&[8; 32])
            .unwrap()
            .verifying_key();
        assert!(!FastEs256.verify_signature(&sig, &other, msg));
    }
}

#[test]
fn jwks_round_trip() {
    let ed = SigningKey::ed25519("ed", &[1; 32]).unwrap();
    let ec = SigningKey::p256("ec", &[2; 32]).unwrap();
    let set = Jwks::new(vec![ed.public_jwk(), ec.public_jwk()]).unwrap();
    let text = set.to_json().to_string();
    assert_eq!(Jwks::parse(&text).unwrap(), set);
    let single = ed.public_jwk().to_json().to_string();
    assert_eq!(Jwks::parse(&single).unwrap().keys().len(), 1);
    assert_eq!(
        SigningKey::ed25519("ed", &ed.secret_bytes())
            .unwrap()
            .public_jwk(),
        ed.public_jwk()
    );
    assert_eq!(
        SigningKey::p256("ec", &ec.secret_bytes())
            .unwrap()
            .public_jwk(),
        ec.public_jwk()
    );
    assert!(!format!("{ed:?}").contains(&jose::b64_encode(&ed.secret_bytes())));
}

#[test]
fn jwks_refuses_bad_sets() {
    let ed = SigningKey::ed25519("ed", &[1; 32])
        .unwrap()
        .public_jwk()
        .to_json();
    let ec = SigningKey::p256("ec", &[2; 32])
        .unwrap()
        .public_jwk()
        .to_json();
    let set = |keys: Vec<serde_json::Value>| json!({ "keys": keys }).to_string();
    let cases = [
        (set(vec![]), JwkError::Empty),
        (
            set(vec![with(ed.clone(), "d", json!("AAAA"))]),
            JwkError::PrivateMember("ed".into()),
        ),
        (
            set(vec![with(ec.clone(), "d", json!("AAAA"))]),
            JwkError::PrivateMember("ec".into()),
        ),
        (
            set(vec![json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h"})]),
            JwkError::PrivateMember("h".into()),
        ),
        (
            set(vec![
                json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r"}),
            ]),
            JwkError::Unsupported("r".into()),
        ),
        (
            set(vec![with(ec.clone(), "crv", json!("P-384"))]),
            JwkError::Unsupported("ec".into()),
        ),
        (set(vec![without(ed.clone(), "kid")]), JwkError::Kid),
        (
            set(vec![ed.clone(), ed.clone()]),
            JwkError::DuplicateKid("ed".into()),
        ),
        (
            set(vec![with(ed.clone(), "alg", json!("ES256"))]),
            JwkError::AlgMismatch("ed".into()),
        ),
        (
            set(vec![with(ed.clone(), "use", json!("enc"))]),
            JwkError::Use("ed".into()),
        ),
        (
            set(vec![with(ed.clone(), "x", json!("AAAA"))]),
            JwkError::BadKey("ed".into()),
        ),
        (
            set(vec![with(
                ec.clone(),
                "y",
                json!(jose::b64_encode(&[1; 32])),
            )]),
            JwkError::BadKey("ec".into()),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(Jwks::parse(&text).unwrap_err(), want, "{text}");
    }
    assert!(matches!(Jwks::parse("[]"), Err(JwkError::Json(_))));
    assert_eq!(
        Jwks::parse(&" ".repeat(MAX_JWKS_BYTES + 1)),
        Err(JwkError::TooLarge)
    );
}
#[test]
fn an_issuer_that_may_not_speak_for_the_named_client_is_refused_after_the_signature() {
    let idp = partner("i1", 5, "abc");
    let token = sign(&idp, &header(&idp), &claims());
    let run = |keys: &Jwks, client_id: Option<&ClientId>| {
        UnverifiedAssertion::parse(&token)?.verify(Some(PinnedIssuer { keys, client_id }), &EXPECT)
    };
    let u = UnverifiedAssertion::parse(&token).unwrap();
    assert_eq!(u.client_id(), Some("abc"));
    run(&idp.keys, Some(&idp.client_id)).unwrap();
    assert_eq!(
        run(&idp.keys, None).unwrap_err(),
        JwtError::Claim(ClaimError::ClientIdMismatch)
    );
    let other = partner("i1", 6, "abc");
    assert_eq!(run(&other.keys, None).unwrap_err(), JwtError::BadSignature);
    let anonymous = sign(&idp, &header(&idp), &without(claims(), "client_id"));
    assert_eq!(
        UnverifiedAssertion::parse(&anonymous)
            .unwrap()
            .verify(
                Some(PinnedIssuer {
                    keys: &idp.keys,
                    client_id: None
                }),
                &EXPECT
            )
            .unwrap_err(),
        JwtError::Claim(ClaimError::Missing("client_id"))
    );
}

#[test]
fn link_statements() {
    let mh = partner("m1", 8, "myhealth");
    let h = json!({"alg": "EdDSA", "kid": "m1", "typ": ACCOUNT_LINK_TYP});
    let c = json!({"iss": "https://myhealth.example", "sub": "p-1001", "aud": XYZ,
                   "jti": "l1", "iat": NOW, "exp": NOW + 120});
    let run = |h: &serde_json::Value, c: &serde_json::Value, keys: Option<&Jwks>| {
        let token = sign(&mh, h, c);
        let u = UnverifiedLinkStatement::parse(&token)?;
        assert_eq!(u.issuer()?, "https://myhealth.example");
        u.verify(keys, &EXPECT)
    };
    assert_eq!(
        run(&h, &c, Some(&mh.keys)).unwrap().sub.as_deref(),
        Some("p-1001")
    );
    let cases = [
        (
            with(h.clone(), "typ", json!(ID_JAG_TYP)),
            c.clone(),
            Some(&mh.keys),
            JwtError::WrongTyp,
        ),
        (h.clone(), c.clone(), None, JwtError::UnknownIssuer),
        (
            h.clone(),
            c.clone(),
            Some(&partner("m1", 9, "x").keys),
            JwtError::BadSignature,
        ),
        (
            h.clone(),
            with(c.clone(), "aud", json!("https://other")),
            Some(&mh.keys),
            JwtError::Claim(ClaimError::WrongAudience),
        ),
        (
            h.clone(),
            with(c.clone(), "exp", json!(NOW - 60)),
            Some(&mh.keys),
            JwtError::Claim(ClaimError::Expired),
        ),
        (
            h.clone(),
            without(c.clone(), "jti"),
            Some(&mh.keys),
            JwtError::Claim(ClaimError::Missing("jti")),
        ),
    ];
    for (h, c, keys, want) in cases {
        assert_eq!(run(&h, &c, keys).unwrap_err(), want, "{h} {c}");
    }
}

#[test]
fn subject_tokens_must_be_xyz_access_tokens_addressed_to_the_caller() {
    let key = SigningKey::ed25519("xyz-1", &[3; 32]).unwrap();
    let keys = Jwks::new(vec![key.public_jwk()]).unwrap();
    let api = format!("{XYZ}/api");
    let token = key.sign_access_token(&access_claims()).unwrap();
    let (claims, audience) =
        validate_subject_token(&token, &keys, XYZ, &["https://mh", &api], NOW).unwrap();
    assert_eq!((claims, audience), (access_claims(), api.as_str()));
    assert_eq!(
        validate_subject_token(&token, &keys, XYZ, &["https://mh"], NOW).unwrap_err(),
        JwtError::Claim(ClaimError::WrongAudience)
    );
    assert_eq!(
        validate_subject_token(&token, &keys, "https://evil", &[&api], NOW).unwrap_err(),
        JwtError::Claim(ClaimError::WrongIssuer)
    );
    assert_eq!(
        validate_subject_token(&token, &keys, XYZ, &[&api], NOW + 600).unwrap_err(),
        JwtError::Claim(ClaimError::Expired)
    );
    let id_jag = AccessToken::new(key.sign(ID_JAG_TYP, &access_claims()).unwrap());
    assert_eq!(
        validate_subject_token(&id_jag, &keys, XYZ, &[&api], NOW).unwrap_err(),
        JwtError::WrongTyp
    );
    let forged = SigningKey::ed25519("xyz-1", &[4; 32])
        .unwrap()
        .sign_access_token(&access_claims())
        .unwrap();
    assert_eq!(
        validate_subject_token(&forged, &keys, XYZ, &[&api], NOW).unwrap_err(),
        JwtError::BadSignature
    );
}
