//! The hub configuration: what the server embeds in its frame pages about the client
//! they serve, and the hub reads at start.

use crate::json::{self, Json, JsonError, Member, Value};
use crate::text::Describe;
use crate::{ClientId, OriginAllowlist, OriginPattern, ScopeSet, TenantId};

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
    /// Parses the configuration JSON (as [`Json::from_json`], without the trait in
    /// scope).
    pub fn from_json(text: &str) -> Result<Self, JsonError> {
        <Self as Json>::from_json(text)
    }
}

crate::json_object!(
    HubConfig,
    "configuration",
    ignore_unknown {
        client_id,
        tenant,
        origins,
        issuer,
        api_audience,
        token_endpoint,
        revocation_endpoint,
        scopes,
        expose_tokens,
    }
);

/// The registered origins, as an array of origin patterns.
impl Member for OriginAllowlist {
    fn write(&self) -> Option<Value> {
        let entries = self.entries().iter();
        Some(Value::Array(
            entries.map(|o| o.to_string().into()).collect(),
        ))
    }

    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        let patterns = match json::required(name, value)? {
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    let text = i.as_str().ok_or(JsonError::Type(name, "strings"))?;
                    OriginPattern::parse(text).map_err(|e| JsonError::Invalid(name, e.text()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(JsonError::Type(name, "an array")),
        };
        Ok(OriginAllowlist::new(patterns))
    }

    fn ts() -> String {
        "string[]".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_server_writes_the_hub_reads() {
        let config = HubConfig {
            client_id: ClientId::new("abc").unwrap(),
            tenant: TenantId::new("t1").unwrap(),
            origins: OriginAllowlist::new(vec![
                OriginPattern::parse("https://abc.example").unwrap(),
                OriginPattern::parse("https://*.abc.example:8443").unwrap(),
            ]),
            issuer: "https://sso.xyz".into(),
            api_audience: "https://sso.xyz/api".into(),
            token_endpoint: "/oauth/token".into(),
            revocation_endpoint: "/oauth/revoke".into(),
            scopes: ScopeSet::parse("form.read form.write").unwrap(),
            expose_tokens: true,
        };
        let text = config.to_json();
        assert_eq!(
            text,
            r#"{"client_id":"abc","tenant":"t1","origins":["https://abc.example","https://*.abc.example:8443"],"issuer":"https://sso.xyz","api_audience":"https://sso.xyz/api","token_endpoint":"/oauth/token","revocation_endpoint":"/oauth/revoke","scopes":"form.read form.write","expose_tokens":true}"#
        );
        assert_eq!(HubConfig::from_json(&text).unwrap(), config);
    }
}
