//! Account links (chained delegation): the signed-in XYZ user presents a statement a
//! downstream signed about its own user — `typ: account-link+jwt`, `iss` the
//! downstream, `sub` its user id, `aud` XYZ's issuer, a single-use `jti`, five minutes
//! at most, and the `nonce` XYZ issued to this XYZ user for this downstream — and XYZ
//! links the two accounts.
//!
//! Three things make a link hard to plant:
//! - **The nonce** binds the statement to the XYZ user it was made for: one user's
//!   statement cannot link another user, however it was obtained.
//! - **A fresh partner assertion** (step-up) comes with the statement: the partner
//!   vouches, now, for the same user. A stolen access token alone cannot make a link,
//!   so what a thief can do ends when the token expires.
//! - **No replacement**: a user with a link to a downstream keeps it until they unlink
//!   it (`DELETE`); a different statement is refused with 409.

use crate::api::Authed;
use crate::app::AppState;
use crate::db::{is_unique_violation, DownstreamKey};
use crate::embed::{new_secret, secret_hash};
use crate::error::ApiError;
use crate::oauth::{no_store, verify_assertion};
use crate::users::{json_body, valid_external_id};
use crate::util::now;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crosspass_jwt::{AssertionExpectations, UnverifiedLinkStatement};
use crosspass_protocol::{Assertion, DownstreamId};
use serde::Deserialize;

/// Largest link request body.
const MAX_LINK_BODY_BYTES: usize = 16 * 1024;
/// How long a link nonce may wait for its statement.
pub const NONCE_TTL_SECS: i64 = 600;
/// Prefix of link nonces.
const NONCE_PREFIX: &str = "xpln_";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkRequest {
    statement: Assertion,
    /// A fresh ID-JAG from the partner for the same user.
    assertion: Assertion,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NonceRequest {
    downstream: String,
}

fn statement_error(e: crosspass_jwt::JwtError) -> ApiError {
    ApiError::InvalidGrant(format!("statement: {e}").into())
}

/// `POST /api/v1/me/links/nonces` (scope `form.write`), body `{"downstream": "…"}`:
/// 201 with a single-use nonce for the downstream to sign back in its statement.
pub async fn post_nonce(
    State(state): State<AppState>,
    auth: Authed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    auth.require("form.write")?;
    let body = json_body(body, &headers, 1024)?;
    let NonceRequest { downstream } = serde_json::from_slice(&body).map_err(|_| {
        ApiError::InvalidRequest("body must be {\"downstream\": \"<downstream id>\"}".into())
    })?;
    let downstream = state
        .downstream(DownstreamKey::Id, &downstream)
        .await?
        .ok_or(ApiError::NotFound("no such downstream".into()))?;
    let nonce = new_secret(NONCE_PREFIX);
    let now = now();
    state
        .db
        .insert_link_nonce(
            &secret_hash(&nonce),
            &auth.claims.sub,
            &downstream.id,
            now + NONCE_TTL_SECS,
            now,
        )
        .await?;
    let body = serde_json::json!({
        "nonce": nonce,
        "downstream": downstream.id,
        "expires_in": NONCE_TTL_SECS,
    });
    Ok((StatusCode::CREATED, no_store(Json(body))).into_response())
}

/// `POST /api/v1/me/links` (scope `form.write`), body `{"statement": "…",
/// "assertion": "…"}`: 201 with the link (200 when this very link already stood).
pub async fn post_link(
    State(state): State<AppState>,
    auth: Authed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    auth.require("form.write")?;
    let body = json_body(body, &headers, MAX_LINK_BODY_BYTES)?;
    let LinkRequest {
        statement,
        assertion,
    } = serde_json::from_slice(&body).map_err(|_| {
        ApiError::InvalidRequest(
            "body must be {\"statement\": \"<signed statement>\", \"assertion\": \"<fresh ID-JAG>\"}"
                .into(),
        )
    })?;

    // Step-up: the token's own partner vouches for the same user, now.
    let (partner, claims) =
        verify_assertion(&state, &assertion, Some(auth.claims.client_id.as_str())).await?;
    let vouched = match claims.subject() {
        Ok(sub) => state.db.find_user(&partner.tenant, sub).await?,
        Err(_) => None,
    };
    if vouched.as_deref() != Some(auth.claims.sub.as_str()) {
        return Err(ApiError::AccessDenied(
            "assertion: it is not for the signed-in user".into(),
        ));
    }

    let now = now();
    let unverified = UnverifiedLinkStatement::parse(&statement).map_err(statement_error)?;
    let downstream = state
        .downstream(
            DownstreamKey::Issuer,
            unverified.issuer().map_err(statement_error)?,
        )
        .await?;
    let expect = AssertionExpectations {
        audience: &state.config.issuer,
        now,
        leeway: state.config.clock_skew_secs,
    };
    let claims = unverified
        .verify(downstream.as_ref().map(|d| &d.jwks), &expect)
        .map_err(statement_error)?;
    let downstream =
        downstream.ok_or_else(|| ApiError::Internal("verified without a downstream".into()))?;
    let subject = claims
        .subject()
        .map_err(|e| statement_error(e.into()))?
        .to_owned();
    if !valid_external_id(&subject) {
        return Err(ApiError::InvalidGrant(
            "statement: invalid claim `sub`".into(),
        ));
    }
    let nonce = claims.nonce.as_deref().ok_or(ApiError::InvalidGrant(
        "statement: missing claim `nonce`".into(),
    ))?;
    let jti = claims.jti().map_err(|e| statement_error(e.into()))?;
    let expires_at = claims.exp.unwrap_or(now) + state.config.clock_skew_secs;
    if !state
        .db
        .use_jti(&format!("link:{}", downstream.id), jti, expires_at)
        .await?
    {
        crate::metrics::replay_refused("statement");
        return Err(ApiError::InvalidGrant("statement already used".into()));
    }
    if !state
        .db
        .spend_link_nonce(&secret_hash(nonce), &auth.claims.sub, &downstream.id, now)
        .await?
    {
        return Err(ApiError::InvalidGrant(
            "statement: its nonce was not issued to this user for this downstream, or is spent"
                .into(),
        ));
    }
    let (created, linked) = state
        .db
        .insert_link(&auth.claims.sub, &downstream.id, &subject, now)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict("that account is already linked to another XYZ user".into())
            } else {
                e.into()
            }
        })?;
    if linked != subject {
        return Err(ApiError::Conflict(
            "the user already has a linked account at this downstream: unlink it first".into(),
        ));
    }
    tracing::info!(user = %auth.claims.sub, downstream = %downstream.id, "account linked");
    let link = state
        .db
        .links(&auth.claims.sub)
        .await?
        .into_iter()
        .find(|l| l.downstream == downstream.id)
        .ok_or(ApiError::Internal("the link just made is gone".into()))?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, no_store(Json(link))).into_response())
}

/// `GET /api/v1/me/links` (scope `form.read`): the user's links and how the last
/// record sync to each ended.
pub async fn get_links(State(state): State<AppState>, auth: Authed) -> Result<Response, ApiError> {
    auth.require("form.read")?;
    let links = state.db.links(&auth.claims.sub).await?;
    Ok(no_store(Json(serde_json::json!({ "links": links }))))
}

/// `DELETE /api/v1/me/links/{downstream}` (scope `form.write`): 204, or 404 when
/// there was no such link.
pub async fn delete_link(
    State(state): State<AppState>,
    auth: Authed,
    Path(downstream): Path<String>,
) -> Result<Response, ApiError> {
    auth.require("form.write")?;
    let id =
        DownstreamId::new(downstream).map_err(|_| ApiError::NotFound("no such link".into()))?;
    if !state.db.remove_link(&auth.claims.sub, &id).await? {
        return Err(ApiError::NotFound("no such link".into()));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
