//! The registry: partner clients, and for chained delegation and Cross-App Access (docs/design.md) the
//! downstream APIs, the services that exchange tokens for them, and enterprise IdPs.
//! Every entry is validated before anything is written.

use crate::config::MAX_TOKEN_LIFETIME_SECS;
use crosspass_jwt::{JwkError, Jwks};
use crosspass_protocol::origin::Scheme;
use crosspass_protocol::{
    ClientId, DownstreamId, Origin, OriginAllowlist, OriginPattern, ScopeSet, TenantId,
};
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
    /// Whether its pages may receive raw access tokens (`getToken()`).
    pub expose_tokens: bool,
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
/// origins (`HTTPS://A.example:443` → `https://a.example`), paths refused. A wildcard
/// whose parent is a public suffix (`https://*.co.uk`, `https://*.github.io`) is
/// refused: it would admit sites of unrelated owners. So is plain `http://` for a
/// name that is not loopback, unless `allow_http` says so.
pub fn parse_origin(input: &str, allow_http: bool) -> Result<OriginPattern, RegistryError> {
    let err = |e| RegistryError::Origin(input.to_owned(), e);
    let pattern = if input.contains("://*.") {
        OriginPattern::parse(input).map_err(err)?
    } else {
        Origin::parse(input)
            .map(OriginPattern::Exact)
            .map_err(err)?
    };
    let (scheme, host) = match &pattern {
        OriginPattern::Exact(o) => (o.scheme(), o.host()),
        OriginPattern::Subdomains { scheme, parent, .. } => {
            if psl::domain(parent.as_bytes()).is_none() {
                return Err(RegistryError::Invalid(format!(
                    "origin `{input}`: {parent} is a public suffix, so `*.{parent}` would \
                     admit sites of unrelated owners; list the partner's own domains"
                )));
            }
            (*scheme, parent.as_str())
        }
    };
    if scheme == Scheme::Http && !allow_http && !crate::util::is_loopback(host) {
        return Err(RegistryError::Invalid(format!(
            "origin `{input}`: plain http is accepted only for loopback names \
             (localhost, *.localhost, 127.0.0.0/8, [::1]); use https, or pass \
             --allow-http-origins"
        )));
    }
    Ok(pattern)
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
    /// Raw tokens for the partner's pages.
    pub expose_tokens: bool,
    /// Accept `http://` origins that are not loopback names.
    pub allow_http_origins: bool,
}

impl PartnerInput {
    /// Validates every field.
    pub fn validate(self) -> Result<Partner, RegistryError> {
        let client_id =
            ClientId::new(self.client_id).map_err(|e| RegistryError::Id("client_id", e))?;
        let tenant = TenantId::new(self.tenant).map_err(|e| RegistryError::Id("tenant", e))?;
        // A partner without keys authenticates with a client secret and signs nothing:
        // its issuer is a name no assertion can carry by accident.
        let keyless = self.jwks.trim().is_empty();
        let issuer = if keyless && self.issuer.trim().is_empty() {
            format!("urn:crosspass:client:{client_id}")
        } else {
            issuer(&self.issuer)?
        };
        let jwks = if keyless {
            Jwks::default()
        } else {
            Jwks::parse(&self.jwks)?
        };
        Ok(Partner {
            client_id,
            tenant,
            issuer,
            jwks,
            origins: origins(&self.origins, self.allow_http_origins)?,
            scopes: scopes(&self.scopes)?,
            token_lifetime_secs: token_lifetime(self.token_lifetime_secs)?,
            jit_users: self.jit_users,
            expose_tokens: self.expose_tokens,
        })
    }
}

/// The changes `crosspass partner update` makes; `None` keeps the current value.
/// Client id, tenant and issuer never change: they name the partner everywhere.
#[derive(Clone, Debug, Default)]
pub struct PartnerUpdate {
    /// New origins (the whole list).
    pub origins: Option<Vec<String>>,
    /// New space-separated scopes.
    pub scopes: Option<String>,
    /// New access-token lifetime.
    pub token_lifetime_secs: Option<i64>,
    /// Just-in-time user creation on or off.
    pub jit_users: Option<bool>,
    /// Raw tokens for the partner's pages on or off.
    pub expose_tokens: Option<bool>,
    /// New pinned keys (JWKS JSON text).
    pub jwks: Option<String>,
    /// Accept `http://` origins that are not loopback names.
    pub allow_http_origins: bool,
}

impl PartnerUpdate {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.origins.is_none()
            && self.scopes.is_none()
            && self.token_lifetime_secs.is_none()
            && self.jit_users.is_none()
            && self.expose_tokens.is_none()
            && self.jwks.is_none()
    }

    /// `partner` with the changes, each validated as at registration.
    pub fn apply(self, mut partner: Partner) -> Result<Partner, RegistryError> {
        if let Some(o) = self.origins {
            partner.origins = origins(&o, self.allow_http_origins)?;
        }
        if let Some(s) = self.scopes {
            partner.scopes = scopes(&s)?;
        }
        if let Some(t) = self.token_lifetime_secs {
            partner.token_lifetime_secs = token_lifetime(t)?;
        }
        if let Some(j) = self.jit_users {
            partner.jit_users = j;
        }
        if let Some(e) = self.expose_tokens {
            partner.expose_tokens = e;
        }
        if let Some(k) = self.jwks {
            partner.jwks = Jwks::parse(&k)?;
        }
        Ok(partner)
    }
}

fn origins(input: &[String], allow_http: bool) -> Result<OriginAllowlist, RegistryError> {
    if input.is_empty() {
        return Err(RegistryError::Invalid(
            "at least one origin is required".into(),
        ));
    }
    let mut origins = Vec::new();
    for o in input {
        let p = parse_origin(o, allow_http)?;
        if !origins.contains(&p) {
            origins.push(p);
        }
    }
    Ok(OriginAllowlist::new(origins))
}

/// An issuer or audience string: 1 to 256 printable characters, trimmed.
fn issuer(input: &str) -> Result<String, RegistryError> {
    let issuer = input.trim();
    if issuer.is_empty() || issuer.len() > 256 || issuer.chars().any(char::is_control) {
        return Err(RegistryError::Invalid(
            "issuer and audience must be 1 to 256 printable characters".into(),
        ));
    }
    Ok(issuer.to_owned())
}

fn scopes(input: &str) -> Result<ScopeSet, RegistryError> {
    let scopes = ScopeSet::parse(input.trim())?;
    if scopes.is_empty() {
        return Err(RegistryError::Invalid(
            "at least one scope is required".into(),
        ));
    }
    Ok(scopes)
}

fn token_lifetime(secs: i64) -> Result<i64, RegistryError> {
    if !(1..=MAX_TOKEN_LIFETIME_SECS).contains(&secs) {
        return Err(RegistryError::Invalid(format!(
            "token lifetime must be 1 to {MAX_TOKEN_LIFETIME_SECS} seconds"
        )));
    }
    Ok(secs)
}

/// A downstream API that accepts XYZ-issued tokens (chained delegation).
#[derive(Clone, Debug)]
pub struct Downstream {
    /// Its id in the registry.
    pub id: DownstreamId,
    /// The `aud` of tokens issued for it; also what `audience` or `resource` name in a
    /// token exchange request.
    pub audience: String,
    /// `iss` of the account-link statements it signs.
    pub issuer: String,
    /// Pinned public keys of those statements.
    pub jwks: Jwks,
    /// Scopes it accepts; exchanged tokens carry no others.
    pub scopes: ScopeSet,
    /// Longest lifetime of the tokens issued for it (never past the subject token's).
    pub token_lifetime_secs: i64,
    /// Where XYZ sends a linked user's record when it is saved.
    pub sync_url: Option<String>,
}

/// The parts of a downstream registration an admin types, before validation.
#[derive(Clone, Debug, Default)]
pub struct DownstreamInput {
    /// Id.
    pub id: String,
    /// Audience.
    pub audience: String,
    /// Link statement issuer.
    pub issuer: String,
    /// JWKS JSON text.
    pub jwks: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// Token lifetime.
    pub token_lifetime_secs: i64,
    /// Record sync URL.
    pub sync_url: Option<String>,
}

impl DownstreamInput {
    /// Validates every field. `reserved` are audiences that belong to XYZ itself (its
    /// issuer and its API), which no downstream may take.
    pub fn validate(self, reserved: &[&str]) -> Result<Downstream, RegistryError> {
        let id = DownstreamId::new(self.id).map_err(|e| RegistryError::Id("id", e))?;
        let audience = issuer(&self.audience)?;
        if reserved.contains(&audience.as_str()) {
            return Err(RegistryError::Invalid(
                "the audience is XYZ's own; a downstream needs its own".into(),
            ));
        }
        let sync_url = self.sync_url.as_deref().map(sync_url).transpose()?;
        Ok(Downstream {
            id,
            audience,
            issuer: issuer(&self.issuer)?,
            jwks: Jwks::parse(&self.jwks)?,
            scopes: scopes(&self.scopes)?,
            token_lifetime_secs: token_lifetime(self.token_lifetime_secs)?,
            sync_url,
        })
    }
}

/// An `http://` URL: the record sync speaks plain HTTP to an address inside XYZ's
/// network (a TLS-terminating proxy goes in front of anything further away).
fn sync_url(input: &str) -> Result<String, RegistryError> {
    let bad = || RegistryError::Invalid(format!("sync URL `{input}` must be an http:// URL"));
    let url = url::Url::parse(input).map_err(|_| bad())?;
    if url.scheme() != "http"
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.fragment().is_some()
    {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// What `downstream show` prints.
#[derive(Debug, Serialize)]
pub struct DownstreamView<'a> {
    id: &'a DownstreamId,
    audience: &'a str,
    issuer: &'a str,
    scopes: String,
    token_lifetime_secs: i64,
    sync_url: Option<&'a str>,
    jwks: serde_json::Value,
}

impl Downstream {
    /// A printable view.
    pub fn view(&self) -> DownstreamView<'_> {
        DownstreamView {
            id: &self.id,
            audience: &self.audience,
            issuer: &self.issuer,
            scopes: self.scopes.to_string(),
            token_lifetime_secs: self.token_lifetime_secs,
            sync_url: self.sync_url.as_deref(),
            jwks: self.jwks.to_json(),
        }
    }
}

/// A confidential client that exchanges users' tokens addressed to it for tokens to
/// downstream APIs (chained delegation), authenticating with `private_key_jwt`.
#[derive(Clone, Debug)]
pub struct Service {
    /// The client id (shared namespace with partners).
    pub client_id: ClientId,
    /// Pinned public keys; none for XYZ's own record sync, which never authenticates.
    pub jwks: Option<Jwks>,
    /// Audiences of the subject tokens it may exchange: the tokens addressed to it.
    pub accepts: Vec<String>,
    /// Downstreams it may obtain tokens for.
    pub targets: Vec<DownstreamId>,
}

/// The parts of a service registration an admin types, before validation.
#[derive(Clone, Debug, Default)]
pub struct ServiceInput {
    /// Client id.
    pub client_id: String,
    /// JWKS JSON text, if any.
    pub jwks: Option<String>,
    /// Accepted audiences.
    pub accepts: Vec<String>,
    /// Target downstream ids.
    pub targets: Vec<String>,
}

impl ServiceInput {
    /// Validates every field: each accepted audience must be `api_audience` or a
    /// registered downstream's, each target a registered downstream.
    pub fn validate(
        self,
        api_audience: &str,
        downstreams: &[Downstream],
    ) -> Result<Service, RegistryError> {
        let client_id =
            ClientId::new(self.client_id).map_err(|e| RegistryError::Id("client_id", e))?;
        let jwks = self.jwks.as_deref().map(Jwks::parse).transpose()?;
        if self.accepts.is_empty() || self.targets.is_empty() {
            return Err(RegistryError::Invalid(
                "at least one accepted audience and one target are required".into(),
            ));
        }
        let mut accepts = Vec::new();
        for a in self.accepts {
            if a != api_audience && !downstreams.iter().any(|d| d.audience == a) {
                return Err(RegistryError::Invalid(format!(
                    "accepted audience `{a}` is neither XYZ's API ({api_audience}) nor a registered downstream's"
                )));
            }
            if !accepts.contains(&a) {
                accepts.push(a);
            }
        }
        let mut targets = Vec::new();
        for t in self.targets {
            let id = DownstreamId::new(t).map_err(|e| RegistryError::Id("target", e))?;
            if !downstreams.iter().any(|d| d.id == id) {
                return Err(RegistryError::Invalid(format!(
                    "target `{id}` is not a registered downstream"
                )));
            }
            if !targets.contains(&id) {
                targets.push(id);
            }
        }
        Ok(Service {
            client_id,
            jwks,
            accepts,
            targets,
        })
    }
}

/// What `service show` prints.
#[derive(Debug, Serialize)]
pub struct ServiceView<'a> {
    client_id: &'a ClientId,
    accepts: &'a [String],
    targets: &'a [DownstreamId],
    jwks: Option<serde_json::Value>,
}

impl Service {
    /// A printable view.
    pub fn view(&self) -> ServiceView<'_> {
        ServiceView {
            client_id: &self.client_id,
            accepts: &self.accepts,
            targets: &self.targets,
            jwks: self.jwks.as_ref().map(Jwks::to_json),
        }
    }
}

/// An enterprise IdP trusted to issue ID-JAGs for the clients of one tenant (Cross-App Access).
#[derive(Clone, Debug, Serialize)]
pub struct Idp {
    /// `iss` of its ID-JAGs (shared namespace with partner issuers).
    pub issuer: String,
    /// The only tenant whose clients it may speak for.
    pub tenant: TenantId,
    /// Pinned public keys.
    #[serde(serialize_with = "jwks_json")]
    pub jwks: Jwks,
}

fn jwks_json<S: serde::Serializer>(jwks: &Jwks, s: S) -> Result<S::Ok, S::Error> {
    jwks.to_json().serialize(s)
}

/// The parts of an IdP registration an admin types, before validation.
#[derive(Clone, Debug, Default)]
pub struct IdpInput {
    /// Issuer.
    pub issuer: String,
    /// Tenant id.
    pub tenant: String,
    /// JWKS JSON text.
    pub jwks: String,
}

impl IdpInput {
    /// Validates every field.
    pub fn validate(self) -> Result<Idp, RegistryError> {
        Ok(Idp {
            issuer: issuer(&self.issuer)?,
            tenant: TenantId::new(self.tenant).map_err(|e| RegistryError::Id("tenant", e))?,
            jwks: Jwks::parse(&self.jwks)?,
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
    expose_tokens: bool,
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
            expose_tokens: self.expose_tokens,
            jwks: self.jwks.to_json(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosspass_jwt::SigningKey;

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
            expose_tokens: false,
            allow_http_origins: false,
        }
    }

    #[test]
    fn wildcards_under_public_suffixes_and_public_plain_http_are_refused() {
        let with = |origin: &str, allow_http: bool| {
            PartnerInput {
                origins: vec![origin.into()],
                allow_http_origins: allow_http,
                ..input()
            }
            .validate()
        };
        for bad in [
            "https://*.co.uk",
            "https://*.github.io",
            "https://*.herokuapp.com",
            "http://*.co.uk",
        ] {
            let e = with(bad, true).unwrap_err().to_string();
            assert!(e.contains("public suffix"), "{bad}: {e}");
        }
        for good in [
            "https://*.abc.co.uk",
            "https://*.abc.github.io",
            "https://*.abc.example",
            "http://*.abc.localhost:8081",
        ] {
            with(good, false).unwrap();
        }
        for loopback in [
            "http://localhost:3000",
            "http://abc.localhost",
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
        ] {
            with(loopback, false).unwrap();
        }
        for public in [
            "http://abc.example",
            "http://10.0.0.7",
            "http://*.abc.example",
        ] {
            let e = with(public, false).unwrap_err().to_string();
            assert!(e.contains("--allow-http-origins"), "{public}: {e}");
            with(public, true).unwrap();
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

    fn downstream() -> DownstreamInput {
        DownstreamInput {
            id: "myhealth".into(),
            audience: "https://api.myhealth.example".into(),
            issuer: "https://myhealth.example".into(),
            jwks: input().jwks,
            scopes: "form.read".into(),
            token_lifetime_secs: 300,
            sync_url: Some("http://10.0.0.7:8084/xyz/record".into()),
        }
    }

    #[test]
    fn downstreams_need_their_own_audience_and_a_plain_http_sync_url() {
        const XYZ: &[&str] = &["https://sso.xyz", "https://sso.xyz/api"];
        let d = downstream().validate(XYZ).unwrap();
        assert_eq!(
            d.sync_url.as_deref(),
            Some("http://10.0.0.7:8084/xyz/record")
        );
        for bad in [
            DownstreamInput {
                audience: "https://sso.xyz/api".into(),
                ..downstream()
            },
            DownstreamInput {
                sync_url: Some("https://myhealth.example/xyz".into()),
                ..downstream()
            },
            DownstreamInput {
                sync_url: Some("http://user:pw@myhealth.internal/xyz".into()),
                ..downstream()
            },
            DownstreamInput {
                scopes: " ".into(),
                ..downstream()
            },
            DownstreamInput {
                token_lifetime_secs: MAX_TOKEN_LIFETIME_SECS + 1,
                ..downstream()
            },
        ] {
            assert!(bad.clone().validate(XYZ).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn services_accept_only_known_audiences_and_target_only_known_downstreams() {
        let known = [downstream().validate(&[]).unwrap()];
        let service = |accepts: &str, target: &str| ServiceInput {
            client_id: "portal".into(),
            jwks: None,
            accepts: vec![accepts.into()],
            targets: vec![target.into()],
        };
        let api = "https://sso.xyz/api";
        let s = service(api, "myhealth").validate(api, &known).unwrap();
        assert!(s.jwks.is_none());
        service("https://api.myhealth.example", "myhealth")
            .validate(api, &known)
            .unwrap();
        assert!(service("https://elsewhere", "myhealth")
            .validate(api, &known)
            .is_err());
        assert!(service(api, "labs").validate(api, &known).is_err());
        assert!(ServiceInput {
            targets: vec![],
            ..service(api, "myhealth")
        }
        .validate(api, &known)
        .is_err());
    }
}
