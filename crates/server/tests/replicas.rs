//! Two `crosspass serve` processes on different ports sharing one database (PostgreSQL
//! under `scripts/with-postgres.sh`, else one SQLite file), as replicas behind a load
//! balancer: whatever one replica did, the other honours.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use crosspass_jwt::SigningKey;
use crosspass_protocol::jose;
use crosspass_protocol::TenantId;
use crosspass_server::db::{Backend, Db};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const FORM: &str =
    r#"{"fields": [{"name": "company", "type": "string", "label": "Company", "required": true}]}"#;

/// The shared database, seeded, and its directory.
struct Shared {
    dir: tempfile::TempDir,
    url: String,
    http: reqwest::Client,
}

impl Shared {
    /// A fresh database, not even migrated.
    async fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = fresh_database_url(dir.path()).await;
        Shared {
            dir,
            url,
            http: reqwest::Client::new(),
        }
    }

    /// A fresh database with abc, def, alice and abc's form.
    async fn new() -> Self {
        let s = Self::empty().await;
        let db = Db::connect(&s.url, 2).await.unwrap();
        assert_eq!(db.backend(), expected_backend());
        seed(&db).await;
        crosspass_server::api::set_form(&db, &TenantId::new("abc").unwrap(), FORM)
            .await
            .unwrap();
        db.close().await;
        s
    }

    /// A replica that reloads its signing keys every `maintenance` seconds and reuses a
    /// registration it read for one second.
    fn replica(&self, maintenance: u64) -> Serve {
        let mut command = crosspass(self.dir.path(), &self.url);
        command
            .env(
                "CROSSPASS_MAINTENANCE_INTERVAL_SECS",
                maintenance.to_string(),
            )
            .env("CROSSPASS_REGISTRY_CACHE_SECS", "1");
        Serve::spawn(command)
    }

    /// Runs an admin command on the shared database.
    fn admin(&self, args: &[&str]) -> String {
        let out = crosspass(self.dir.path(), &self.url)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    async fn redeem(&self, at: &Serve, assertion: &str) -> (u16, Value) {
        let r = self
            .http
            .post(at.url("/oauth/token"))
            .form(&[("grant_type", GRANT), ("assertion", assertion)])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// An access token for abc's `sub`, issued by `at`.
    async fn token(&self, at: &Serve, sub: &str) -> String {
        let (status, body) = self.redeem(at, &Partner::abc().assertion(sub)).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// GET or PUT of the token's record at `at`: status, ETag and body.
    async fn record(
        &self,
        at: &Serve,
        token: &str,
        put: Option<(&str, Value)>,
    ) -> (u16, String, Value) {
        let url = at.url("/api/v1/me/record");
        let req = match put {
            None => self.http.get(url),
            Some((version, body)) => self.http.put(url).header("If-Match", version).json(&body),
        };
        let r = req.bearer_auth(token).send().await.unwrap();
        let etag = r
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (r.status().as_u16(), etag, r.json().await.unwrap())
    }
}

fn kid(token: &str) -> String {
    jose::decode_header(token).unwrap().kid.unwrap()
}

/// Replicas rolled out together onto a new PostgreSQL database migrate it once (under
/// the migrator's advisory lock) and agree on the keys. SQLite serves one machine and
/// is not started this way, so there the test has nothing to check.
#[tokio::test(flavor = "multi_thread")]
async fn replicas_started_together_on_an_empty_postgres_database_agree() {
    if expected_backend() != Backend::Postgres {
        return;
    }
    let s = Shared::empty().await;
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| s.replica(30));
        let b = scope.spawn(|| s.replica(30));
        (a.join().unwrap(), b.join().unwrap())
    });
    let db = Db::connect(&s.url, 2).await.unwrap();
    seed(&db).await;
    db.close().await;
    let from_a = s.token(&a, "alice").await;
    let from_b = s.token(&b, "alice").await;
    for (at, token) in [(&a, &from_b), (&b, &from_a)] {
        assert_eq!(s.record(at, token, None).await.0, 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_assertion_redeemed_at_both_replicas_succeeds_once() {
    let s = Shared::new().await;
    let (a, b) = (s.replica(30), s.replica(30));
    assert_ne!(a.base, b.base);
    for _ in 0..10 {
        let assertion = Partner::abc().assertion("alice");
        let (x, y) = tokio::join!(s.redeem(&a, &assertion), s.redeem(&b, &assertion));
        let (won, lost) = if x.0 == 200 { (x, y) } else { (y, x) };
        assert_eq!(won.0, 200, "{}", won.1);
        assert_eq!(
            lost,
            (400, error("invalid_grant", "assertion already used"))
        );
    }
    // A burst spread over both replicas.
    redeem_burst_succeeds_once(
        &s.http,
        &[&a.base, &b.base],
        &Partner::def().assertion("carol"),
        20,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_embed_session_redeemed_at_both_replicas_succeeds_once() {
    use base64ct::Encoding;
    let s = Shared::new().await;
    let (a, b) = (s.replica(30), s.replica(30));
    let db = Db::connect(&s.url, 2).await.unwrap();
    let client = crosspass_protocol::ClientId::new("abc").unwrap();
    let secret = crosspass_server::embed::rotate_client_secret(&db, &client, 0, 0)
        .await
        .unwrap();
    db.close().await;
    let basic = format!(
        "Basic {}",
        base64ct::Base64::encode_string(format!("abc:{secret}").as_bytes())
    );
    for _ in 0..10 {
        // Made through one replica, redeemed through both at once.
        let made: Value = s
            .http
            .post(format!("{}/api/v1/embed-sessions", a.base))
            .header("authorization", &basic)
            .json(&json!({"user": "alice"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = made["session"].as_str().unwrap().to_owned();
        let redeem = |base: String| {
            let (http, session) = (s.http.clone(), session.clone());
            async move {
                http.post(format!("{base}/oauth/token"))
                    .form(&[
                        (
                            "grant_type",
                            "urn:ietf:params:oauth:grant-type:token-exchange",
                        ),
                        ("subject_token", session.as_str()),
                        (
                            "subject_token_type",
                            "urn:crosspass:params:oauth:token-type:embed-session",
                        ),
                        ("client_id", "abc"),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        let (x, y) = tokio::join!(redeem(a.base.clone()), redeem(b.base.clone()));
        let mut both = [x, y];
        both.sort_unstable();
        assert_eq!(both, [200, 400]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn users_and_records_written_through_one_replica_are_read_through_the_other() {
    let s = Shared::new().await;
    let (a, b) = (s.replica(30), s.replica(30));

    // Provisioned through A, signed in through B.
    let r = s
        .http
        .put(a.url("/api/v1/partners/abc/users/dave"))
        .bearer_auth(Partner::abc().client_assertion())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let token = s.token(&b, "dave").await;

    let v1 = json!({"company": "Dave & Co"});
    assert_eq!(
        s.record(&a, &token, Some(("\"v0\"", v1.clone()))).await,
        (200, "\"v1\"".into(), json!({"data": v1, "version": 1}))
    );
    assert_eq!(
        s.record(&b, &token, None).await,
        (200, "\"v1\"".into(), json!({"data": v1, "version": 1}))
    );
    // The compare-and-set is shared too: B refuses a write based on what A replaced.
    let (status, _, body) = s
        .record(&b, &token, Some(("\"v0\"", json!({"company": "Stale"}))))
        .await;
    assert_eq!(status, 412, "{body}");
    let v2 = json!({"company": "Dave & Daughters"});
    assert_eq!(
        s.record(&b, &token, Some(("\"v1\"", v2.clone()))).await.0,
        200
    );
    assert_eq!(
        s.record(&a, &token, None).await,
        (200, "\"v2\"".into(), json!({"data": v2, "version": 2}))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signing_key_rotated_on_one_replica_is_honoured_by_the_other() {
    let s = Shared::new().await;
    // A picks up rotations within a second; B would take an hour, so B can honour
    // A's new tokens only by rereading the keys when it meets an unknown `kid`.
    let (a, b) = (s.replica(1), s.replica(3600));
    let old = s.token(&b, "alice").await;
    let rotated = s.admin(&["keys", "rotate"]);
    let new_kid = rotated
        .trim()
        .strip_prefix("new signing key ")
        .unwrap()
        .to_owned();
    assert_ne!(kid(&old), new_kid);

    let start = Instant::now();
    let fresh = loop {
        let token = s.token(&a, "alice").await;
        if kid(&token) == new_kid {
            break token;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "replica A never switched to the new key"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );

    assert_eq!(s.record(&b, &fresh, None).await.0, 200);
    assert_eq!(s.record(&a, &old, None).await.0, 200);
    assert_eq!(s.record(&b, &old, None).await.0, 200);
    // Having reread the keys, B publishes both and signs with the new one.
    let jwks: Value = get_json(&s.http, &b.url("/.well-known/jwks.json")).await;
    let mut kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    kids.sort_unstable();
    let mut want = vec![kid(&old), new_kid.clone()];
    want.sort_unstable();
    assert_eq!(kids, want);
    assert_eq!(kid(&s.token(&b, "alice").await), new_kid);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partner_key_rotation_reaches_every_replica_within_the_cache_time() {
    let s = Shared::new().await;
    let (a, b) = (s.replica(30), s.replica(30));
    let old = Partner::abc();
    let new = Partner {
        key: SigningKey::ed25519("abc-2", &[12; 32]).unwrap(),
        ..Partner::abc()
    };
    // Both replicas have read (and cached) abc's registration.
    for r in [&a, &b] {
        assert_eq!(s.redeem(r, &old.assertion("alice")).await.0, 200);
    }
    std::fs::write(s.dir.path().join("abc-2.json"), new.jwks()).unwrap();
    s.admin(&["partner", "rotate-key", "abc", "--jwks", "abc-2.json"]);
    let start = Instant::now();
    for r in [&a, &b] {
        while s.redeem(r, &new.assertion("alice")).await.0 != 200 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "a replica kept the old registration"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (status, body) = s.redeem(r, &old.assertion("alice")).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_grant")),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn revocation_deletion_and_partner_updates_reach_the_other_replica() {
    let s = Shared::new().await;
    let (a, b) = (s.replica(30), s.replica(30));

    // A token revoked through one replica is refused by the other at once.
    let token = s.token(&a, "alice").await;
    assert_eq!(s.record(&b, &token, None).await.0, 200);
    let r = s
        .http
        .post(a.url("/oauth/revoke"))
        .form(&[("token", token.as_str()), ("client_id", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _, body) = s.record(&b, &token, None).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_token")));

    // A user deleted with the CLI: their token from either replica dies at once.
    let (ta, tb) = (s.token(&a, "alice").await, s.token(&b, "alice").await);
    s.admin(&["user", "delete", "--tenant", "abc", "alice"]);
    for (at, token) in [(&a, &ta), (&b, &tb), (&a, &tb), (&b, &ta)] {
        assert_eq!(s.record(at, token, None).await.0, 401);
    }

    // A partner update reaches both replicas within the cache time, without a restart.
    let out = s.admin(&[
        "partner",
        "update",
        "abc",
        "--jit-users",
        "true",
        "--token-lifetime",
        "90",
    ]);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            shown["jit_users"].clone(),
            shown["token_lifetime_secs"].clone()
        ),
        (json!(true), json!(90))
    );
    let start = Instant::now();
    // A user of its own per replica: one created through a replica that has seen the
    // change would let the other sign it in on its stale registration.
    for (r, user) in [(&a, "newcomer-a"), (&b, "newcomer-b")] {
        loop {
            let (status, body) = s.redeem(r, &Partner::abc().assertion(user)).await;
            if status == 200 {
                assert_eq!(body["expires_in"], 90);
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "a replica kept the old registration: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // The trail has both replicas' and the CLI's events, in order, and no token.
    let trail = s.admin(&["audit", "--client", "abc", "--since", "1h", "--json"]);
    let events: Vec<Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for want in ["token.issued", "token.revoked", "partner.updated"] {
        assert!(names.contains(&want), "{names:?}");
    }
    let updated = events
        .iter()
        .find(|e| e["event"] == "partner.updated")
        .unwrap();
    assert_eq!(
        updated["detail"],
        "token_lifetime_secs: 600 -> 90; jit_users: false -> true"
    );
    assert!(updated["actor"].as_str().unwrap().starts_with("cli:"));
    let at: Vec<i64> = events
        .iter()
        .map(|e| e["at_ms"].as_i64().unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] <= w[1]));
    assert!(!trail.contains(&token) && !trail.contains(&ta));
    let deleted = s.admin(&["audit", "--since", "1h"]);
    assert!(
        deleted.lines().any(|l| l.contains("\tuser.deleted\tok\t")),
        "{deleted}"
    );
    let none = s.admin(&["audit", "--client", "nobody", "--since", "1h"]);
    assert_eq!(none, "");

    // An emergency key revocation reaches both replicas within the cache time.
    let (ta, tb) = (
        s.token(&a, "newcomer-a").await,
        s.token(&b, "newcomer-b").await,
    );
    let kid = kid(&ta);
    let out = s.admin(&["keys", "revoke", &kid]);
    assert!(
        out.starts_with(&format!("revoked {kid}; signing key ")),
        "{out}"
    );
    let start = Instant::now();
    for (at, token) in [(&a, &ta), (&b, &tb), (&a, &tb), (&b, &ta)] {
        while s.record(at, token, None).await.0 != 401 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the key still verifies"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let jwks = get_json(&s.http, &b.url("/.well-known/jwks.json")).await;
    assert!(!jwks.to_string().contains(&kid), "{jwks}");
}
