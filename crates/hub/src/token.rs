//! Redeeming assertions at the token endpoint, and the checks every access token
//! passes before the hub stores or hands it out. No signature is verified here: the
//! server signs and verifies; the hub only makes sure a token is bound to this client.

use crate::config::HubConfig;
use crate::error::HubError;
use crate::store::{StoredToken, MIN_REMAINING_SECS};
use crosspass_protocol::claims::{AccessTokenClaims, AccessTokenExpectations, ACCESS_TOKEN_TYP};
use crosspass_protocol::exchange::{
    EMBED_SESSION_TOKEN_TYPE, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT,
};
use crosspass_protocol::json::{self, Json};
use crosspass_protocol::oauth::{OAuthError, TokenResponse};
use crosspass_protocol::text::Describe;
use crosspass_protocol::{jose, text, AccessToken, Assertion, ScopeSet};
use wasm_bindgen::{JsCast, JsValue};

/// Largest token endpoint response read.
const MAX_RESPONSE_BYTES: usize = 32 * 1024;

/// Reads an access token's claims (not its signature: only XYZ's server can check that),
/// refusing anything whose `typ` is not `at+jwt`.
pub fn decode_access_token(token: &AccessToken) -> Result<AccessTokenClaims, HubError> {
    let parts = jose::split(token.expose_secret())?;
    let header = jose::segment_value(parts.header)?;
    let typ = header.get("typ").and_then(json::Value::as_str);
    if !jose::typ_matches(typ, ACCESS_TOKEN_TYP) {
        return Err(HubError::NotAnAccessToken);
    }
    Ok(
        AccessTokenClaims::from_value(&jose::segment_value(parts.payload)?)
            .map_err(|e| jose::JoseError::Json(e.text()))?,
    )
}

/// Checks `claims` are those of an access token of this hub's issuer, audience,
/// client and tenant, carrying `required`, with at least [`MIN_REMAINING_SECS`] to live.
pub fn check_claims(
    config: &HubConfig,
    claims: &AccessTokenClaims,
    required: &ScopeSet,
    now: i64,
) -> Result<(), HubError> {
    claims.check(
        &AccessTokenExpectations {
            issuer: &config.issuer,
            audience: &config.api_audience,
            client_id: Some(&config.client_id),
            required_scope: Some(required),
        },
        now,
        MIN_REMAINING_SECS,
    )?;
    if claims.tenant != config.tenant {
        return Err(HubError::TokenRejected(
            crosspass_protocol::claims::ClaimError::Invalid("tenant"),
        ));
    }
    Ok(())
}

/// Reads `token`'s claims and checks them ([`check_claims`]): what to store.
pub fn check_access_token(
    config: &HubConfig,
    token: &AccessToken,
    required: &ScopeSet,
    now: i64,
) -> Result<StoredToken, HubError> {
    let stored = StoredToken::new(token.clone())?;
    check_claims(config, &stored.claims, required, now)?;
    Ok(stored)
}

/// `application/x-www-form-urlencoded` serialisation (URL standard §5.2).
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(name, &mut out);
        out.push('=');
        encode_component(value, &mut out);
    }
    out
}

fn encode_component(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(hex_digit(b >> 4));
                out.push(hex_digit(b & 0x0f));
            }
        }
    }
}

fn hex_digit(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'A' + (n - 10) })
}

/// The body of the token request for `assertion`. Without an explicit `scope` the
/// assertion's own `scope` claim decides (asking for more would be `invalid_scope`).
pub fn grant_body(config: &HubConfig, assertion: &Assertion, scope: Option<&ScopeSet>) -> String {
    let scope = scope.map(Describe::text).unwrap_or_default();
    let mut pairs = vec![
        ("grant_type", JWT_BEARER_GRANT),
        ("assertion", assertion.expose_secret()),
        ("client_id", config.client_id.as_str()),
    ];
    if !scope.is_empty() {
        pairs.push(("scope", scope.as_str()));
    }
    form_encode(&pairs)
}

/// Reads a token endpoint response (RFC 6749 §5.1 / §5.2).
pub fn parse_token_response(status: u16, body: &str) -> Result<AccessToken, HubError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(HubError::Server("oversized response".into()));
    }
    let value = json::parse(body).ok();
    if (200..300).contains(&status) {
        // The hub goes by the token's own claims, not by `expires_in` or `scope`.
        let response = value
            .as_ref()
            .and_then(|v| TokenResponse::from_value(v).ok())
            .ok_or_else(|| HubError::Server("unreadable token response".into()))?;
        if !response.token_type.eq_ignore_ascii_case("bearer") {
            return Err(HubError::Server("unexpected token type".into()));
        }
        return Ok(response.access_token);
    }
    let error = value
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(json::Value::as_str)
        .and_then(OAuthError::from_code);
    Err(match (status, error) {
        (_, Some(OAuthError::InvalidGrant)) => HubError::InvalidGrant,
        (_, Some(OAuthError::InvalidScope)) => HubError::InvalidScope,
        (
            _,
            Some(
                OAuthError::InvalidRequest
                | OAuthError::InvalidClient
                | OAuthError::UnsupportedGrantType,
            ),
        ) => HubError::BadTokenRequest,
        (400..=499, _) => HubError::BadTokenRequest,
        _ => HubError::Server(["HTTP ", &text::decimal(i64::from(status))].concat()),
    })
}

/// The body of the token request that redeems an embed session (RFC 8693 token
/// exchange with the embed-session subject token type).
pub fn session_body(config: &HubConfig, session: &Assertion, scope: Option<&ScopeSet>) -> String {
    let scope = scope.map(Describe::text).unwrap_or_default();
    let mut pairs = vec![
        ("grant_type", TOKEN_EXCHANGE_GRANT),
        ("subject_token", session.expose_secret()),
        ("subject_token_type", EMBED_SESSION_TOKEN_TYPE),
        ("client_id", config.client_id.as_str()),
    ];
    if !scope.is_empty() {
        pairs.push(("scope", scope.as_str()));
    }
    form_encode(&pairs)
}

/// POSTs the assertion to the token endpoint and checks the token that comes back.
pub async fn redeem(
    config: &HubConfig,
    assertion: &Assertion,
    scope: Option<&ScopeSet>,
) -> Result<AccessToken, HubError> {
    post_grant(config, grant_body(config, assertion, scope)).await
}

/// Redeems an embed session at the token endpoint.
pub async fn redeem_session(
    config: &HubConfig,
    session: &Assertion,
    scope: Option<&ScopeSet>,
) -> Result<AccessToken, HubError> {
    post_grant(config, session_body(config, session, scope)).await
}

/// Revokes `token` (RFC 7009): the session it belongs to ends on every replica.
pub async fn revoke(config: &HubConfig, token: &StoredToken) -> Result<(), HubError> {
    let body = form_encode(&[
        ("token", token.access_token.expose_secret()),
        ("token_type_hint", "access_token"),
        ("client_id", token.claims.client_id.as_str()),
    ]);
    let response = post_form(&config.revocation_endpoint, body).await?;
    if response.ok() {
        Ok(())
    } else {
        Err(HubError::Network)
    }
}

/// XYZ's first-party browser session, on the hub's own origin: the storage ladder's
/// cookie rung. Its `HttpOnly` cookie is sent only where storage access allows.
const BROWSER_SESSION: &str = "/hub/session";
/// Where the browser session mints access tokens.
const BROWSER_SESSION_TOKEN: &str = "/hub/session/token";

/// Stores the sign-in of `token` as this browser's XYZ session (sets its cookie).
pub async fn keep_browser_session(token: &StoredToken) -> Result<(), HubError> {
    let bearer = ["Bearer ", token.access_token.expose_secret()].concat();
    let response = send(BROWSER_SESSION, "POST", None, Some(&bearer), "include").await?;
    if response.ok() {
        Ok(())
    } else {
        Err(HubError::Network)
    }
}

/// An access token for this hub's client from the browser's XYZ session.
pub async fn from_browser_session(config: &HubConfig) -> Result<AccessToken, HubError> {
    let body = form_encode(&[("client_id", config.client_id.as_str())]);
    let response = send(BROWSER_SESSION_TOKEN, "POST", Some(body), None, "include").await?;
    read_token_response(response).await
}

/// Ends the browser's XYZ session (and the sign-in it carries) and clears its cookie.
pub async fn end_browser_session() -> Result<(), HubError> {
    send(BROWSER_SESSION, "DELETE", None, None, "include")
        .await
        .map(drop)
}

/// POSTs a token request body to the token endpoint and reads the answer.
async fn post_grant(config: &HubConfig, body: String) -> Result<AccessToken, HubError> {
    read_token_response(post_form(&config.token_endpoint, body).await?).await
}

async fn read_token_response(response: web_sys::Response) -> Result<AccessToken, HubError> {
    let text_promise = response.text().map_err(|_| HubError::Network)?;
    let body = crosspass_web::wait(&text_promise)
        .await
        .map_err(|_| HubError::Network)?
        .as_string()
        .unwrap_or_default();
    parse_token_response(response.status(), &body)
}

/// POSTs a form body to an endpoint of the hub's own origin, without cookies.
async fn post_form(url: &str, body: String) -> Result<web_sys::Response, HubError> {
    send(url, "POST", Some(body), None, "omit").await
}

/// A request to XYZ with an optional form body and bearer token; `credentials` is
/// `omit` everywhere but the browser session.
async fn send(
    url: &str,
    method: &str,
    body: Option<String>,
    bearer: Option<&str>,
    credentials: &str,
) -> Result<web_sys::Response, HubError> {
    let window = web_sys::window().ok_or(HubError::Network)?;
    // Plain objects, as `fetch` takes them: the typed `RequestInit` and `Headers`
    // setters would add a binding each to the hub's glue.
    let mut headers: Vec<(&str, &JsValue)> = Vec::new();
    let form: JsValue = "application/x-www-form-urlencoded".into();
    let json: JsValue = "application/json".into();
    let bearer = bearer.map(JsValue::from);
    headers.push(("Accept", &json));
    if body.is_some() {
        headers.push(("Content-Type", &form));
    }
    if let Some(b) = &bearer {
        headers.push(("Authorization", b));
    }
    let headers = crosspass_web::object(&headers);
    let body = body.map_or(JsValue::UNDEFINED, JsValue::from);
    let init = crosspass_web::object(&[
        ("method", &method.into()),
        ("body", &body),
        ("headers", &headers),
        ("credentials", &credentials.into()),
        ("cache", &"no-store".into()),
        ("redirect", &"error".into()),
    ]);
    let fetched = window.fetch_with_str_and_init(url, init.unchecked_ref());
    // `fetch` fulfils with a Response or rejects.
    Ok(crosspass_web::wait(&fetched)
        .await
        .map_err(|_| HubError::Network)?
        .unchecked_into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_follows_the_url_standard() {
        assert_eq!(
            form_encode(&[("a b", "x+y&z=é"), ("k", "A-z_0.9*~")]),
            "a+b=x%2By%26z%3D%C3%A9&k=A-z_0.9*%7E"
        );
        assert_eq!(form_encode(&[]), "");
    }

    #[test]
    fn grant_bodies() {
        let config = HubConfig::from_json(
            r#"{"client_id":"abc","tenant":"abc","origins":[],"issuer":"i","api_audience":"a",
            "token_endpoint":"/oauth/token","revocation_endpoint":"/oauth/revoke","scopes":"form.read form.write",
            "expose_tokens":false}"#,
        )
        .unwrap();
        let assertion = Assertion::new("h.p.s");
        assert_eq!(
            grant_body(&config, &assertion, None),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=h.p.s&client_id=abc"
        );
        let read = ScopeSet::parse("form.read form.write").unwrap();
        assert!(
            grant_body(&config, &assertion, Some(&read)).ends_with("&scope=form.read+form.write")
        );
    }

    #[test]
    fn token_responses() {
        let ok = parse_token_response(
            200,
            r#"{"access_token":"h.p.s","token_type":"Bearer","expires_in":300,"scope":"form.read"}"#,
        )
        .unwrap();
        assert_eq!(ok.expose_secret(), "h.p.s");
        assert_eq!(
            parse_token_response(
                200,
                r#"{"access_token":"x","token_type":"mac","expires_in":300,"scope":"a"}"#
            ),
            Err(HubError::Server("unexpected token type".into()))
        );
        assert_eq!(
            parse_token_response(200, r#"{"access_token":"x","token_type":7}"#),
            Err(HubError::Server("unreadable token response".into()))
        );
        assert_eq!(
            parse_token_response(400, r#"{"error":"invalid_grant","error_description":"no"}"#),
            Err(HubError::InvalidGrant)
        );
        assert_eq!(
            parse_token_response(400, r#"{"error":"invalid_scope"}"#),
            Err(HubError::InvalidScope)
        );
        assert_eq!(
            parse_token_response(401, r#"{"error":"invalid_client"}"#),
            Err(HubError::BadTokenRequest)
        );
        assert_eq!(
            parse_token_response(502, "<html>"),
            Err(HubError::Server("HTTP 502".into()))
        );
    }
}
