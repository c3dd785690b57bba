//! User provisioning by partner backends, authenticated with `private_key_jwt`.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use serde_json::{json, Value};

async fn put(
    t: &TestServer,
    path: &str,
    auth: Option<String>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = t.http.put(t.url(path));
    if let Some(a) = auth {
        req = req.bearer_auth(a);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn provisioning_is_idempotent_and_tenant_scoped() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let path = "/api/v1/partners/abc/users/new-user-7";
    let (status, first) = put(
        &t,
        path,
        Some(abc.client_assertion()),
        Some(json!({"profile": {"email": "n@abc.example"}})),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["created"], true);
    assert_eq!(first["tenant"], "abc");
    assert_eq!(first["external_id"], "new-user-7");
    let id = first["user_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("u_") && !id.contains("new-user-7"));

    let (status, second) = put(&t, path, Some(abc.client_assertion()), None).await;
    assert_eq!(status, 200);
    assert_eq!(second["user_id"], id.as_str());
    assert_eq!(second["created"], false);

    // Concurrent provisioning of one user agrees on one id.
    let other = "/api/v1/partners/abc/users/racer";
    let (a, b) = tokio::join!(
        put(&t, other, Some(abc.client_assertion()), None),
        put(&t, other, Some(abc.client_assertion()), None)
    );
    assert_eq!(a.1["user_id"], b.1["user_id"]);
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201]);

    // The provisioned user can now sign in.
    assert_eq!(t.redeem(&abc.assertion("new-user-7")).await.0, 200);
    // The same external id under another tenant is another user.
    let (status, def_user) = put(
        &t,
        "/api/v1/partners/def/users/new-user-7",
        Some(Partner::def().client_assertion()),
        None,
    )
    .await;
    assert_eq!(status, 201);
    assert_ne!(def_user["user_id"], id.as_str());
    t.stop().await;
}

#[tokio::test]
async fn provisioning_refuses_bad_callers() {
    let t = TestServer::start().await;
    let abc = Partner::abc();
    let path = "/api/v1/partners/abc/users/u1";
    let (status, body) = put(&t, path, None, None).await;
    assert_eq!(
        (status, body),
        (
            401,
            error(
                "invalid_client",
                "client authentication required: Basic (client secret) or Bearer (client assertion)"
            )
        )
    );
    let (status, body) = put(
        &t,
        "/api/v1/partners/abc/users/u1",
        Some(Partner::def().client_assertion()),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            403,
            error("access_denied", "a client may only manage its own users")
        )
    );
    let used = abc.client_assertion();
    assert_eq!(put(&t, path, Some(used.clone()), None).await.0, 201);
    let (status, body) = put(&t, path, Some(used), None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    // An ID-JAG or an access token is not a client assertion.
    let (status, _) = put(&t, path, Some(abc.assertion("u1")), None).await;
    assert_eq!(status, 401);
    let access = t.alice_token(None).await;
    let (status, _) = put(&t, path, Some(access), None).await;
    assert_eq!(status, 401);
    let (status, body) = put(&t, path, Some(abc.client_assertion()), Some(json!([1]))).await;
    assert_eq!(status, 400, "{body}");
    t.stop().await;
}
