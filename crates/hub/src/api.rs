//! Requests to XYZ's API on the frame's own origin, with the bearer token added here:
//! the `fetch` the hub carries out for partner pages, and the form frame's reads and
//! writes. The token never leaves XYZ's origin.

use crate::error::HubError;
use crosspass_protocol::rpc::{FetchParams, FetchResult, HttpMethod, ResponseHeaders};
use crosspass_protocol::AccessToken;
use wasm_bindgen::{JsCast, JsValue};

/// Largest response body relayed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Any path the server answers cheaply, with a `Date` header, for the clock check.
const CLOCK_PATH: &str = "/.well-known/oauth-authorization-server";

/// Carries out `params` with `token`.
pub async fn fetch(params: &FetchParams, token: &AccessToken) -> Result<FetchResult, HubError> {
    let headers = js_sys::Object::new();
    for (k, v) in &params.headers.0 {
        let _ = js_sys::Reflect::set(&headers, &k.into(), &v.into());
    }
    let bearer = ["Bearer ", token.expose_secret()].concat();
    let _ = js_sys::Reflect::set(&headers, &"Authorization".into(), &bearer.into());
    let body = params
        .body
        .as_deref()
        .map_or(JsValue::UNDEFINED, JsValue::from_str);
    let response = send(params.method, params.path.as_str(), &headers, &body).await?;
    read(response).await
}

/// Sends one same-origin request: no cookies, no cache, no redirects followed (a
/// redirect could carry the request, with its token, somewhere else).
pub async fn send(
    method: HttpMethod,
    path: &str,
    headers: &JsValue,
    body: &JsValue,
) -> Result<web_sys::Response, HubError> {
    let window = web_sys::window().ok_or(HubError::Network)?;
    let init = crosspass_web::object(&[
        ("method", &method.as_str().into()),
        ("headers", headers),
        ("body", body),
        ("credentials", &"omit".into()),
        ("cache", &"no-store".into()),
        ("redirect", &"error".into()),
    ]);
    let fetched = window.fetch_with_str_and_init(path, init.unchecked_ref());
    Ok(crosspass_web::wait(&fetched)
        .await
        .map_err(|_| HubError::Network)?
        .unchecked_into())
}

/// Status, headers and text body of `response`, within [`MAX_BODY_BYTES`].
pub async fn read(response: web_sys::Response) -> Result<FetchResult, HubError> {
    let mut headers = Vec::new();
    if let Ok(Some(entries)) = js_sys::try_iter(&response.headers()) {
        for entry in entries.flatten() {
            let pair: js_sys::Array = entry.unchecked_into();
            if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                headers.push((k, v));
            }
        }
    }
    let text = response.text().map_err(|_| HubError::Network)?;
    let body = crosspass_web::wait(&text)
        .await
        .map_err(|_| HubError::Network)?
        .as_string()
        .unwrap_or_default();
    if body.len() > MAX_BODY_BYTES {
        return Err(HubError::Server("response too large to relay".into()));
    }
    Ok(FetchResult {
        status: response.status(),
        status_text: response.status_text(),
        headers: ResponseHeaders(headers),
        body,
    })
}

/// Server time minus browser time in whole seconds, from the server's `Date` header.
pub async fn clock_skew() -> Option<i64> {
    let response = send(
        HttpMethod::Head,
        CLOCK_PATH,
        &js_sys::Object::new(),
        &JsValue::UNDEFINED,
    )
    .await
    .ok()?;
    let date = response.headers().get("date").ok().flatten()?;
    let server_ms = js_sys::Date::parse(&date);
    if server_ms.is_nan() {
        return None;
    }
    // Both clocks fit an i64 of seconds; the Date header has a resolution of one.
    Some(((server_ms - js_sys::Date::now()) / 1000.0).round() as i64)
}
