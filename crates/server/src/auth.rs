//! Partner client authentication with `private_key_jwt` (RFC 7523 §2.2): a short-lived
//! JWT signed with one of the partner's pinned keys, `iss` = `sub` = its client id,
//! `aud` = XYZ's issuer, used once.

use crate::app::AppState;
use crate::error::ApiError;
use crate::registry::Partner;
use crate::util::now;
use crosspass_protocol::jws::{AssertionExpectations, UnverifiedClientAssertion};
use crosspass_protocol::Assertion;
use std::sync::Arc;

/// `client_assertion_type` of RFC 7523 §2.2.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Verifies a client assertion and spends its `jti`; returns the authenticated partner.
pub async fn authenticate_client(
    state: &AppState,
    token: &Assertion,
) -> Result<Arc<Partner>, ApiError> {
    let now = now();
    let unverified = UnverifiedClientAssertion::parse(token).map_err(ApiError::client)?;
    let partner = state
        .partner(unverified.client_id().map_err(ApiError::client)?)
        .await?;
    let expect = AssertionExpectations {
        audience: &state.config.issuer,
        now,
        leeway: state.config.clock_skew_secs,
    };
    let claims = unverified
        .verify(partner.as_ref().map(|p| (&p.client_id, &p.jwks)), &expect)
        .map_err(ApiError::client)?;
    let partner = partner.ok_or_else(|| ApiError::Internal("verified without a partner".into()))?;
    let jti = claims.jti().map_err(|e| ApiError::client(e.into()))?;
    let expires_at = claims.exp.unwrap_or(now) + state.config.clock_skew_secs;
    let namespace = format!("client:{}", partner.client_id);
    if !state.db.use_jti(&namespace, jti, expires_at).await? {
        return Err(ApiError::InvalidClient(
            "client authentication failed: client assertion already used".into(),
        ));
    }
    Ok(partner)
}
