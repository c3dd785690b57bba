//! Account links (chained delegation): the signed-in XYZ user presents a statement a downstream
//! signed about its own user — `typ: account-link+jwt`, `iss` the downstream, `sub`
//! its user id, `aud` XYZ's issuer, a single-use `jti`, five minutes at most — and XYZ
//! links the two accounts. Both sides are authenticated: the user by their XYZ access
//! token, the downstream account by the downstream's pinned key. A link is never made
//! from an identifier someone types.

use crate::api::Authed;
use crate::app::AppState;
use crate::db::{is_unique_violation, DownstreamKey};
use crate::error::ApiError;
use crate::oauth::no_store;
use crate::users::{json_body, valid_external_id};
use crate::util::now;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crosspass_protocol::jws::{AssertionExpectations, UnverifiedLinkStatement};
use crosspass_protocol::{Assertion, DownstreamId};
use serde::Deserialize;

/// Largest link request body.
const MAX_LINK_BODY_BYTES: usize = 8 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkRequest {
    statement: Assertion,
}

fn statement_error(e: crosspass_protocol::jws::JwtError) -> ApiError {
    ApiError::InvalidGrant(format!("statement: {e}").into())
}

/// `POST /api/v1/me/links` (scope `form.write`), body `{"statement": "…"}`: 201 with
/// the link.
pub async fn post_link(
    State(state): State<AppState>,
    auth: Authed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    auth.require("form.write")?;
    let body = json_body(body, &headers, MAX_LINK_BODY_BYTES)?;
    let LinkRequest { statement } = serde_json::from_slice(&body).map_err(|_| {
        ApiError::InvalidRequest("body must be {\"statement\": \"<signed statement>\"}".into())
    })?;

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
    let jti = claims.jti().map_err(|e| statement_error(e.into()))?;
    let expires_at = claims.exp.unwrap_or(now) + state.config.clock_skew_secs;
    if !state
        .db
        .use_jti(&format!("link:{}", downstream.id), jti, expires_at)
        .await?
    {
        return Err(ApiError::InvalidGrant("statement already used".into()));
    }
    state
        .db
        .upsert_link(&auth.claims.sub, &downstream.id, &subject, now)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict("that account is already linked to another XYZ user".into())
            } else {
                e.into()
            }
        })?;
    tracing::info!(user = %auth.claims.sub, downstream = %downstream.id, "account linked");
    let link = serde_json::json!({
        "downstream": downstream.id,
        "subject": subject,
        "linked_at": now,
        "synced_at": null,
        "sync_status": null,
    });
    Ok((StatusCode::CREATED, no_store(Json(link))).into_response())
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
