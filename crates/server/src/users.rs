//! User provisioning and deletion: a partner backend creates (or updates) the XYZ user
//! for one of its own users, or deletes it, authenticated with a client assertion in
//! `Authorization: Bearer` or its client secret in `Authorization: Basic`.

use crate::app::AppState;
use crate::audit::{AuditEvent, RequestId};
use crate::error::ApiError;
use crate::oauth::new_user_id;
use crate::registry::Partner;
use crate::util::now;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::sync::Arc;

/// Longest partner user id accepted.
pub const MAX_EXTERNAL_ID_LEN: usize = 256;
/// Largest profile object stored.
pub const MAX_PROFILE_BYTES: usize = 8 * 1024;

/// A partner's user id: 1 to [`MAX_EXTERNAL_ID_LEN`] bytes, no control characters.
pub fn valid_external_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_EXTERNAL_ID_LEN && !id.chars().any(char::is_control)
}

/// The credential of `Authorization: Bearer …`, or `None`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// True when the request says its body is JSON.
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// A JSON request body of at most `max` bytes.
pub fn json_body(
    body: Result<Bytes, BytesRejection>,
    headers: &HeaderMap,
    max: usize,
) -> Result<Bytes, ApiError> {
    let body = body.map_err(|r| match r.status().as_u16() {
        413 => ApiError::PayloadTooLarge,
        _ => ApiError::InvalidRequest("unreadable body".into()),
    })?;
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType("expected application/json"));
    }
    if body.len() > max {
        return Err(ApiError::PayloadTooLarge);
    }
    Ok(body)
}

/// `PUT /api/v1/partners/{client_id}/users/{external_id}`: idempotent; 201 when the
/// user was created, 200 when it existed.
pub async fn put_user(
    State(state): State<AppState>,
    Extension(request): Extension<RequestId>,
    Path((client_id, external_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let partner = own_user(&state, &headers, &client_id, &external_id).await?;
    let body = body.map_err(|r| match r.status().as_u16() {
        413 => ApiError::PayloadTooLarge,
        _ => ApiError::InvalidRequest("unreadable body".into()),
    })?;
    let profile = if body.is_empty() {
        None
    } else {
        if !is_json(&headers) {
            return Err(ApiError::UnsupportedMediaType("expected application/json"));
        }
        if body.len() > MAX_PROFILE_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| ApiError::InvalidRequest("body is not JSON".into()))?;
        let shape = || ApiError::InvalidRequest("body must be {} or {\"profile\": {…}}".into());
        let object = value.as_object().ok_or_else(shape)?;
        match (object.len(), object.get("profile")) {
            (0, _) => None,
            (1, Some(p)) if p.is_object() => Some(p.clone()),
            _ => return Err(shape()),
        }
    };
    let user = state
        .db
        .upsert_user(
            &partner.tenant,
            &external_id,
            profile.as_ref(),
            &new_user_id(),
            now(),
        )
        .await?;
    AuditEvent::new(&format!("client:{client_id}"), "user.provisioned")
        .request(&request)
        .client(&client_id)
        .tenant(partner.tenant.as_str())
        .user(&user.id)
        .detail(if user.created { "created" } else { "updated" })
        .send(&state.audit, &state.db)
        .await;
    let status = if user.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(serde_json::json!({
            "user_id": user.id,
            "tenant": partner.tenant,
            "external_id": external_id,
            "created": user.created,
        })),
    )
        .into_response())
}

/// Authenticates the partner backend of a per-user route and checks that the route
/// names its own client and a well-formed user id.
async fn own_user(
    state: &AppState,
    headers: &HeaderMap,
    client_id: &str,
    external_id: &str,
) -> Result<Arc<Partner>, ApiError> {
    let partner = crate::embed::authenticate_partner(state, headers).await?;
    if partner.client_id.as_str() != client_id {
        return Err(ApiError::AccessDenied(
            "a client may only manage its own users".into(),
        ));
    }
    if !valid_external_id(external_id) {
        return Err(ApiError::InvalidRequest(
            format!("external id must be 1 to {MAX_EXTERNAL_ID_LEN} printable characters").into(),
        ));
    }
    Ok(partner)
}

/// `DELETE /api/v1/partners/{client_id}/users/{external_id}`: removes the user, their
/// record, account links and pending embed sessions; their tokens stop working at
/// once. 204, or 404 when there is no such user.
pub async fn delete_user(
    State(state): State<AppState>,
    Extension(request): Extension<RequestId>,
    Path((client_id, external_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let partner = own_user(&state, &headers, &client_id, &external_id).await?;
    let deleted = state.db.delete_user(&partner.tenant, &external_id).await?;
    let Some(user) = deleted else {
        return Err(ApiError::NotFound("no such user".into()));
    };
    AuditEvent::new(&format!("client:{client_id}"), "user.deleted")
        .request(&request)
        .client(&client_id)
        .tenant(partner.tenant.as_str())
        .user(&user)
        .send(&state.audit, &state.db)
        .await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
