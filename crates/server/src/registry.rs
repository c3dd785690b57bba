//! The partner registry: one entry per client, validated before anything is written.

use crate::config::MAX_TOKEN_LIFETIME_SECS;
use crosspass_protocol::jws::{JwkError, Jwks};
use crosspass_protocol::{ClientId, Origin, OriginAllowlist, OriginPattern, ScopeSet, TenantId};
use serde::Serialize;

/// A registered partner client.
#[derive(Clone, Debug)]
pub struct Partner {
    /// The client id.
    pub client_id: ClientId,
    /// The tenant the client belongs to.
    pub tenant: TenantId,
    /// `iss` of the partner's assertions.
    pub issuer: String,
    /// Pinned public keys (never fetched from a URL).
    pub jwks: Jwks,
    /// Exact origins of the partner's sites.
    pub origins: OriginAllowlist,
    /// Scopes the client may be granted.
    pub scopes: ScopeSet,
    /// Lifetime of the access tokens issued to it.
    pub token_lifetime_secs: i64,
    /// Whether an unknown `sub` creates an XYZ user at first sign-in.
    pub jit_users: bool,
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Bad client or tenant id.
    #[error("{0}: {1}")]
    Id(&'static str, crosspass_protocol::IdError),
    /// Bad origin.
    #[error("origin `{0}`: {1}")]
    Origin(String, crosspass_protocol::OriginError),
    /// Bad JWKS.
    #[error("jwks: {0}")]
    Jwks(#[from] JwkError),
    /// Bad scope list.
    #[error("scopes: {0}")]
    Scope(#[from] crosspass_protocol::ScopeError),
    /// Anything else out of range.
    #[error("{0}")]
    Invalid(String),
}

/// Parses an origin typed by an admin: the URL standard's normalisation for exact
/// origins (`HTTPS://A.example:443` → `https://a.example`), paths refused.
pub fn parse_origin(input: &str) -> Result<OriginPattern, RegistryError> {
    let err = |e| RegistryError::Origin(input.to_owned(), e);
    if input.contains("://*.") {
        OriginPattern::parse(input).map_err(err)
    } else {
        Origin::parse(input).map(OriginPattern::Exact).map_err(err)
    }
}

/// The parts of a registration an admin types, before validation.
#[derive(Clone, Debug, Default)]
pub struct PartnerInput {
    /// Client id.
    pub client_id: String,
    /// Tenant id.
    pub tenant: String,
    /// Assertion issuer.
    pub issuer: String,
    /// JWKS JSON text.
    pub jwks: String,
    /// Origins.
    pub origins: Vec<String>,
    /// Space-separated scopes.
    pub scopes: String,
    /// Access-token lifetime.
    pub token_lifetime_secs: i64,
    /// Just-in-time user creation.
    pub jit_users: bool,
}

impl PartnerInput {
    /// Validates every field.
    pub fn validate(self) -> Result<Partner, RegistryError> {
        let client_id =
            ClientId::new(self.client_id).map_err(|e| RegistryError::Id("client_id", e))?;
        let tenant = TenantId::new(self.tenant).map_err(|e| RegistryError::Id("tenant", e))?;
        let issuer = self.issuer.trim().to_owned();
        if issuer.is_empty() || issuer.len() > 256 || issuer.chars().any(char::is_control) {
            return Err(RegistryError::Invalid(
                "issuer must be 1 to 256 printable characters".into(),
            ));
        }
        let jwks = Jwks::parse(&self.jwks)?;
        if self.origins.is_empty() {
            return Err(RegistryError::Invalid(
                "at least one origin is required".into(),
            ));
        }
        let mut origins = Vec::new();
        for o in &self.origins {
            let p = parse_origin(o)?;
            if !origins.contains(&p) {
                origins.push(p);
            }
        }
        let scopes = ScopeSet::parse(self.scopes.trim())?;
        if scopes.is_empty() {
            return Err(RegistryError::Invalid(
                "at least one scope is required".into(),
            ));
        }
        if !(1..=MAX_TOKEN_LIFETIME_SECS).contains(&self.token_lifetime_secs) {
            return Err(RegistryError::Invalid(format!(
                "token lifetime must be 1 to {MAX_TOKEN_LIFETIME_SECS} seconds"
            )));
        }
        Ok(Partner {
            client_id,
            tenant,
            issuer,
            jwks,
            origins: OriginAllowlist::new(origins),
            scopes,
            token_lifetime_secs: self.token_lifetime_secs,
            jit_users: self.jit_users,
        })
    }
}

/// What `partner show` prints.
#[derive(Debug, Serialize)]
pub struct PartnerView<'a> {
    client_id: &'a ClientId,
    tenant: &'a TenantId,
    issuer: &'a str,
    origins: &'a OriginAllowlist,
    scopes: String,
    token_lifetime_secs: i64,
    jit_users: bool,
    jwks: serde_json::Value,
}

impl Partner {
    /// A printable view (public keys only exist here).
    pub fn view(&self) -> PartnerView<'_> {
        PartnerView {
            client_id: &self.client_id,
            tenant: &self.tenant,
            issuer: &self.issuer,
            origins: &self.origins,
            scopes: self.scopes.to_string(),
            token_lifetime_secs: self.token_lifetime_secs,
            jit_users: self.jit_users,
            jwks: self.jwks.to_json(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosspass_protocol::jws::SigningKey;

    fn input() -> PartnerInput {
        PartnerInput {
            client_id: "abc".into(),
            tenant: "abc".into(),
            issuer: "http://abc.localhost:8081".into(),
            jwks: SigningKey::ed25519("k1", &[1; 32])
                .unwrap()
                .public_jwk()
                .to_json()
                .to_string(),
            origins: vec!["HTTP://ABC.localhost:8081".into()],
            scopes: "form.read form.write".into(),
            token_lifetime_secs: 600,
            jit_users: false,
        }
    }

    #[test]
    fn normalises_and_refuses() {
        let p = input().validate().unwrap();
        assert!(p.origins.allows_serialized("http://abc.localhost:8081"));
        let bad = [
            PartnerInput {
                origins: vec!["http://abc.localhost:8081/app".into()],
                ..input()
            },
            PartnerInput {
                origins: vec![],
                ..input()
            },
            PartnerInput {
                client_id: "a b".into(),
                ..input()
            },
            PartnerInput {
                jwks: "{}".into(),
                ..input()
            },
            PartnerInput {
                scopes: "".into(),
                ..input()
            },
            PartnerInput {
                token_lifetime_secs: 0,
                ..input()
            },
        ];
        for b in bad {
            assert!(b.clone().validate().is_err(), "{b:?}");
        }
    }
}
