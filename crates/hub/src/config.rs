//! The hub configuration the server embeds in the hub page.

use crosspass_protocol::json::{self, JsonError, Members, Value};
use crosspass_protocol::text::Describe;
use crosspass_protocol::{ClientId, OriginAllowlist, OriginPattern, ScopeSet, TenantId};

/// Id of the `<script type="application/json">` element holding the configuration.
pub const CONFIG_ELEMENT_ID: &str = "hub-config";

/// What the server tells the hub about the client it serves.
///
/// Unknown members are tolerated: the page comes from XYZ's own server, and a newer
/// server may add fields an older hub build does not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubConfig {
    /// The client this hub instance serves.
    pub client_id: ClientId,
    /// The tenant that client belongs to; sessions are stored per tenant.
    pub tenant: TenantId,
    /// The client's registered origins: the only pages the hub answers.
    pub origins: OriginAllowlist,
    /// XYZ's issuer (`iss` of access tokens).
    pub issuer: String,
    /// The API audience (`aud` of access tokens).
    pub api_audience: String,
    /// Token endpoint, on the hub's own origin (the page's CSP allows only `'self'`).
    pub token_endpoint: String,
    /// Revocation endpoint (RFC 7009), on the hub's own origin: sign-out ends the
    /// session there, for every replica.
    pub revocation_endpoint: String,
    /// Scopes the client may have (the server enforces them; the hub never asks for
    /// more than the page or the assertion names).
    pub scopes: ScopeSet,
    /// Whether the client's pages may receive raw tokens (`token.get`).
    pub expose_tokens: bool,
}

impl HubConfig {
    /// Parses the configuration JSON.
    pub fn from_json(text: &str) -> Result<Self, JsonError> {
        let value = json::parse(text)?;
        let mut m = Members::of(&value, "configuration")?;
        let origins = match m.required("origins")? {
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    let text = i.as_str().ok_or(JsonError::Type("origins", "strings"))?;
                    OriginPattern::parse(text).map_err(|e| JsonError::Invalid("origins", e.text()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(JsonError::Type("origins", "an array")),
        };
        Ok(Self {
            client_id: m.parsed("client_id", |s| ClientId::new(s))?,
            tenant: m.parsed("tenant", |s| TenantId::new(s))?,
            origins: OriginAllowlist::new(origins),
            issuer: m.str("issuer")?.to_owned(),
            api_audience: m.str("api_audience")?.to_owned(),
            token_endpoint: m.str("token_endpoint")?.to_owned(),
            revocation_endpoint: m.str("revocation_endpoint")?.to_owned(),
            scopes: m.parsed("scopes", ScopeSet::parse)?,
            expose_tokens: matches!(m.take("expose_tokens"), Some(Value::Bool(true))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_server_shape() {
        let c = HubConfig::from_json(
            r#"{"client_id":"abc","tenant":"abc","origins":["http://abc.localhost:8081"],
            "issuer":"http://sso.localhost:8080","api_audience":"http://sso.localhost:8080/api",
            "token_endpoint":"/oauth/token","revocation_endpoint":"/oauth/revoke","scopes":"form.read form.write","extra":1}"#,
        )
        .unwrap();
        assert_eq!(c.client_id.as_str(), "abc");
        assert!(c.origins.allows_serialized("http://abc.localhost:8081"));
        assert!(!c.origins.allows_serialized("http://abc.localhost:8082"));
        assert!(c.scopes.contains("form.write"));
        assert!(!c.expose_tokens);
    }

    #[test]
    fn rejects_bad_origins() {
        assert!(HubConfig::from_json(
            r#"{"client_id":"abc","tenant":"abc","origins":["null"],"issuer":"i",
            "api_audience":"a","token_endpoint":"/t","revocation_endpoint":"/r","scopes":""}"#
        )
        .is_err());
    }
}
