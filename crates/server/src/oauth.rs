//! The authorization server: token endpoint (JWT bearer grant with ID-JAG assertions),
//! JWKS and RFC 8414 metadata.

use crate::app::AppState;
use crate::auth::{authenticate_client, CLIENT_ASSERTION_TYPE};
use crate::error::ApiError;
use crate::users::valid_external_id;
use crate::util::{now, random_id};
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use crosspass_protocol::claims::{AccessTokenClaims, Audience, ClaimError};
use crosspass_protocol::jws::{Alg, AssertionExpectations, PinnedIssuer, UnverifiedAssertion};
use crosspass_protocol::{Assertion, ScopeSet};
use serde::Deserialize;

/// `grant_type` of RFC 7523 §2.1.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The ID-JAG profile identifier for RFC 8414 metadata.
pub const ID_JAG_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

/// The form parameters of a token request. Others are ignored (RFC 6749 §3.2);
/// repeated ones make the form fail to parse.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    assertion: Option<Assertion>,
    scope: Option<String>,
    client_id: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<Assertion>,
}

/// Maps a form extractor failure to `invalid_request` (or 413/415).
pub fn form_rejection(r: FormRejection) -> ApiError {
    match r.status().as_u16() {
        413 => ApiError::PayloadTooLarge,
        415 => ApiError::UnsupportedMediaType("expected application/x-www-form-urlencoded"),
        _ => ApiError::InvalidRequest("malformed form body (or a repeated parameter)".into()),
    }
}

/// `POST /oauth/token`.
pub async fn token(
    State(state): State<AppState>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, ApiError> {
    let Form(req) = form.map_err(form_rejection)?;
    match req.grant_type.as_deref() {
        Some(JWT_BEARER_GRANT) => {}
        None => return Err(ApiError::InvalidRequest("grant_type is required".into())),
        Some(_) => return Err(ApiError::UnsupportedGrantType),
    }
    // Server path: the partner backend authenticates as a confidential client.
    let authenticated = match (req.client_assertion_type, req.client_assertion) {
        (None, None) => None,
        (Some(t), Some(a)) if t == CLIENT_ASSERTION_TYPE => {
            Some(authenticate_client(&state, &a).await?)
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::InvalidClient(
                "unsupported client_assertion_type".into(),
            ))
        }
        _ => {
            return Err(ApiError::InvalidRequest(
                "client_assertion and client_assertion_type go together".into(),
            ))
        }
    };
    let assertion = req
        .assertion
        .ok_or(ApiError::InvalidRequest("assertion is required".into()))?;

    let now = now();
    let leeway = state.config.clock_skew_secs;
    let unverified = UnverifiedAssertion::parse(&assertion).map_err(ApiError::grant)?;
    let partner = state
        .partner_by_issuer(unverified.issuer().map_err(ApiError::grant)?)
        .await?;
    let expect = AssertionExpectations {
        audience: &state.config.issuer,
        now,
        leeway,
    };
    let claims = unverified
        .verify(
            partner.as_ref().map(|p| PinnedIssuer {
                keys: &p.jwks,
                client_id: &p.client_id,
            }),
            &expect,
        )
        .map_err(ApiError::grant)?;
    let partner = partner.ok_or_else(|| ApiError::Internal("verified without a partner".into()))?;

    let caller = authenticated
        .map(|p| p.client_id.to_string())
        .or(req.client_id);
    if caller.is_some_and(|c| c != partner.client_id.as_str()) {
        return Err(ApiError::grant(ClaimError::ClientIdMismatch.into()));
    }

    let jti = claims.jti().map_err(|e| ApiError::grant(e.into()))?;
    let expires_at = claims.exp.unwrap_or(now) + leeway;
    if !state
        .db
        .use_jti(&format!("jag:{}", partner.issuer), jti, expires_at)
        .await?
    {
        return Err(ApiError::InvalidGrant("assertion already used".into()));
    }

    let mut scope = claims
        .granted_scope(&partner.scopes)
        .map_err(|e| ApiError::grant(e.into()))?;
    if let Some(requested) = req.scope.as_deref().filter(|s| !s.is_empty()) {
        let requested = ScopeSet::parse(requested)
            .map_err(|_| ApiError::InvalidScope("malformed scope".into()))?;
        if !requested.is_subset(&scope) {
            return Err(ApiError::InvalidScope(
                "requested scope exceeds what the assertion grants".into(),
            ));
        }
        scope = requested;
    }

    let sub = claims.subject().map_err(|e| ApiError::grant(e.into()))?;
    if !valid_external_id(sub) {
        return Err(ApiError::grant(ClaimError::Invalid("sub").into()));
    }
    let user = match state.db.find_user(&partner.tenant, sub).await? {
        Some(id) => id,
        None if partner.jit_users => {
            state
                .db
                .upsert_user(&partner.tenant, sub, None, &new_user_id(), now)
                .await?
                .id
        }
        None => return Err(ApiError::InvalidGrant("unknown user".into())),
    };

    let access = AccessTokenClaims {
        iss: state.config.issuer.clone(),
        sub: user,
        aud: Audience::One(state.api_audience.clone()),
        client_id: partner.client_id.clone(),
        tenant: partner.tenant.clone(),
        scope,
        jti: random_id(16),
        iat: now,
        exp: now + partner.token_lifetime_secs,
    };
    let keys = state.keys.get();
    let token = keys
        .current
        .sign_access_token(&access)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::debug!(client_id = %partner.client_id, tenant = %partner.tenant, user = %access.sub, "access token issued");
    let body = serde_json::json!({
        "access_token": token.expose_secret(),
        "token_type": "Bearer",
        "expires_in": partner.token_lifetime_secs,
        "scope": access.scope.to_string(),
    });
    Ok(no_store(Json(body)))
}

/// A new opaque XYZ user id.
pub fn new_user_id() -> String {
    format!("u_{}", random_id(16))
}

fn no_store(body: impl IntoResponse) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

fn cacheable(body: impl IntoResponse) -> Response {
    let mut r = body.into_response();
    // Short, so verifiers notice a key rotation quickly.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    r
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(state): State<AppState>) -> Response {
    cacheable(Json(state.keys.get().public.to_json()))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = &state.config.issuer;
    let algs: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
    cacheable(Json(serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": [JWT_BEARER_GRANT],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "authorization_grant_profiles_supported": [ID_JAG_PROFILE],
        "scopes_supported": ["form.read", "form.write"],
        "response_types_supported": [],
    })))
}
