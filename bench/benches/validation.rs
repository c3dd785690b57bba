//! What the server spends per request on cryptography and claim checks: a partner
//! assertion at `/oauth/token` (ES256, the demo partners' algorithm, and EdDSA), and an
//! access token on every API call (the full check, and the memo that skips the
//! signature of a token already verified).
//!
//! `cargo bench --profile server -p crosspass-bench` (the server's own profile);
//! `npm run bench -- micro` runs it and reads the medians.
#![allow(clippy::expect_used)] // a broken fixture must stop the bench loudly

use criterion::{criterion_group, criterion_main, Criterion};
use crosspass_jwt::{
    validate_access_token, AssertionExpectations, Jwks, PinnedIssuer, SigningKey,
    UnverifiedAssertion,
};
use crosspass_protocol::claims::{AccessTokenClaims, AccessTokenExpectations, Audience};
use crosspass_protocol::{AccessToken, Assertion, ClientId, ScopeSet, TenantId};
use crosspass_server::db::Db;
use crosspass_server::keys::KeyStore;
use crosspass_server::util::now;
use std::hint::black_box;
use std::time::Duration;

const XYZ: &str = "http://sso.localhost:8080";
const API: &str = "http://sso.localhost:8080/api";
const PARTNER: &str = "http://abc.localhost:8081";

fn assertion(c: &mut Criterion) {
    let client_id = ClientId::new("abc").expect("client id");
    let mut group = c.benchmark_group("assertion");
    for (id, key) in [
        ("es256", SigningKey::p256("abc-es256", &[7; 32])),
        ("eddsa", SigningKey::ed25519("abc-eddsa", &[8; 32])),
    ] {
        let key = key.expect("key");
        let keys = Jwks::new(vec![key.public_jwk()]).expect("jwks");
        let now = now();
        // Lives longer than any run of the bench, so every iteration succeeds.
        let claims = serde_json::json!({
            "iss": PARTNER, "sub": "alice", "aud": XYZ, "client_id": "abc",
            "jti": "bench-jti", "iat": now, "exp": now + 300, "scope": "form.read form.write",
        });
        let token = Assertion::new(key.sign("oauth-id-jag+jwt", &claims).expect("sign"));
        let issuer = PinnedIssuer {
            keys: &keys,
            client_id: Some(&client_id),
        };
        group.bench_function(id, |b| {
            b.iter(|| {
                let expect = AssertionExpectations {
                    audience: XYZ,
                    now: crosspass_server::util::now(),
                    leeway: 30,
                };
                let unverified = UnverifiedAssertion::parse(black_box(&token)).expect("parse");
                unverified.verify(Some(issuer), &expect).expect("valid")
            });
        });
    }
    group.finish();
}

/// A ten-minute XYZ access token signed with `key`.
fn signed_access_token(key: &SigningKey) -> AccessToken {
    let now = now();
    key.sign_access_token(&AccessTokenClaims {
        iss: XYZ.into(),
        sub: "u_bench".into(),
        aud: Audience::One(API.into()),
        client_id: ClientId::new("abc").expect("client id"),
        tenant: TenantId::new("abc").expect("tenant"),
        scope: ScopeSet::parse("form.read form.write").expect("scope"),
        jti: "bench-jti".into(),
        iat: now,
        exp: now + 600,
        act: None,
        sid: None,
    })
    .expect("sign")
}

fn access_token(c: &mut Criterion) {
    let expect = AccessTokenExpectations {
        issuer: XYZ,
        audience: API,
        client_id: None,
        required_scope: None,
    };
    let mut group = c.benchmark_group("access_token");

    // The full check: XYZ signs with Ed25519 keys.
    let key = SigningKey::ed25519("xyz-bench", &[9; 32]).expect("key");
    let keys = Jwks::new(vec![key.public_jwk()]).expect("jwks");
    let token = signed_access_token(&key);
    group.bench_function("verify", |b| {
        b.iter(|| validate_access_token(black_box(&token), &keys, &expect, now()).expect("valid"));
    });

    // What the API does from a token's second request on: the server's own key set,
    // loaded from a real (throwaway) database.
    let dir = std::env::temp_dir().join(format!("crosspass-bench-{}", std::process::id()));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store = runtime.block_on(async {
        let db = Db::connect(&format!("sqlite://{}/keys.db?mode=rwc", dir.display()), 2)
            .await
            .expect("database");
        let store = KeyStore::load(&db).await.expect("keys");
        db.close().await;
        store
    });
    let set = store.get();
    let token = signed_access_token(&set.current);
    set.validate_access_token(&token, &expect, now())
        .expect("valid");
    group.bench_function("remembered", |b| {
        b.iter(|| {
            set.validate_access_token(black_box(&token), &expect, now())
                .expect("valid")
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    // Short enough for `npm run bench`, long enough for stable medians at these speeds.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = assertion, access_token
}
criterion_main!(benches);
