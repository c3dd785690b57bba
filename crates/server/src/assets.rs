//! XYZ's frame pages (hub, form and popup, each with its per-client config and CSP)
//! and static files: the frames' own files from `www/hub/`, the wasm build output from
//! `dist/hub/` and the partner-page SDK from `dist/sdk/`.

use crate::app::AppState;
use crate::error::ApiError;
use crate::registry::Partner;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crosspass_protocol::hub_config::HubConfig;
use crosspass_protocol::json::Json;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

const HUB_CONFIG_PLACEHOLDER: &str = "{{HUB_CONFIG}}";
/// `{{ASSET:name}}` in a frame page: the served (content-hashed) name of a build file.
const ASSET_PLACEHOLDER: &str = "{{ASSET:";
/// How long browsers and CDNs keep the SDK's loader URL, which partners pin.
const LOADER_MAX_AGE: &str = "public, max-age=300";
/// Content-hashed names never change content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `?client_id=` of the hub pages.
#[derive(Debug, Deserialize)]
pub struct HubQuery {
    client_id: Option<String>,
}

/// JSON that can sit inside a `<script>` element: nothing in it can close the element
/// or open a comment, and line separators cannot break older parsers.
fn script_safe_json(value: &impl Serialize) -> Result<String, ApiError> {
    let json = serde_json::to_string(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029"))
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn csp(frame_ancestors: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
         style-src 'self'; img-src 'self'; frame-ancestors {frame_ancestors}; \
         base-uri 'none'; form-action 'none'"
    )
}

async fn hub_html(
    state: &AppState,
    query: HubQuery,
    file: &str,
    framed: bool,
) -> Result<Response, ApiError> {
    let Some(client_id) = query.client_id else {
        return Ok(plain(StatusCode::BAD_REQUEST, "client_id is required\n"));
    };
    let Some(partner) = state.partner(&client_id).await? else {
        return Ok(plain(StatusCode::NOT_FOUND, "unknown client\n"));
    };
    let path = state.config.www_dir.join("hub").join(file);
    let Ok(template) = tokio::fs::read_to_string(&path).await else {
        return Err(ApiError::Internal(format!(
            "cannot read {}",
            path.display()
        )));
    };
    // The protocol's codec writes the text; serde only carries it, unchanged.
    let config = RawValue::from_string(hub_config(state, &partner).to_json())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let manifest = read_manifest(&state.config.dist_dir).await;
    let html = with_asset_names(&template, &manifest)
        .replace(HUB_CONFIG_PLACEHOLDER, &script_safe_json(&config)?);
    let ancestors = if framed {
        partner
            .origins
            .entries()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        "'none'".to_owned()
    };
    let mut r = html.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Never serve the hub without its policy: fail closed.
    let policy = HeaderValue::from_str(&csp(&ancestors))
        .map_err(|_| ApiError::Internal("unencodable hub CSP".into()))?;
    h.insert(header::CONTENT_SECURITY_POLICY, policy);
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The files a frame-serving replica cannot do without.
const REQUIRED: &[&str] = &["hub/index.html", "hub/form.html", "hub/popup.html"];

/// Checks at start that `www_dir` and `dist_dir` hold this version's build: the frame
/// pages, and a `dist/manifest.json` of this server's version (`npm run build` writes
/// it). The error names what is missing and how to make it.
pub fn check_assets(config: &crate::Config) -> Result<(), String> {
    for file in REQUIRED {
        let path = config.www_dir.join(file);
        if !path.is_file() {
            return Err(format!(
                "{} is missing: point www_dir at the release's www/ folder (or set serve_frames = false for an API-only replica)",
                path.display()
            ));
        }
    }
    let manifest = config.dist_dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).map_err(|e| {
        format!(
            "{}: {e}: point dist_dir at the release's dist/ folder, or build it with `npm run build`",
            manifest.display()
        )
    })?;
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|m| m["version"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let mine = env!("CARGO_PKG_VERSION");
    if version != mine {
        return Err(format!(
            "{} is of version `{version}`, this server is {mine}: deploy the assets built with it",
            manifest.display()
        ));
    }
    Ok(())
}

/// `dist/manifest.json`'s map of frame files to their served names (none before a
/// build, when the files keep their own names).
async fn read_manifest(dist: &std::path::Path) -> serde_json::Map<String, serde_json::Value> {
    let Ok(text) = tokio::fs::read_to_string(dist.join("manifest.json")).await else {
        return serde_json::Map::new();
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(mut m)) => match m.remove("hub") {
            Some(serde_json::Value::Object(hub)) => hub,
            _ => serde_json::Map::new(),
        },
        _ => serde_json::Map::new(),
    }
}

/// Replaces every `{{ASSET:name}}` with the name it is served under.
fn with_asset_names(
    template: &str,
    manifest: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(ASSET_PLACEHOLDER) {
        out.push_str(&rest[..at]);
        let after = &rest[at + ASSET_PLACEHOLDER.len()..];
        let Some(end) = after.find("}}") else {
            rest = &rest[at..];
            break;
        };
        let name = &after[..end];
        out.push_str(manifest.get(name).and_then(|v| v.as_str()).unwrap_or(name));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The JSON the hub page reads from `<script type="application/json" id="hub-config">`.
fn hub_config(state: &AppState, p: &Partner) -> HubConfig {
    HubConfig {
        client_id: p.client_id.clone(),
        tenant: p.tenant.clone(),
        origins: p.origins.clone(),
        issuer: state.config.issuer.clone(),
        api_audience: state.api_audience.clone(),
        token_endpoint: "/oauth/token".to_owned(),
        revocation_endpoint: "/oauth/revoke".to_owned(),
        scopes: p.scopes.clone(),
        expose_tokens: p.expose_tokens,
    }
}

/// `GET /hub?client_id=…`: the iframe page, framable only by the client's origins.
pub async fn hub_page(
    State(state): State<AppState>,
    Query(q): Query<HubQuery>,
) -> Result<Response, ApiError> {
    hub_html(&state, q, "index.html", true).await
}

/// `GET /embed/form?client_id=…`: the form frame, framable only by the client's origins.
pub async fn form_page(
    State(state): State<AppState>,
    Query(q): Query<HubQuery>,
) -> Result<Response, ApiError> {
    hub_html(&state, q, "form.html", true).await
}

/// `GET /hub/popup?client_id=…`: the first-party popup, never framed.
pub async fn hub_popup(
    State(state): State<AppState>,
    Query(q): Query<HubQuery>,
) -> Result<Response, ApiError> {
    hub_html(&state, q, "popup.html", false).await
}

/// The content type of a static file, by extension.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt" | "ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A single path segment of safe characters: no traversal, no hidden files.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A relative path of at most four [`safe_name`] segments (wasm-bindgen puts inline JS
/// under `snippets/<crate>/`).
fn safe_path(path: &str) -> bool {
    let segments = path.split('/').count();
    segments <= 4 && path.split('/').all(safe_name)
}

/// True for a build file whose name carries its content hash (`name.0123456789ab.ext`).
fn content_hashed(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    file.split('.').any(|part| {
        part.len() == 12
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The precompressed variants the client accepts, best first.
fn accepted_encodings(headers: &HeaderMap) -> Vec<&'static str> {
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let offers = |coding: &str| {
        accept.split(',').any(|item| {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            // `q=0` refuses a coding; any other weight accepts it.
            name.eq_ignore_ascii_case(coding)
                && !parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"))
        })
    };
    ["br", "gzip"].into_iter().filter(|c| offers(c)).collect()
}

async fn serve_file(
    dir: PathBuf,
    name: &str,
    headers: &HeaderMap,
    cross_origin: bool,
) -> Result<Response, ApiError> {
    if !safe_path(name) || name.ends_with(".br") || name.ends_with(".gz") {
        return Ok(plain(StatusCode::NOT_FOUND, "not found\n"));
    }
    let path = dir.join(name);
    let mut encoding = None;
    let mut bytes = None;
    for coding in accepted_encodings(headers) {
        let ext = if coding == "br" { "br" } else { "gz" };
        if let Ok(b) = tokio::fs::read(format!("{}.{ext}", path.display())).await {
            encoding = Some(coding);
            bytes = Some(b);
            break;
        }
    }
    let bytes = match bytes {
        Some(b) => b,
        None => match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(_) => return Ok(plain(StatusCode::NOT_FOUND, "not found\n")),
        },
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    // Each encoding is its own representation, with its own tag.
    let etag = format!(
        "\"{:x}-{:016x}{}\"",
        bytes.len(),
        hasher.finish(),
        encoding.map_or(String::new(), |c| format!("-{c}"))
    );
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut r = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(coding) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // Content-hashed names are cached for good; the SDK's loader URL for minutes;
    // anything else is revalidated (cheaply, by ETag).
    let cache = if content_hashed(name) {
        IMMUTABLE
    } else if cross_origin {
        LOADER_MAX_AGE
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if cross_origin {
        // Public, credential-less files that partner pages load as module scripts and
        // fetch as wasm, both of which need CORS.
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
    }
    Ok(r)
}

/// `GET /hub/{file}`: the hub's bootstrap script and stylesheet. The HTML templates
/// are only served through [`hub_page`] and [`hub_popup`].
pub async fn hub_file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if name.ends_with(".html") {
        return Ok(plain(StatusCode::NOT_FOUND, "not found\n"));
    }
    serve_file(state.config.www_dir.join("hub"), &name, &headers, false).await
}

/// `GET /hub/pkg/{file}`: the hub's wasm build.
pub async fn hub_pkg(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve_file(state.config.dist_dir.join("hub"), &name, &headers, false).await
}

/// `GET /sdk/{file}`: the SDK bundles partner pages load.
pub async fn sdk_file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve_file(state.config.dist_dir.join("sdk"), &name, &headers, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_json_cannot_close_the_script() {
        let s = script_safe_json(&serde_json::json!({"x": "</script><!-- & \u{2028}"})).unwrap();
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["x"], "</script><!-- & \u{2028}");
    }

    #[test]
    fn names() {
        assert!(safe_name("crosspass_hub_bg.wasm"));
        assert!(safe_path("v1/crosspass.js"));
        for bad in ["a//b", "/a", "a/", "a/../b", "a/b/c/d/e"] {
            assert!(!safe_path(bad), "{bad}");
        }
        for bad in ["", "..", ".env", "a/b", "a\\b", "%2e%2e"] {
            assert!(!safe_name(bad), "{bad}");
        }
        assert_eq!(content_type("x.wasm"), "application/wasm");
        assert_eq!(content_type("x.js"), "text/javascript; charset=utf-8");
    }

    #[test]
    fn asset_names_come_from_the_manifest() {
        let manifest = serde_json::json!({"hub.js": "hub.0123456789ab.js"});
        let manifest = manifest.as_object().unwrap();
        assert_eq!(
            with_asset_names(
                "a {{ASSET:hub.js}} b {{ASSET:other.css}} {{ASSET:x",
                manifest
            ),
            "a hub.0123456789ab.js b other.css {{ASSET:x"
        );
        assert!(content_hashed("crosspass_hub_bg.0123456789ab.wasm"));
        assert!(content_hashed("v1/crosspass.0123456789ab.js"));
        assert!(!content_hashed("v1/crosspass.js"));
        assert!(!content_hashed("crosspass_hub_bg.wasm"));
    }

    #[test]
    fn encodings_by_preference_and_refusal() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            accepted_encodings(&h)
        };
        assert_eq!(with("gzip, deflate, br, zstd"), ["br", "gzip"]);
        assert_eq!(with("gzip"), ["gzip"]);
        assert_eq!(with("br;q=0, gzip;q=0.5"), ["gzip"]);
        assert!(with("identity").is_empty());
        assert!(accepted_encodings(&HeaderMap::new()).is_empty());
    }
}
