//! The hub pages and static files over real HTTP.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use serde_json::{json, Value};

fn hub_config(html: &str) -> Value {
    let start = html.find("id=\"hub-config\">").unwrap() + "id=\"hub-config\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[tokio::test]
async fn hub_page_carries_the_client_config_and_a_strict_csp() {
    let t = TestServer::start().await;
    let r = t
        .http
        .get(t.url("/hub?client_id=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        h["content-security-policy"],
        format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
             style-src 'self'; img-src 'self'; frame-ancestors {ABC_ORIGIN} {ABC_SITE2}; \
             base-uri 'none'; form-action 'none'"
        )
    );
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.get("x-frame-options").is_none());
    let html = r.text().await.unwrap();
    assert!(!html.contains("{{HUB_CONFIG}}"));
    assert_eq!(
        hub_config(&html),
        json!({
            "client_id": "abc", "tenant": "abc", "origins": [ABC_ORIGIN, ABC_SITE2],
            "issuer": ISSUER, "api_audience": API, "token_endpoint": "/oauth/token",
            "revocation_endpoint": "/oauth/revoke",
            "scopes": "form.read form.write", "expose_tokens": false,
        })
    );

    // The form frame: the same config and policy (framed by the client's origins only).
    let r = t
        .http
        .get(t.url("/embed/form?client_id=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-security-policy"],
        h["content-security-policy"]
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    let form = r.text().await.unwrap();
    assert!(form.contains("<title>form</title>"));
    assert_eq!(hub_config(&form), hub_config(&html));

    let r = t
        .http
        .get(t.url("/hub/popup?client_id=def"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none';"), "{csp}");
    assert_eq!(hub_config(&r.text().await.unwrap())["client_id"], "def");

    for (path, status) in [
        ("/hub?client_id=nope", 404),
        ("/hub?client_id=..%2Fabc", 404),
        ("/hub", 400),
        ("/hub/popup?client_id=nope", 404),
        ("/embed/form?client_id=nope", 404),
        ("/embed/form", 400),
    ] {
        let r = t.http.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
    }
    t.stop().await;
}

#[tokio::test]
async fn static_files_have_types_etags_and_no_escape() {
    let t = TestServer::start().await;
    for (path, ctype) in [
        ("/hub/hub.css", "text/css; charset=utf-8"),
        ("/hub/pkg/hub.js", "text/javascript; charset=utf-8"),
        (
            "/hub/pkg/crosspass_hub.js",
            "text/javascript; charset=utf-8",
        ),
        ("/hub/pkg/crosspass_hub_bg.wasm", "application/wasm"),
        ("/sdk/v1/crosspass.js", "text/javascript; charset=utf-8"),
    ] {
        let r = t.http.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], ctype, "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let etag = r.headers()["etag"].clone();
        let again = t
            .http
            .get(t.url(path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status().as_u16(), 304, "{path}");
    }
    let wasm = t
        .http
        .get(t.url("/hub/pkg/crosspass_hub_bg.wasm"))
        .send()
        .await
        .unwrap();
    assert!(wasm.headers().get("access-control-allow-origin").is_none());
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), WASM);
    let sdk = t
        .http
        .get(t.url("/sdk/v1/crosspass.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(sdk.headers()["access-control-allow-origin"], "*");

    for path in [
        "/hub/index.html",
        "/hub/popup.html",
        "/hub/form.html",
        "/hub/..%2Fsecret.txt",
        "/hub/pkg/..%2F..%2Fwww%2Fsecret.txt",
        "/hub/.hidden",
        "/sdk/missing.js",
        "/hub/pkg/",
        "/sdk/v1%2F..%2Fcrosspass.js",
        "/sdk/v1/x%2F..%2F..%2F..%2Fwww%2Fsecret.txt",
        "/sdk//v1/crosspass.js",
    ] {
        let r = t.http.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }
    // Precompressed variants by Accept-Encoding; content-hashed names cached for good,
    // the SDK's loader URL for minutes.
    let hashed = "/hub/pkg/crosspass_form.0123456789ab.js";
    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "BROTLI"),
        (Some("gzip"), Some("gzip"), "GZIP"),
        (Some("br;q=0, gzip;q=0"), None, "export const plain = 1;\n"),
        (None, None, "export const plain = 1;\n"),
    ] {
        let mut request = t.http.get(t.url(hashed));
        if let Some(a) = accept {
            request = request.header("accept-encoding", a);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{accept:?}");
        assert_eq!(
            r.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding
        );
        assert_eq!(r.headers()["vary"], "accept-encoding");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(r.text().await.unwrap(), body);
    }
    let r = t
        .http
        .get(t.url(&format!("{hashed}.br")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = t
        .http
        .get(t.url("/sdk/v1/crosspass.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "public, max-age=300");

    let r = t.http.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    let r = t.http.get(t.url("/nope")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_found");
    t.stop().await;
}
