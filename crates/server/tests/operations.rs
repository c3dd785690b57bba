//! What an operator relies on, over real HTTP: health endpoints with the status codes
//! load balancers expect, Prometheus metrics on the admin listener only, and rate
//! limits that answer 429 with `Retry-After` to one address or client while others
//! keep being served.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn health_says_live_and_ready_and_why_not() {
    let t = TestServer::start().await;
    let live = t.http.get(t.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = t.http.get(t.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["signing_keys"], "ok");
    assert!(body["checks"]["schema"]
        .as_str()
        .unwrap()
        .starts_with("ok ("));

    // A database behind this binary's schema: not ready, and it says what to do.
    let db = &t.server().state().db;
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let ready = t.http.get(t.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["checks"]["schema"]
            .as_str()
            .unwrap()
            .contains("crosspass migrate"),
        "{body}"
    );
    t.stop().await;
}

#[tokio::test]
async fn metrics_are_on_the_admin_listener_only() {
    let admin = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let admin_addr = admin.local_addr().unwrap();
    drop(admin);
    let t = TestServer::start_with(|c| c.admin_listen = Some(admin_addr)).await;
    let token = t.alice_token(None).await;
    let refused = t.redeem("not-a-jwt").await;
    assert_eq!(refused.0, 400);
    let r = t
        .call(
            reqwest::Method::GET,
            "/api/v1/me/record",
            Some(&token),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 200);

    let public = t.http.get(t.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let text = t
        .http
        .get(format!("http://{admin_addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        r#"crosspass_tokens_issued_total{client_id="abc",grant="jwt-bearer"}"#,
        r#"crosspass_tokens_refused_total{grant="jwt-bearer",error="invalid_grant"}"#,
        r#"crosspass_http_requests_total{route="/api/v1/me/record",method="GET",status="200"}"#,
        "crosspass_http_request_duration_seconds_bucket{route=\"/oauth/token\",le=",
        "crosspass_used_jtis ",
        r#"crosspass_db_pool_connections{state="idle"}"#,
    ] {
        assert!(text.contains(want), "missing {want} in:\n{text}");
    }
    // Never a path with ids in it, never a token.
    assert!(!text.contains(&token) && !text.contains("u_alice"));
    let ready = t
        .http
        .get(format!("http://{admin_addr}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    t.stop().await;
}

#[tokio::test]
async fn an_abusive_address_is_limited_while_another_is_served() {
    let t = TestServer::start_with(|c| {
        c.rate_limit_per_address = 5;
        c.rate_limit_burst_secs = 2;
        c.trusted_proxy_header = Some("x-forwarded-for".into());
    })
    .await;
    let token = t.alice_token(None).await;
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let r = t
            .call(
                reqwest::Method::GET,
                "/api/v1/me/record",
                Some(&token),
                &from("203.0.113.9"),
                None,
            )
            .await;
        statuses.push(r.status);
        if r.status == 429 {
            assert_eq!(r.body["error"], "rate_limited");
            let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=2).contains(&retry), "{retry}");
        }
    }
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert!((9..=12).contains(&served), "{statuses:?}");
    assert!(statuses.contains(&429));
    // Another address is served at once; the header is believed only because the
    // config names it (the peer address is the same loopback for both).
    let r = t
        .call(
            reqwest::Method::GET,
            "/api/v1/me/record",
            Some(&token),
            &from("198.51.100.7"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    // Static files and health are never limited.
    for _ in 0..20 {
        let r = t
            .http
            .get(t.url("/health/live"))
            .header("x-forwarded-for", "203.0.113.9")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    t.stop().await;
}

#[tokio::test]
async fn a_client_over_its_limit_does_not_spend_another_clients() {
    let t = TestServer::start_with(|c| {
        c.rate_limit_per_address = 0;
        c.rate_limit_per_client = 3;
        c.rate_limit_burst_secs = 2;
    })
    .await;
    let alice = t.alice_token(None).await;
    let mut refused = 0;
    for _ in 0..20 {
        let r = t
            .call(
                reqwest::Method::GET,
                "/api/v1/me/record",
                Some(&alice),
                &[],
                None,
            )
            .await;
        if r.status == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 10, "{refused}");
    // def's users are served: its budget is its own.
    let (status, body) = t.redeem(&Partner::def().assertion("dave")).await;
    assert_eq!(status, 200, "{body}");
    let dave = body["access_token"].as_str().unwrap();
    let r = t
        .call(
            reqwest::Method::GET,
            "/api/v1/me/record",
            Some(dave),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    // Forged tokens naming abc cost abc nothing: they are refused before the count.
    let forged = json!({}).to_string();
    let r = t
        .call(
            reqwest::Method::GET,
            "/api/v1/me/record",
            Some(&forged),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    t.stop().await;
}

const KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

async fn stored_secrets(db: &crosspass_server::db::Db) -> Vec<String> {
    sqlx::query("SELECT secret FROM signing_keys")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "secret"))
        .collect()
}

#[tokio::test]
async fn signing_keys_are_sealed_at_rest_and_open_only_with_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let kek = dir.path().join("kek");
    std::fs::write(&kek, format!("{KEK}\n")).unwrap();
    let path = kek.clone();
    let t = TestServer::start_with(move |c| c.key_encryption_key_file = Some(path)).await;
    let token = t.alice_token(None).await;
    let r = t
        .call(
            reqwest::Method::GET,
            "/api/v1/me/record",
            Some(&token),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let db = &t.server().state().db;
    let secrets = stored_secrets(db).await;
    assert!(!secrets.is_empty());
    assert!(
        secrets.iter().all(|s| s.starts_with("xc20p1:")),
        "{secrets:?}"
    );

    // Another replica with another key-encryption key, or none, refuses to start and
    // says why.
    let mut other = t.server().state().config.clone();
    other.listen = "127.0.0.1:0".parse().unwrap();
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, crosspass_protocol::jose::b64_encode(&[9; 32])).unwrap();
    other.key_encryption_key_file = Some(wrong);
    let e = crosspass_server::Server::start(other.clone())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not open"), "{e}");
    other.key_encryption_key_file = None;
    let e = crosspass_server::Server::start(other).await.unwrap_err();
    assert!(e.to_string().contains("key_encryption_key_file"), "{e}");
    t.stop().await;
}

#[tokio::test]
async fn keys_stored_in_the_clear_are_sealed_once_a_key_encryption_key_is_set() {
    let t = TestServer::start().await;
    let token = t.alice_token(None).await;
    let url = t.server().state().config.database_url.clone();
    let before = stored_secrets(&t.server().state().db).await;
    assert!(
        before.iter().all(|s| !s.starts_with("xc20p1:")),
        "{before:?}"
    );

    // Another process on the same database, now with a key-encryption key.
    let kek = crosspass_server::kek::Kek::from_base64(KEK).unwrap();
    let db = crosspass_server::db::Db::connect(&url, 2)
        .await
        .unwrap()
        .with_key_encryption(Some(kek));
    let keys = db.keys(crosspass_server::util::now()).await.unwrap();
    let after = stored_secrets(&db).await;
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|s| s.starts_with("xc20p1:")), "{after:?}");
    // The same keys: a token signed before still verifies with what was read.
    let kid = crosspass_protocol::jose::decode_header(&token)
        .unwrap()
        .kid
        .unwrap();
    assert!(keys.iter().any(|k| k.key.kid() == kid));
    db.close().await;
    t.stop().await;
}

#[tokio::test]
async fn a_replica_refuses_to_start_without_this_versions_frames_unless_api_only() {
    let t = TestServer::start().await;
    let mut config = t.server().state().config.clone();
    config.listen = "127.0.0.1:0".parse().unwrap();
    let empty = tempfile::tempdir().unwrap();

    let mut missing = config.clone();
    missing.www_dir = empty.path().join("www");
    let e = crosspass_server::Server::start(missing)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("hub/index.html is missing") && e.contains("serve_frames"),
        "{e}"
    );

    let mut other = config.clone();
    other.dist_dir = empty.path().join("dist");
    std::fs::create_dir_all(&other.dist_dir).unwrap();
    std::fs::write(
        other.dist_dir.join("manifest.json"),
        r#"{"version":"0.0.1","hub":{}}"#,
    )
    .unwrap();
    let e = crosspass_server::Server::start(other)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("of version `0.0.1`"), "{e}");

    // API-only: starts without them, and its frame routes do not exist.
    let mut api_only = config;
    api_only.www_dir = empty.path().join("www");
    api_only.serve_frames = false;
    let server = crosspass_server::Server::start(api_only).await.unwrap();
    let base = format!("http://{}", server.addr());
    let hub = t
        .http
        .get(format!("{base}/hub?client_id=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(hub.status(), 404);
    let jwks = t
        .http
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    server.shutdown().await.unwrap();
    t.stop().await;
}

#[tokio::test]
async fn each_request_has_an_id_a_proxys_well_formed_one_is_kept() {
    let t = TestServer::start().await;
    let kept = t
        .http
        .get(t.url("/health/live"))
        .header("x-request-id", "lb-7f3a.1")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-7f3a.1");
    let replaced = t
        .http
        .get(t.url("/health/live"))
        .header("x-request-id", "bad id <x>")
        .send()
        .await
        .unwrap();
    let id = replaced.headers()["x-request-id"].to_str().unwrap();
    assert!(id != "bad id <x>" && !id.is_empty());
    t.stop().await;
}

#[tokio::test]
async fn a_panicking_handler_answers_a_typed_500_and_the_server_carries_on() {
    use axum::routing::get;
    let t = TestServer::start().await;
    let state = t.server().state().clone();
    let routes = axum::Router::new()
        .route(
            "/boom",
            get(|| async {
                let v: Vec<u8> = Vec::new();
                // An index out of bounds, as a bug would have it.
                std::hint::black_box(&v)[3].to_string()
            }),
        )
        .route("/fine", get(|| async { "fine" }));
    let app = crosspass_server::app::layered(routes, state)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(async move { axum::serve(listener, app).await });

    for _ in 0..3 {
        let r = t
            .http
            .get(format!("http://{addr}/boom"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500);
        assert!(r.headers().contains_key("x-request-id"));
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "server_error", "{body}");
        assert!(!body.to_string().contains("index out of bounds"), "{body}");
    }
    let fine = t
        .http
        .get(format!("http://{addr}/fine"))
        .send()
        .await
        .unwrap();
    assert_eq!(fine.text().await.unwrap(), "fine");
    served.abort();
    t.stop().await;
}
