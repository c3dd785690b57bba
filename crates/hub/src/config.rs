//! The hub configuration the server embeds in the hub page.

/// Id of the `<script type="application/json">` element holding the configuration.
pub const CONFIG_ELEMENT_ID: &str = "hub-config";

// One type and one codec for both sides: the server writes it, the hub reads it.
pub use crosspass_protocol::hub_config::HubConfig;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_server_shape() {
        let c = HubConfig::from_json(
            r#"{"client_id":"abc","tenant":"abc","origins":["http://abc.localhost:8081"],
            "issuer":"http://sso.localhost:8080","api_audience":"http://sso.localhost:8080/api",
            "token_endpoint":"/oauth/token","revocation_endpoint":"/oauth/revoke","scopes":"form.read form.write","expose_tokens":false,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(c.client_id.as_str(), "abc");
        assert!(c.origins.allows_serialized("http://abc.localhost:8081"));
        assert!(!c.origins.allows_serialized("http://abc.localhost:8082"));
        assert!(c.scopes.contains("form.write"));
        assert!(!c.expose_tokens);
        // The server always says whether tokens are exposed: a page that does not is
        // not one of its pages.
        assert!(HubConfig::from_json(r#"{"client_id":"abc"}"#).is_err());
    }

    #[test]
    fn rejects_bad_origins() {
        assert!(HubConfig::from_json(
            r#"{"client_id":"abc","tenant":"abc","origins":["null"],"issuer":"i",
            "api_audience":"a","token_endpoint":"/t","revocation_endpoint":"/r","scopes":"",
            "expose_tokens":false}"#
        )
        .is_err());
    }
}
