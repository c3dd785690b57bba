//! Token revocation (RFC 7009) at `POST /oauth/revoke`, used by the hub's sign-out.
//! Revoking an access token ends the sign-in session it belongs to (its `sid`): the
//! token, and any token a service exchanged it for, stop working at the API and at
//! the token exchange of every replica at once, since both read the revocation from
//! the database on each use.
//!
//! The hub is a public client and names its client with `client_id`; a partner's
//! server may authenticate with its client secret (`Authorization: Basic`). Either
//! way, only the client a token was issued to may revoke it. An invalid, expired or
//! unknown token is answered 200 like a revoked one (§2.2): there is nothing left to
//! revoke, and the answer tells a prober nothing.

use crate::app::AppState;
use crate::audit::{AuditEvent, RequestId};
use crate::embed::{authenticate_secret, basic_credentials};
use crate::error::ApiError;
use crate::oauth::{form_rejection, no_store};
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use crosspass_protocol::AccessToken;
use serde::Deserialize;

/// The form parameters of a revocation request; others are ignored, `token_type_hint`
/// among them: only access tokens exist, and a hint is never an error (§2.1).
#[derive(Debug, Deserialize)]
pub struct RevokeRequest {
    token: Option<AccessToken>,
    client_id: Option<String>,
}

/// `POST /oauth/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Extension(request): Extension<RequestId>,
    headers: HeaderMap,
    form: Result<Form<RevokeRequest>, FormRejection>,
) -> Response {
    let mut audit = AuditEvent::new("anonymous", "token.revoked").request(&request);
    let response = match revoke_token(&state, &headers, form, &mut audit).await {
        Ok(()) => no_store(StatusCode::OK),
        Err(e) => e.into_response(),
    };
    audit
        .answered(&response, "token.revoke_refused")
        .send(&state.audit, &state.db)
        .await;
    response
}

async fn revoke_token(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<Form<RevokeRequest>, FormRejection>,
    audit: &mut AuditEvent,
) -> Result<(), ApiError> {
    let Form(req) = form.map_err(form_rejection)?;
    let caller = match basic_credentials(headers) {
        Some(credentials) => {
            let (id, secret) = credentials?;
            let partner = authenticate_secret(state, &id, &secret).await?;
            audit.actor = format!("client:{}", partner.client_id);
            partner.client_id.to_string()
        }
        None => {
            let named = req.client_id.clone().ok_or(ApiError::InvalidClient(
                "client_id (or client authentication) is required".into(),
            ))?;
            audit.actor = format!(
                "public-client:{}",
                named.chars().take(64).collect::<String>()
            );
            named
        }
    };
    *audit = std::mem::take(audit).client(&caller);
    let token = req
        .token
        .filter(|t| !t.expose_secret().is_empty())
        .ok_or(ApiError::InvalidRequest("token is required".into()))?;
    let Ok(claims) = state.verify_api_token(&token).await? else {
        *audit = std::mem::take(audit).detail("not a live access token: nothing to revoke");
        return Ok(());
    };
    if claims.client_id.as_str() != caller {
        return Err(ApiError::UnauthorizedClient(
            "the token was issued to another client".into(),
        ));
    }
    *audit = std::mem::take(audit)
        .tenant(claims.tenant.as_str())
        .user(&claims.sub);
    let until = claims.exp + state.config.clock_skew_secs;
    state.db.revoke_session(claims.session_id(), until).await?;
    Ok(())
}
