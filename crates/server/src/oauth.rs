//! The authorization server: token endpoint (JWT bearer grant with ID-JAG assertions,
//! token exchange in [`crate::exchange`]), JWKS and RFC 8414 metadata.

use crate::app::AppState;
use crate::audit::{AuditEvent, Granted, RequestId};
use crate::auth::{authenticate_client, CLIENT_ASSERTION_TYPE};
use crate::error::ApiError;
use crate::registry::Partner;
use crate::users::valid_external_id;
use crate::util::{now, random_id};
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form, Json};
use crosspass_jwt::{Alg, AssertionExpectations, PinnedIssuer, UnverifiedAssertion};
use crosspass_protocol::claims::{AccessTokenClaims, AssertionClaims, Audience, ClaimError};
use crosspass_protocol::exchange::{
    ACCESS_TOKEN_TYPE, EMBED_SESSION_TOKEN_TYPE, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT,
};
use crosspass_protocol::oauth::TokenResponse;
use crosspass_protocol::{AccessToken, Assertion, ScopeSet};
use serde::Deserialize;
use std::sync::Arc;

/// The ID-JAG profile identifier for RFC 8414 metadata.
pub const ID_JAG_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

/// The form parameters of a token request. Others are ignored (RFC 6749 §3.2);
/// repeated ones make the form fail to parse.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    pub(crate) grant_type: Option<String>,
    pub(crate) assertion: Option<Assertion>,
    pub(crate) scope: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_assertion_type: Option<String>,
    pub(crate) client_assertion: Option<Assertion>,
    // Token exchange (RFC 8693 §2.1).
    pub(crate) subject_token: Option<AccessToken>,
    pub(crate) subject_token_type: Option<String>,
    pub(crate) requested_token_type: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) resource: Option<String>,
    pub(crate) actor_token: Option<AccessToken>,
    pub(crate) actor_token_type: Option<String>,
}

impl TokenRequest {
    /// The client assertion, when the request carries one with the right type.
    pub(crate) fn client_assertion(&self) -> Result<Option<&Assertion>, ApiError> {
        match (&self.client_assertion_type, &self.client_assertion) {
            (None, None) => Ok(None),
            (Some(t), Some(a)) if t == CLIENT_ASSERTION_TYPE => Ok(Some(a)),
            (Some(_), Some(_)) => Err(ApiError::InvalidClient(
                "unsupported client_assertion_type".into(),
            )),
            _ => Err(ApiError::InvalidRequest(
                "client_assertion and client_assertion_type go together".into(),
            )),
        }
    }
}

/// Maps a form extractor failure to `invalid_request` (or 413/415).
pub fn form_rejection(r: FormRejection) -> ApiError {
    match r.status().as_u16() {
        413 => ApiError::PayloadTooLarge,
        415 => ApiError::UnsupportedMediaType("expected application/x-www-form-urlencoded"),
        _ => ApiError::InvalidRequest("malformed form body (or a repeated parameter)".into()),
    }
}

/// `POST /oauth/token`. Every answer, issued or refused, goes to the audit trail.
pub async fn token(
    State(state): State<AppState>,
    Extension(request): Extension<RequestId>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    let mut audit = AuditEvent::new("anonymous", "token.issued").request(&request);
    let mut assertion = None;
    let mut label = "none";
    if let Ok(Form(req)) = &form {
        label = grant_label(req);
        audit = audit.grant(label);
        match &req.client_id {
            Some(c) => audit = audit.client(c),
            None => assertion = req.assertion.clone(),
        }
    }
    let response = match grant(&state, form).await {
        Ok(r) => r,
        Err(e) => {
            // A refused browser-path assertion names its client only inside: the
            // claim, unverified, is what the trail can say.
            if let Some(c) = assertion.as_ref().and_then(|a| {
                UnverifiedAssertion::parse(a)
                    .ok()
                    .and_then(|u| u.client_id().map(str::to_owned))
            }) {
                audit = audit.client(c);
            }
            e.into_response()
        }
    };
    let audit = audit.answered(&response, "token.refused");
    crate::metrics::token_answered(&response, label);
    audit.send(&state.audit, &state.db).await;
    response
}

/// A short name for the grant of a token request, for the audit trail.
fn grant_label(req: &TokenRequest) -> &'static str {
    match (req.grant_type.as_deref(), req.subject_token_type.as_deref()) {
        (Some(JWT_BEARER_GRANT), _) => "jwt-bearer",
        (Some(TOKEN_EXCHANGE_GRANT), Some(EMBED_SESSION_TOKEN_TYPE)) => "embed-session",
        (Some(TOKEN_EXCHANGE_GRANT), _) => "token-exchange",
        (None, _) => "none",
        (Some(_), _) => "unsupported",
    }
}

async fn grant(
    state: &AppState,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, ApiError> {
    let Form(req) = form.map_err(form_rejection)?;
    state.follow_key_changes().await?;
    match req.grant_type.as_deref() {
        Some(JWT_BEARER_GRANT) => jwt_bearer(state, req).await,
        Some(TOKEN_EXCHANGE_GRANT) => crate::exchange::token_exchange(state, req).await,
        None => Err(ApiError::InvalidRequest("grant_type is required".into())),
        Some(_) => Err(ApiError::UnsupportedGrantType),
    }
}

/// The JWT bearer grant with an ID-JAG, signed by a partner (browser and server sign-in, docs/design.md) or by an
/// enterprise IdP trusted for the tenant of the client it names (Cross-App Access).
async fn jwt_bearer(state: &AppState, req: TokenRequest) -> Result<Response, ApiError> {
    // Server path: the partner backend authenticates as a confidential client.
    let authenticated = match req.client_assertion()? {
        Some(a) => Some(authenticate_client(state, a).await?),
        None => None,
    };
    let assertion = req
        .assertion
        .ok_or(ApiError::InvalidRequest("assertion is required".into()))?;

    let caller = authenticated
        .map(|p| p.client_id.to_string())
        .or(req.client_id);
    let (partner, claims) = verify_assertion(state, &assertion, caller.as_deref()).await?;
    let now = now();

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

    issue_access_token(state, &partner, user, scope, None)
}

/// Verifies an ID-JAG as the JWT bearer grant does, up to and including spending its
/// `jti`: issuer pinned (a partner's, or an enterprise IdP's speaking for a client of
/// its tenant), signature, claims, `client_id` equal to `caller` when one is known.
/// Also the step-up proof of a fresh sign-in that account linking asks for.
pub(crate) async fn verify_assertion(
    state: &AppState,
    assertion: &Assertion,
    caller: Option<&str>,
) -> Result<(Arc<Partner>, AssertionClaims), ApiError> {
    let now = now();
    let leeway = state.config.clock_skew_secs;
    let unverified = UnverifiedAssertion::parse(assertion).map_err(ApiError::grant)?;
    let issuer = unverified.issuer().map_err(ApiError::grant)?.to_owned();
    let own = state.partner_by_issuer(&issuer).await?;
    let idp = match own {
        Some(_) => None,
        None => state.idp(&issuer).await?,
    };
    // An IdP speaks only for the clients of its own tenant.
    let named = match (&idp, unverified.client_id()) {
        (Some(idp), Some(client)) => state
            .partner(client)
            .await?
            .filter(|p| p.tenant == idp.tenant),
        _ => None,
    };
    let pinned = match (&own, &idp) {
        (Some(p), _) => Some(PinnedIssuer {
            keys: &p.jwks,
            client_id: Some(&p.client_id),
        }),
        (None, Some(idp)) => Some(PinnedIssuer {
            keys: &idp.jwks,
            client_id: named.as_ref().map(|p| &p.client_id),
        }),
        (None, None) => None,
    };
    let expect = AssertionExpectations {
        audience: &state.config.issuer,
        now,
        leeway,
    };
    let claims = unverified
        .verify(pinned, &expect)
        .map_err(ApiError::grant)?;
    let partner = own
        .or(named)
        .ok_or_else(|| ApiError::Internal("verified without a partner".into()))?;

    if caller.is_some_and(|c| c != partner.client_id.as_str()) {
        return Err(ApiError::grant(ClaimError::ClientIdMismatch.into()));
    }

    let jti = claims.jti().map_err(|e| ApiError::grant(e.into()))?;
    let expires_at = claims.exp.unwrap_or(now) + leeway;
    if !state
        .db
        .use_jti(&format!("jag:{issuer}"), jti, expires_at)
        .await?
    {
        crate::metrics::replay_refused("assertion");
        return Err(ApiError::InvalidGrant("assertion already used".into()));
    }

    Ok((partner, claims))
}

/// Issues `partner`'s access token for XYZ user `user` with `scope`: the answer of every
/// grant that signs a user in. `sid` names the sign-in it continues (a browser
/// session's); `None` starts a new one, named by the token's own `jti`.
pub(crate) fn issue_access_token(
    state: &AppState,
    partner: &Partner,
    user: String,
    scope: ScopeSet,
    sid: Option<String>,
) -> Result<Response, ApiError> {
    state.limits.check_client(partner.client_id.as_str())?;
    let now = now();
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
        act: None,
        sid,
    };
    let token = sign(state, &access)?;
    tracing::debug!(client_id = %partner.client_id, tenant = %partner.tenant, user = %access.sub, "access token issued");
    let body = TokenResponse::bearer(token, partner.token_lifetime_secs, access.scope);
    let mut response = no_store(Json(body));
    response.extensions_mut().insert(Granted {
        client_id: partner.client_id.to_string(),
        tenant: partner.tenant.to_string(),
        user: access.sub,
    });
    Ok(response)
}

/// Signs an access token with XYZ's current key.
pub(crate) fn sign(state: &AppState, claims: &AccessTokenClaims) -> Result<AccessToken, ApiError> {
    state
        .keys
        .get()
        .current
        .sign_access_token(claims)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A new opaque XYZ user id.
pub fn new_user_id() -> String {
    format!("u_{}", random_id(16))
}

/// The response with `Cache-Control: no-store` (RFC 6749 §5.1).
pub(crate) fn no_store(body: impl IntoResponse) -> Response {
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
pub async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.follow_key_changes().await?;
    Ok(cacheable(Json(state.keys.get().public.to_json())))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = &state.config.issuer;
    let algs: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
    cacheable(Json(serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": [JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "none"],
        // RFC 8693 subject token types: users' access tokens (services, delegation) and
        // embed sessions (partners without keys, redeemed by XYZ's hub).
        "token_exchange_subject_token_types_supported": [ACCESS_TOKEN_TYPE, EMBED_SESSION_TOKEN_TYPE],
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "authorization_grant_profiles_supported": [ID_JAG_PROFILE],
        "scopes_supported": ["form.read", "form.write"],
        "response_types_supported": [],
    })))
}
