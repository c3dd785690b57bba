//! The seeder keeps the contract the load tests rely on: the names in the crate docs,
//! the pinned key, a record per user, and growing without duplicating.

use crosspass_bench::{seed_partners, seed_users, RECORD};
use crosspass_jwt::{AssertionExpectations, Jwks, PinnedIssuer, SigningKey, UnverifiedAssertion};
use crosspass_protocol::{Assertion, TenantId};
use crosspass_server::db::Db;
use crosspass_server::util::now;
use sqlx::Row;

#[tokio::test]
async fn seeds_named_partners_and_users_that_the_server_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(
        &format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        ),
        2,
    )
    .await
    .unwrap();
    let key = SigningKey::p256("bench-es256", &[3; 32]).unwrap();
    let jwks = Jwks::new(vec![key.public_jwk()])
        .unwrap()
        .to_json()
        .to_string();

    assert_eq!(seed_partners(&db, 3, &jwks, now()).await.unwrap(), 3);
    assert_eq!(seed_users(&db, 10, 3, now()).await.unwrap(), 10);
    // Growing adds only what is missing.
    assert_eq!(seed_partners(&db, 3, &jwks, now()).await.unwrap(), 0);
    assert_eq!(seed_users(&db, 25, 3, now()).await.unwrap(), 15);
    assert_eq!(seed_users(&db, 25, 3, now()).await.unwrap(), 0);

    // user7 belongs to partner p1 (7 mod 3), as the harness assumes when it mints.
    let partner = db
        .partner_by_issuer("http://p1.localhost")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(partner.client_id.as_str(), "p1");
    assert!(partner.origins.allows_serialized("http://p1.localhost"));
    let p1 = TenantId::new("p1").unwrap();
    assert!(db.find_user(&p1, "user7").await.unwrap().is_some());
    assert!(db.find_user(&p1, "user8").await.unwrap().is_none());
    assert!(db.find_user(&p1, "user25").await.unwrap().is_none());

    let records = sqlx::query("SELECT r.data FROM users u JOIN records r ON r.user_id = u.id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(records.len(), 25);
    assert!(records.iter().all(|r| r.get::<String, _>(0) == RECORD));

    // An assertion signed with the seeded key verifies against the pinned set.
    let now = now();
    let claims = serde_json::json!({
        "iss": "http://p1.localhost", "sub": "user7", "aud": "http://sso.localhost:8080",
        "client_id": "p1", "jti": "j1", "iat": now, "exp": now + 300, "scope": "form.read",
    });
    let token = Assertion::new(key.sign("oauth-id-jag+jwt", &claims).unwrap());
    let issuer = PinnedIssuer {
        keys: &partner.jwks,
        client_id: Some(&partner.client_id),
    };
    let expect = AssertionExpectations {
        audience: "http://sso.localhost:8080",
        now,
        leeway: 30,
    };
    let verified = UnverifiedAssertion::parse(&token)
        .unwrap()
        .verify(Some(issuer), &expect)
        .unwrap();
    assert_eq!(verified.subject().unwrap(), "user7");
    db.close().await;
}
