//! Embed sessions, for partners without keys of their own. The partner's server,
//! authenticated with its client secret (`client_secret_basic`, RFC 6749 §2.3.1) or its
//! keys (`private_key_jwt`), asks for a session for one of its users and a scope
//! (`POST /api/v1/embed-sessions`): a random, single-use secret valid for two minutes,
//! bound to client, tenant, user and scope. The partner hands it to its page; XYZ's hub
//! redeems it at the token endpoint (RFC 8693 token exchange, subject token type
//! [`EMBED_SESSION_TOKEN_TYPE`]) for the usual access token. Redemption deletes the
//! row and reads it in one statement, so a secret is spent once across every replica.
//!
//! Secrets, client secrets included, are stored only as SHA-256 hashes: they are 256
//! random bits, so a fast hash is as good as a slow one, and lookups stay cheap.

use crate::app::AppState;
use crate::audit::{AuditEvent, Granted, RequestId};
use crate::auth::authenticate_client;
use crate::error::ApiError;
use crate::oauth::{issue_access_token, new_user_id, no_store, TokenRequest};
use crate::registry::Partner;
use crate::users::{bearer, json_body, valid_external_id};
use crate::util::{now, random_id};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use crosspass_protocol::exchange::EMBED_SESSION_TOKEN_TYPE;
use crosspass_protocol::{Assertion, ClientId, ScopeSet};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// How long an embed session may wait for its redemption.
pub const SESSION_TTL_SECS: i64 = 120;
/// Prefix of embed session secrets (recognisable in a leak report, never in a log).
pub const SESSION_PREFIX: &str = "xpes_";
/// Prefix of client secrets.
pub const CLIENT_SECRET_PREFIX: &str = "xpcs_";
/// Random bytes in every secret: 256 bits.
const SECRET_BYTES: usize = 32;
/// Largest request body of `POST /api/v1/embed-sessions`.
const MAX_BODY_BYTES: usize = 4 * 1024;

/// A fresh secret with `prefix`.
pub fn new_secret(prefix: &str) -> String {
    format!("{prefix}{}", random_id(SECRET_BYTES))
}

/// What a secret is stored as.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The client id and secret of `Authorization: Basic …` (both form-urlencoded inside
/// the base64, RFC 6749 §2.3.1); `None` without such a header.
pub fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ApiError>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let malformed = || ApiError::InvalidClient("malformed Basic credentials".into());
    Some((|| {
        let decoded = <base64ct::Base64 as base64ct::Encoding>::decode_vec(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(malformed)?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        Ok((
            unescape(id).ok_or_else(malformed)?,
            unescape(secret).ok_or_else(malformed)?,
        ))
    })())
}

/// Checks `secret` against the client's current secrets, and against rotated ones
/// still in their overlap window, in constant time per comparison.
pub async fn authenticate_secret(
    state: &AppState,
    client_id: &str,
    secret: &str,
) -> Result<Arc<Partner>, ApiError> {
    let failed = || ApiError::InvalidClient("client authentication failed".into());
    if ClientId::new(client_id).is_err() {
        return Err(failed());
    }
    let partner = state.partner(client_id).await?.ok_or_else(failed)?;
    let rows = sqlx::query(
        "SELECT secret_hash FROM client_secrets \
         WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(client_id)
    .bind(now())
    .fetch_all(state.db.pool())
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let presented = secret_hash(secret);
    let mut matched = subtle::Choice::from(0);
    for row in rows {
        let stored: String = row
            .try_get("secret_hash")
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        matched |= stored.as_bytes().ct_eq(presented.as_bytes());
    }
    if bool::from(matched) {
        Ok(partner)
    } else {
        Err(failed())
    }
}

/// The partner behind a server-to-server request: its client secret
/// (`Authorization: Basic`) or a client assertion (`Authorization: Bearer`).
pub async fn authenticate_partner(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Arc<Partner>, ApiError> {
    if let Some(credentials) = basic_credentials(headers) {
        let (id, secret) = credentials?;
        return authenticate_secret(state, &id, &secret).await;
    }
    match bearer(headers) {
        Some(token) => authenticate_client(state, &Assertion::new(token)).await,
        None => Err(ApiError::InvalidClient(
            "client authentication required: Basic (client secret) or Bearer (client assertion)"
                .into(),
        )),
    }
}

/// Makes a new client secret for `client_id`; secrets in use now stay valid for
/// `overlap_secs` more. Returns the secret, which exists nowhere else afterwards.
pub async fn rotate_client_secret(
    db: &crate::db::Db,
    client_id: &ClientId,
    overlap_secs: i64,
    now: i64,
) -> Result<String, crate::db::DbError> {
    let secret = new_secret(CLIENT_SECRET_PREFIX);
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "UPDATE client_secrets SET expires_at = $1 \
         WHERE client_id = $2 AND (expires_at IS NULL OR expires_at > $1)",
    )
    .bind(now + overlap_secs.max(0))
    .bind(client_id.as_str())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO client_secrets (secret_hash, client_id, created_at, expires_at) \
         VALUES ($1, $2, $3, NULL)",
    )
    .bind(secret_hash(&secret))
    .bind(client_id.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// `POST /api/v1/embed-sessions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    /// The partner's own id of the user.
    user: String,
    /// Scopes of the session (default: all the client may have).
    scope: Option<String>,
}

/// `POST /api/v1/embed-sessions`: a single-use session for one user and scope.
/// Every answer, made or refused, goes to the audit trail.
pub async fn create_session(
    State(state): State<AppState>,
    Extension(request): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut audit = AuditEvent::new("anonymous", "embed_session.created").request(&request);
    if let Some(Ok((id, _))) = basic_credentials(&headers) {
        audit = audit.client(id);
    }
    let response = match make_session(&state, &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    audit
        .answered(&response, "embed_session.refused")
        .send(&state.audit, &state.db)
        .await;
    response
}

async fn make_session(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let partner = authenticate_partner(state, headers).await?;
    state.limits.check_client(partner.client_id.as_str())?;
    let body = json_body(body, headers, MAX_BODY_BYTES)?;
    let req: SessionRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("body: {e}").into()))?;
    if !valid_external_id(&req.user) {
        return Err(ApiError::InvalidRequest("user: not a valid user id".into()));
    }
    let scope = match req.scope.as_deref() {
        None => partner.scopes.clone(),
        Some(s) => {
            let s =
                ScopeSet::parse(s).map_err(|_| ApiError::InvalidScope("malformed scope".into()))?;
            if s.is_empty() || !s.is_subset(&partner.scopes) {
                return Err(ApiError::InvalidScope(
                    "scope exceeds what the client may have".into(),
                ));
            }
            s
        }
    };
    let now = now();
    let user = match state.db.find_user(&partner.tenant, &req.user).await? {
        Some(id) => id,
        None if partner.jit_users => {
            state
                .db
                .upsert_user(&partner.tenant, &req.user, None, &new_user_id(), now)
                .await?
                .id
        }
        None => {
            return Err(ApiError::NotFound(
                "unknown user: provision it first".into(),
            ))
        }
    };
    let secret = new_secret(SESSION_PREFIX);
    let expires_at = now + SESSION_TTL_SECS;
    let pool = state.db.pool();
    // Sessions nobody redeemed are removed as new ones are made.
    sqlx::query("DELETE FROM embed_sessions WHERE expires_at < $1")
        .bind(now)
        .execute(pool)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO embed_sessions (secret_hash, client_id, tenant, user_id, scope, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(secret_hash(&secret))
    .bind(partner.client_id.as_str())
    .bind(partner.tenant.as_str())
    .bind(&user)
    .bind(scope.to_string())
    .bind(expires_at)
    .execute(pool)
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let body = serde_json::json!({
        "session": secret,
        "expires_at": expires_at,
        "expires_in": SESSION_TTL_SECS,
        "scope": scope.to_string(),
    });
    let mut response = no_store((StatusCode::CREATED, Json(body)));
    response.extensions_mut().insert(Granted {
        client_id: partner.client_id.to_string(),
        tenant: partner.tenant.to_string(),
        user,
    });
    Ok(response)
}

/// Token exchange with an embed session as the subject token: spends the session and
/// issues the access token it stands for.
pub async fn redeem(state: &AppState, req: TokenRequest) -> Result<Response, ApiError> {
    let session = req
        .subject_token
        .as_ref()
        .ok_or(ApiError::InvalidRequest("subject_token is required".into()))?;
    let client_id = req
        .client_id
        .as_deref()
        .ok_or(ApiError::InvalidRequest("client_id is required".into()))?;
    debug_assert_eq!(
        req.subject_token_type.as_deref(),
        Some(EMBED_SESSION_TOKEN_TYPE)
    );
    let row = sqlx::query(
        "DELETE FROM embed_sessions WHERE secret_hash = $1 \
         RETURNING client_id, tenant, user_id, scope, expires_at",
    )
    .bind(secret_hash(session.expose_secret()))
    .fetch_optional(state.db.pool())
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let spent = || ApiError::InvalidGrant("unknown, expired or already used embed session".into());
    let row = row.ok_or_else(spent)?;
    let get = |name: &str| -> Result<String, ApiError> {
        row.try_get(name)
            .map_err(|e| ApiError::Internal(e.to_string()))
    };
    let expires_at: i64 = row
        .try_get("expires_at")
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if get("client_id")? != client_id || expires_at <= now() {
        return Err(spent());
    }
    let partner = state.partner(client_id).await?.ok_or_else(spent)?;
    if get("tenant")? != partner.tenant.as_str() {
        return Err(spent());
    }
    let granted = ScopeSet::parse(&get("scope")?).map_err(|_| spent())?;
    let scope = match req.scope.as_deref().filter(|s| !s.is_empty()) {
        None => granted,
        Some(s) => {
            let s =
                ScopeSet::parse(s).map_err(|_| ApiError::InvalidScope("malformed scope".into()))?;
            if !s.is_subset(&granted) {
                return Err(ApiError::InvalidScope(
                    "requested scope exceeds the session's".into(),
                ));
            }
            s
        }
    };
    issue_access_token(state, &partner, get("user_id")?, scope, None)
}
