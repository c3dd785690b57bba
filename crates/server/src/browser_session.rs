//! XYZ's first-party browser session: the rung of the storage ladder for browsers whose
//! storage access unlocks cookies but not `localStorage` (Firefox, Safari).
//!
//! Once the user grants the hub frame storage access on one partner site, the hub
//! stores its sign-in here, as a server-side session named by an `HttpOnly` cookie
//! on XYZ's origin (`POST /hub/session`, with the access token it holds). On another
//! site of the same tenant, once access is granted there too, the hub's credentialed
//! request sends that cookie and gets a fresh access token for its own client
//! (`POST /hub/session/token`). The tokens it mints keep the sign-in's `sid`, so
//! signing out anywhere (revoking a token) ends the browser session as well.
//!
//! Only XYZ's own frames may call these routes: each one requires an `Origin` equal
//! to XYZ's own, so a partner page, which can neither set nor read this cookie,
//! cannot make the browser use it either (and no CORS answer lets it read one).

use crate::app::AppState;
use crate::audit::{AuditEvent, RequestId};
use crate::embed::{new_secret, secret_hash};
use crate::error::ApiError;
use crate::oauth::{form_rejection, issue_access_token, no_store};
use crate::util::now;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use crosspass_protocol::ScopeSet;
use serde::Deserialize;
use sqlx::Row;

/// The cookie's name over https: `__Host-` makes the browser refuse it unless it is
/// `Secure`, host-only and for the whole origin.
const SECURE_COOKIE: &str = "__Host-crosspass_session";
/// The name when XYZ runs on plain http (loopback development only).
const PLAIN_COOKIE: &str = "crosspass_session";
/// Prefix of session secrets (the cookie's value).
const SECRET_PREFIX: &str = "xpbs_";
/// Longest cookie value read: a prefix and 43 base64url characters.
const MAX_SECRET_LEN: usize = 64;

/// The form of `POST /hub/session/token`.
#[derive(Debug, Deserialize)]
pub struct MintRequest {
    client_id: Option<String>,
    scope: Option<String>,
}

/// `POST /hub/session`: stores the sign-in of the bearer token as this browser's XYZ
/// session (replacing the one its cookie named) and sets the cookie.
pub async fn establish(
    State(state): State<AppState>,
    Extension(request): Extension<RequestId>,
    headers: HeaderMap,
    auth: Result<crate::api::Authed, ApiError>,
) -> Response {
    let mut audit = AuditEvent::new("hub", "browser_session.created").request(&request);
    let result = async {
        own_origin(&state, &headers)?;
        let auth = auth?;
        audit = std::mem::take(&mut audit)
            .client(auth.claims.client_id.as_str())
            .tenant(auth.claims.tenant.as_str())
            .user(&auth.claims.sub);
        let ttl = enabled(&state)?;
        let secret = new_secret(SECRET_PREFIX);
        let expires_at = now() + ttl;
        let replaced = cookie_secret(&state, &headers).map(secret_hash);
        state
            .db
            .put_browser_session(
                &secret_hash(&secret),
                replaced.as_deref(),
                &auth.claims,
                expires_at,
            )
            .await?;
        let mut response = no_store(StatusCode::NO_CONTENT);
        set_cookie(&state, &mut response, &secret, ttl);
        Ok::<_, ApiError>(response)
    }
    .await;
    finish(&state, audit, result, "browser_session.refused").await
}

/// `POST /hub/session/token`: an access token for `client_id` from the browser's XYZ
/// session, for a client of the session's tenant, within the session's scopes.
pub async fn mint(
    State(state): State<AppState>,
    Extension(request): Extension<RequestId>,
    headers: HeaderMap,
    form: Result<Form<MintRequest>, FormRejection>,
) -> Response {
    let mut audit = AuditEvent::new("hub", "token.issued")
        .request(&request)
        .grant("browser-session");
    let result = async {
        own_origin(&state, &headers)?;
        let Form(req) = form.map_err(form_rejection)?;
        let client_id = req
            .client_id
            .ok_or(ApiError::InvalidRequest("client_id is required".into()))?;
        audit = std::mem::take(&mut audit).client(&client_id);
        enabled(&state)?;
        let none = || ApiError::InvalidGrant("no XYZ session in this browser".into());
        let secret = cookie_secret(&state, &headers).ok_or_else(none)?;
        let session = state
            .db
            .browser_session(&secret_hash(secret), now())
            .await?
            .ok_or_else(none)?;
        if !state.db.token_live(&session.user_id, &session.sid).await? {
            return Err(none());
        }
        let partner = state
            .partner(&client_id)
            .await?
            .filter(|p| p.tenant.as_str() == session.tenant)
            .ok_or_else(|| {
                ApiError::InvalidClient("not a client of the session's tenant".into())
            })?;
        let stored = ScopeSet::parse(&session.scope)
            .map_err(|_| ApiError::Internal("a stored session scope does not parse".into()))?;
        let granted: ScopeSet = partner
            .scopes
            .iter()
            .filter(|s| stored.contains(s.as_str()))
            .cloned()
            .collect();
        let scope = match req.scope.as_deref().filter(|s| !s.is_empty()) {
            None => granted,
            Some(s) => {
                let s = ScopeSet::parse(s)
                    .map_err(|_| ApiError::InvalidScope("malformed scope".into()))?;
                if !s.is_subset(&granted) {
                    return Err(ApiError::InvalidScope(
                        "requested scope exceeds the session's".into(),
                    ));
                }
                s
            }
        };
        if scope.is_empty() {
            return Err(ApiError::InvalidScope(
                "the session grants this client no scope".into(),
            ));
        }
        issue_access_token(&state, &partner, session.user_id, scope, Some(session.sid))
    }
    .await;
    let response = finish(&state, audit, result, "token.refused").await;
    crate::metrics::token_answered(&response, "browser-session");
    response
}

/// `DELETE /hub/session`: ends this browser's XYZ session, revoking its sign-in so
/// that the tokens minted from it stop working too, and clears the cookie.
pub async fn end(
    State(state): State<AppState>,
    Extension(request): Extension<RequestId>,
    headers: HeaderMap,
) -> Response {
    let audit = AuditEvent::new("hub", "browser_session.ended").request(&request);
    let result = async {
        own_origin(&state, &headers)?;
        if let Some(secret) = cookie_secret(&state, &headers) {
            let until = now()
                + crosspass_protocol::claims::MAX_ACCESS_TOKEN_LIFETIME_SECS
                + state.config.clock_skew_secs;
            state
                .db
                .end_browser_session(&secret_hash(secret), until)
                .await?;
        }
        let mut response = no_store(StatusCode::NO_CONTENT);
        set_cookie(&state, &mut response, "", 0);
        Ok(response)
    }
    .await;
    finish(&state, audit, result, "browser_session.end_refused").await
}

async fn finish(
    state: &AppState,
    audit: AuditEvent,
    result: Result<Response, ApiError>,
    refused: &'static str,
) -> Response {
    let response = result.unwrap_or_else(IntoResponse::into_response);
    audit
        .answered(&response, refused)
        .send(&state.audit, &state.db)
        .await;
    response
}

/// The rung is off when `browser_session_secs` is 0.
fn enabled(state: &AppState) -> Result<i64, ApiError> {
    match state.config.browser_session_secs {
        0 => Err(ApiError::NotFound(
            "browser sessions are turned off on this server".into(),
        )),
        ttl => Ok(ttl),
    }
}

/// Refuses any caller but XYZ's own pages: the `Origin` must be XYZ's, exactly.
fn own_origin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(header::ORIGIN) {
        Some(o) if o.as_bytes() == state.own_origin.as_bytes() => Ok(()),
        _ => Err(ApiError::AccessDenied(
            "only XYZ's own frames may use the browser session".into(),
        )),
    }
}

fn secure(state: &AppState) -> bool {
    state.config.issuer.starts_with("https://")
}

fn cookie_name(state: &AppState) -> &'static str {
    if secure(state) {
        SECURE_COOKIE
    } else {
        PLAIN_COOKIE
    }
}

/// The session secret of the request's cookie, when it has one of the right shape.
fn cookie_secret<'a>(state: &AppState, headers: &'a HeaderMap) -> Option<&'a str> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| {
            v.len() <= MAX_SECRET_LEN
                && v.starts_with(SECRET_PREFIX)
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `HttpOnly` (no script reads it), `SameSite=None` (it is sent to XYZ's frame under a
/// partner's page, where storage access allows), `Secure` over https. Browsers treat
/// `*.localhost` as a secure context, so loopback development over http marks it
/// `Secure` as well: `SameSite=None` requires it.
fn set_cookie(state: &AppState, response: &mut Response, value: &str, max_age: i64) {
    let loopback = url::Url::parse(&state.config.issuer)
        .ok()
        .and_then(|u| u.host_str().map(crate::util::is_loopback))
        .unwrap_or(false);
    let secure = secure(state) || loopback;
    let cookie = format!(
        "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=None{}",
        cookie_name(state),
        if secure { "; Secure" } else { "" },
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A stored browser session.
#[derive(Debug)]
pub struct BrowserSession {
    /// The tenant it signs in to.
    pub tenant: String,
    /// The XYZ user.
    pub user_id: String,
    /// The sign-in it carries (the `sid` of its tokens).
    pub sid: String,
    /// The scopes of the token it was made from.
    pub scope: String,
}

impl BrowserSession {
    pub(crate) fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            tenant: row.try_get("tenant")?,
            user_id: row.try_get("user_id")?,
            sid: row.try_get("sid")?,
            scope: row.try_get("scope")?,
        })
    }
}
