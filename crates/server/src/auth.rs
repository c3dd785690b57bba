//! Confidential client authentication with `private_key_jwt` (RFC 7523 §2.2): a
//! short-lived JWT signed with one of the client's pinned keys, `iss` = `sub` = its
//! client id, `aud` = XYZ's issuer, used once. Partners authenticate this way to
//! provision users and redeem assertions; services, to exchange tokens.

use crate::app::AppState;
use crate::db::DbError;
use crate::error::ApiError;
use crate::registry::{Partner, Service};
use crate::util::now;
use crosspass_jwt::{AssertionExpectations, Jwks, UnverifiedClientAssertion};
use crosspass_protocol::{Assertion, ClientId};
use std::future::Future;
use std::sync::Arc;

/// `client_assertion_type` of RFC 7523 §2.2.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A registry entry that can authenticate as a confidential client.
trait Confidential {
    fn client_id(&self) -> &ClientId;
    /// `None`: registered without keys, so it can never authenticate.
    fn jwks(&self) -> Option<&Jwks>;
}

impl Confidential for Partner {
    fn client_id(&self) -> &ClientId {
        &self.client_id
    }
    fn jwks(&self) -> Option<&Jwks> {
        Some(&self.jwks)
    }
}

impl Confidential for Service {
    fn client_id(&self) -> &ClientId {
        &self.client_id
    }
    fn jwks(&self) -> Option<&Jwks> {
        self.jwks.as_ref()
    }
}

/// Verifies a partner's client assertion and spends its `jti`.
pub async fn authenticate_client(
    state: &AppState,
    token: &Assertion,
) -> Result<Arc<Partner>, ApiError> {
    authenticate(state, token, |id| async move { state.partner(&id).await }).await
}

/// Verifies a service's client assertion and spends its `jti`.
pub async fn authenticate_service(
    state: &AppState,
    token: &Assertion,
) -> Result<Arc<Service>, ApiError> {
    authenticate(state, token, |id| async move { state.service(&id).await }).await
}

async fn authenticate<T: Confidential, F>(
    state: &AppState,
    token: &Assertion,
    lookup: impl FnOnce(String) -> F,
) -> Result<Arc<T>, ApiError>
where
    F: Future<Output = Result<Option<Arc<T>>, DbError>>,
{
    let now = now();
    let unverified = UnverifiedClientAssertion::parse(token).map_err(ApiError::client)?;
    let client = lookup(unverified.client_id().map_err(ApiError::client)?.to_owned()).await?;
    let expect = AssertionExpectations {
        audience: &state.config.issuer,
        now,
        leeway: state.config.clock_skew_secs,
    };
    let keyless = Jwks::default();
    let claims = unverified
        .verify(
            client
                .as_deref()
                .map(|c| (c.client_id(), c.jwks().unwrap_or(&keyless))),
            &expect,
        )
        .map_err(ApiError::client)?;
    let client = client.ok_or_else(|| ApiError::Internal("verified without a client".into()))?;
    let jti = claims.jti().map_err(|e| ApiError::client(e.into()))?;
    let expires_at = claims.exp.unwrap_or(now) + state.config.clock_skew_secs;
    let namespace = format!("client:{}", client.client_id());
    if !state.db.use_jti(&namespace, jti, expires_at).await? {
        crate::metrics::replay_refused("client_assertion");
        return Err(ApiError::InvalidClient(
            "client authentication failed: client assertion already used".into(),
        ));
    }
    Ok(client)
}
