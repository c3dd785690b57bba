//! Token exchange (RFC 8693, chained delegation, docs/design.md): a registered service trades a user's
//! XYZ access token that is addressed to it for a token to a registered downstream —
//! scope only narrowed, `sub` the user's id in that downstream's domain (from an
//! account link), `act` naming the service in front of any earlier actors.
//!
//! Checks, in order: parameters and token types (`invalid_request`) → client
//! authentication (`invalid_client`) → the target and the client's right to it
//! (`invalid_target`) → the subject token: an XYZ access token (`invalid_request`),
//! genuine, unexpired and addressed to the client (`invalid_grant`) → the XYZ user it
//! speaks for (`invalid_grant`) → scope (`invalid_scope`) → the delegation chain and
//! the user's account at the target (`invalid_grant`).

use crate::app::AppState;
use crate::audit::Granted;
use crate::auth::authenticate_service;
use crate::db::DownstreamKey;
use crate::error::ApiError;
use crate::oauth::{no_store, sign, TokenRequest};
use crate::registry::{Downstream, Service};
use crate::util::{now, random_id};
use axum::response::Response;
use axum::Json;
use crosspass_jwt::{validate_subject_token, JwtError};
use crosspass_protocol::claims::{AccessTokenClaims, Audience};
use crosspass_protocol::exchange::{
    delegate, narrow_scope, ACCESS_TOKEN_TYPE, EMBED_SESSION_TOKEN_TYPE,
};
use crosspass_protocol::oauth::TokenResponse;
use crosspass_protocol::{AccessToken, ScopeSet};
use std::sync::Arc;

/// A token issued by an exchange.
#[derive(Debug)]
pub struct Issued {
    /// The signed token.
    pub token: AccessToken,
    /// What it says.
    pub claims: AccessTokenClaims,
}

/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` at `/oauth/token`.
pub async fn token_exchange(state: &AppState, req: TokenRequest) -> Result<Response, ApiError> {
    let subject = req
        .subject_token
        .as_ref()
        .ok_or(ApiError::InvalidRequest("subject_token is required".into()))?;
    match req.subject_token_type.as_deref() {
        Some(EMBED_SESSION_TOKEN_TYPE) => return crate::embed::redeem(state, req).await,
        Some(ACCESS_TOKEN_TYPE) => {}
        None => {
            return Err(ApiError::InvalidRequest(
                "subject_token_type is required".into(),
            ))
        }
        Some(_) => {
            return Err(ApiError::InvalidRequest(
                format!(
                    "subject_token_type must be {ACCESS_TOKEN_TYPE} or {EMBED_SESSION_TOKEN_TYPE}"
                )
                .into(),
            ))
        }
    }
    if req
        .requested_token_type
        .as_deref()
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(ApiError::InvalidRequest(
            format!("requested_token_type must be {ACCESS_TOKEN_TYPE}").into(),
        ));
    }
    if req.actor_token.is_some() || req.actor_token_type.is_some() {
        return Err(ApiError::InvalidRequest(
            "actor_token is not supported: the authenticated client is the actor".into(),
        ));
    }
    let requested = req
        .scope
        .as_deref()
        .map(ScopeSet::parse)
        .transpose()
        .map_err(|_| ApiError::InvalidScope("malformed scope".into()))?;

    let assertion = req.client_assertion()?.ok_or(ApiError::InvalidClient(
        "token exchange requires client authentication (private_key_jwt)".into(),
    ))?;
    let service = authenticate_service(state, assertion).await?;
    if req
        .client_id
        .as_deref()
        .is_some_and(|c| c != service.client_id.as_str())
    {
        return Err(ApiError::InvalidClient(
            "client_id does not match the client assertion".into(),
        ));
    }

    let target = target(state, req.audience.as_deref(), req.resource.as_deref()).await?;
    permitted(&service, &target)?;

    let accepts: Vec<&str> = service.accepts.iter().map(String::as_str).collect();
    let check = || {
        validate_subject_token(
            subject,
            &state.keys.get().public,
            &state.config.issuer,
            &accepts,
            now(),
        )
    };
    let mut checked = check();
    if matches!(checked, Err(JwtError::UnknownKey)) {
        state.keys.reload_for_unknown_kid(&state.db).await?;
        checked = check();
    }
    let (claims, audience) = checked.map_err(ApiError::subject)?;
    let user = subject_user(state, &claims, audience).await?;
    if !state.db.token_live(&user, claims.session_id()).await? {
        return Err(ApiError::InvalidGrant(
            "subject_token: its session was revoked".into(),
        ));
    }

    let issued = issue(state, &service, &claims, &user, &target, requested.as_ref()).await?;
    let body = TokenResponse {
        issued_token_type: Some(ACCESS_TOKEN_TYPE.into()),
        ..TokenResponse::bearer(
            issued.token,
            issued.claims.exp - issued.claims.iat,
            issued.claims.scope,
        )
    };
    let mut response = no_store(Json(body));
    response.extensions_mut().insert(Granted {
        client_id: service.client_id.to_string(),
        tenant: claims.tenant.to_string(),
        user,
    });
    Ok(response)
}

/// The same exchange, in-process, for a token the data API has already verified: how
/// XYZ's own record sync, registered as `service`, gets its token for `target`.
pub async fn exchange_for(
    state: &AppState,
    service: &Service,
    subject: &AccessTokenClaims,
    target: &Downstream,
) -> Result<Issued, ApiError> {
    permitted(service, target)?;
    if !service.accepts.contains(&state.api_audience) {
        return Err(ApiError::InvalidGrant(
            "subject_token is not addressed to this client".into(),
        ));
    }
    let user = subject_user(state, subject, &state.api_audience).await?;
    issue(state, service, subject, &user, target, None).await
}

/// The downstream that `audience` or `resource` (or both, agreeing) names.
async fn target(
    state: &AppState,
    audience: Option<&str>,
    resource: Option<&str>,
) -> Result<Arc<Downstream>, ApiError> {
    // RFC 8707 §2: a resource is an absolute URI without a fragment.
    if resource.is_some_and(|r| url::Url::parse(r).map_or(true, |u| u.fragment().is_some())) {
        return Err(ApiError::InvalidTarget(
            "resource must be an absolute URI without a fragment".into(),
        ));
    }
    let name = match (audience, resource) {
        (None, None) => {
            return Err(ApiError::InvalidRequest(
                "audience or resource is required".into(),
            ))
        }
        (Some(a), Some(r)) if a != r => {
            return Err(ApiError::InvalidTarget(
                "audience and resource name different targets; ask for one".into(),
            ))
        }
        (Some(name), _) | (None, Some(name)) => name,
    };
    state
        .downstream(DownstreamKey::Audience, name)
        .await?
        .ok_or(ApiError::InvalidTarget("unknown audience".into()))
}

fn permitted(service: &Service, target: &Downstream) -> Result<(), ApiError> {
    if service.targets.contains(&target.id) {
        Ok(())
    } else {
        Err(ApiError::InvalidTarget(
            "this client may not obtain tokens for that audience".into(),
        ))
    }
}

/// The XYZ user a verified subject token speaks for. A token for XYZ's API names the
/// user, and its partner client must still be registered for the tenant (as the API
/// itself requires); a token an earlier exchange made for a downstream names the
/// user's id there, which leads back through the link.
async fn subject_user(
    state: &AppState,
    claims: &AccessTokenClaims,
    audience: &str,
) -> Result<String, ApiError> {
    let user = if audience == state.api_audience {
        let registered = state
            .partner(claims.client_id.as_str())
            .await?
            .is_some_and(|p| p.tenant == claims.tenant);
        if !registered || claims.act.is_some() {
            return Err(ApiError::InvalidGrant(
                "subject_token: its client is not registered for its tenant".into(),
            ));
        }
        claims.sub.clone()
    } else {
        let downstream = state
            .downstream(DownstreamKey::Audience, audience)
            .await?
            .ok_or(ApiError::InvalidGrant(
                "subject_token: its audience is no longer registered".into(),
            ))?;
        state
            .db
            .linked_user(&downstream.id, &claims.sub)
            .await?
            .ok_or(ApiError::InvalidGrant(
                "subject_token: no XYZ user is linked to its subject".into(),
            ))?
    };
    if state.db.user_tenant(&user).await?.as_ref() != Some(&claims.tenant) {
        return Err(ApiError::InvalidGrant("subject_token: unknown user".into()));
    }
    Ok(user)
}

/// Narrows the scope, extends the chain, maps the user and signs.
async fn issue(
    state: &AppState,
    service: &Service,
    subject: &AccessTokenClaims,
    user: &str,
    target: &Downstream,
    requested: Option<&ScopeSet>,
) -> Result<Issued, ApiError> {
    state.limits.check_client(service.client_id.as_str())?;
    let scope = narrow_scope(&subject.scope, &target.scopes, requested)
        .map_err(|e| ApiError::InvalidScope(e.to_string().into()))?;
    let act = delegate(&service.client_id, subject.act.as_ref())
        .map_err(|e| ApiError::InvalidGrant(e.to_string().into()))?;
    let sub = state
        .db
        .linked_subject(user, &target.id)
        .await?
        .ok_or(ApiError::InvalidGrant(
            "the user has no account linked at that audience".into(),
        ))?;
    let now = now();
    let claims = AccessTokenClaims {
        iss: state.config.issuer.clone(),
        sub,
        aud: Audience::One(target.audience.clone()),
        client_id: service.client_id.clone(),
        tenant: subject.tenant.clone(),
        scope,
        jti: random_id(16),
        iat: now,
        // Never outlives the token it was made from.
        exp: (now + target.token_lifetime_secs).min(subject.exp),
        act: Some(act),
        sid: Some(subject.session_id().to_owned()),
    };
    let token = sign(state, &claims)?;
    tracing::debug!(client_id = %service.client_id, downstream = %target.id, user, "token exchanged");
    Ok(Issued { token, claims })
}
