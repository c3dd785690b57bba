//! Chained delegation and the IdP leg of Cross-App Access (docs/design.md):
//! the RFC 8693 token exchange vocabulary, the `act` claim, the two rules every
//! exchange keeps — scope only narrows, and each exchange puts its actor in front of
//! the chain — and the claim rules of an account-link statement.

use crate::claims::{AssertionClaims, ClaimError};
use crate::ids::ClientId;
use crate::scope::ScopeSet;

/// `grant_type` of RFC 7523 §2.1: a JWT assertion (a partner's, an ID-JAG, or the
/// hub's redemption of one) for an access token.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `grant_type` of RFC 8693 §2.1.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// Token type of an OAuth access token (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The subject token type of an embed session redeemed by XYZ's hub (a partner server
/// made it with its client secret; docs/design.md, embed sessions).
pub const EMBED_SESSION_TOKEN_TYPE: &str = "urn:crosspass:params:oauth:token-type:embed-session";
/// Token type of an OpenID Connect ID token (RFC 8693 §3).
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// Token type of an Identity Assertion JWT Authorization Grant (the ID-JAG draft).
pub const ID_JAG_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";
/// `typ` of an account-link statement: a downstream's signed word about one of its
/// own users. Explicitly typed (RFC 8725 §3.11) so that no other token stands in.
pub const ACCOUNT_LINK_TYP: &str = "account-link+jwt";
/// Most actors one token may name (the current one and those before it).
pub const MAX_DELEGATION_DEPTH: usize = 4;

/// Why an exchange rule refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The requested scope holds a scope the subject token or the audience lacks.
    #[error("the requested scope is wider than the subject token's or the audience's")]
    ScopeWidened,
    /// The subject token and the audience have no scope in common.
    #[error("the subject token carries no scope the audience accepts")]
    NoCommonScope,
    /// Another actor would make the chain longer than [`MAX_DELEGATION_DEPTH`].
    #[error("delegation chain longer than {MAX_DELEGATION_DEPTH} actors")]
    ChainTooLong,
}

/// The `act` claim (RFC 8693 §4.1): who is acting on the subject's behalf. A nested
/// `act` names the actor before it, so the outermost is the current one. Identity
/// claims other than `sub` are not read; RFC 8693 forbids non-identity ones here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The acting client's id.
    pub sub: String,
    /// The actor before this one, if any.
    pub act: Option<Box<Actor>>,
}

impl Actor {
    /// How many actors the chain names.
    pub fn depth(&self) -> usize {
        self.chain().count()
    }

    /// The actors' ids, the current one first.
    pub fn chain(&self) -> impl Iterator<Item = &str> {
        std::iter::successors(Some(self), |a| a.act.as_deref()).map(|a| a.sub.as_str())
    }
}

crate::json_object!(Actor, "act", ignore_unknown { sub, act });
crate::serde_via_json!(Actor);

/// The actor of a new exchange: `client` in front of the subject token's chain.
pub fn delegate(client: &ClientId, prior: Option<&Actor>) -> Result<Actor, ExchangeError> {
    if prior.map_or(0, Actor::depth) >= MAX_DELEGATION_DEPTH {
        return Err(ExchangeError::ChainTooLong);
    }
    Ok(Actor {
        sub: client.as_str().to_owned(),
        act: prior.cloned().map(Box::new),
    })
}

/// The scope of an exchanged token: what was `requested`, which must lie within both
/// the subject token's scope and what the audience accepts; with nothing requested,
/// everything the two have in common. Never more than the subject token carried.
pub fn narrow_scope(
    subject: &ScopeSet,
    audience: &ScopeSet,
    requested: Option<&ScopeSet>,
) -> Result<ScopeSet, ExchangeError> {
    match requested.filter(|r| !r.is_empty()) {
        Some(r) if r.is_subset(subject) && r.is_subset(audience) => Ok(r.clone()),
        Some(_) => Err(ExchangeError::ScopeWidened),
        None => {
            let common: ScopeSet = subject
                .iter()
                .filter(|s| audience.contains(s.as_str()))
                .cloned()
                .collect();
            if common.is_empty() {
                Err(ExchangeError::NoCommonScope)
            } else {
                Ok(common)
            }
        }
    }
}

/// The claim rules of an account-link statement whose signature has verified: `aud`
/// is XYZ's issuer, the times of a short-lived assertion, a `sub` and a `jti`. It
/// carries no `client_id`: it speaks for no client, only about one user.
pub fn check_link_statement(
    claims: &AssertionClaims,
    audience: &str,
    now: i64,
    leeway: i64,
) -> Result<(), ClaimError> {
    claims.check_audience(audience)?;
    claims.check_times(now, leeway)?;
    claims.subject()?;
    claims.jti()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{Audience, DEFAULT_LEEWAY_SECS};

    fn scopes(s: &str) -> ScopeSet {
        ScopeSet::parse(s).unwrap()
    }

    fn id(s: &str) -> ClientId {
        ClientId::new(s).unwrap()
    }

    #[test]
    fn scope_only_narrows() {
        let subject = scopes("form.read form.write");
        let audience = scopes("form.read health.write");
        assert_eq!(
            narrow_scope(&subject, &audience, None),
            Ok(scopes("form.read"))
        );
        assert_eq!(
            narrow_scope(&subject, &audience, Some(&scopes("form.read"))),
            Ok(scopes("form.read"))
        );
        assert_eq!(
            narrow_scope(&subject, &audience, Some(&ScopeSet::default())),
            Ok(scopes("form.read"))
        );
        // In the subject token but not accepted by the audience, and the reverse.
        for wider in ["form.write", "health.write", "form.read admin"] {
            assert_eq!(
                narrow_scope(&subject, &audience, Some(&scopes(wider))),
                Err(ExchangeError::ScopeWidened),
                "{wider}"
            );
        }
        assert_eq!(
            narrow_scope(&scopes("form.write"), &audience, None),
            Err(ExchangeError::NoCommonScope)
        );
    }

    #[test]
    fn each_exchange_nests_the_chain() {
        let first = delegate(&id("records-sync"), None).unwrap();
        assert_eq!(
            serde_json::to_value(&first).unwrap(),
            serde_json::json!({"sub": "records-sync"})
        );
        let second = delegate(&id("myhealth-labs"), Some(&first)).unwrap();
        assert_eq!(
            serde_json::to_value(&second).unwrap(),
            serde_json::json!({"sub": "myhealth-labs", "act": {"sub": "records-sync"}})
        );
        assert_eq!(
            second.chain().collect::<Vec<_>>(),
            ["myhealth-labs", "records-sync"]
        );
        let mut chain = second;
        while chain.depth() < MAX_DELEGATION_DEPTH {
            chain = delegate(&id("next"), Some(&chain)).unwrap();
        }
        assert_eq!(
            delegate(&id("one-too-many"), Some(&chain)),
            Err(ExchangeError::ChainTooLong)
        );
    }

    #[test]
    fn actor_json_is_one_form_and_strictly_typed() {
        use crate::json::Json;
        let nested = Actor {
            sub: "b".into(),
            act: Some(Box::new(Actor {
                sub: "a".into(),
                act: None,
            })),
        };
        let by_serde = serde_json::to_string(&nested).unwrap();
        assert_eq!(Actor::from_json(&by_serde).unwrap(), nested);
        assert_eq!(
            serde_json::from_str::<Actor>(&nested.to_json()).unwrap(),
            nested
        );
        for bad in [
            r#"{"sub":7}"#,
            r#"{"act":{"sub":"a"}}"#,
            r#"{"sub":"b","act":"a"}"#,
            r#"{"sub":"b","sub":"c"}"#,
        ] {
            assert!(Actor::from_json(bad).is_err(), "{bad}");
            assert!(serde_json::from_str::<Actor>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn link_statement_rules() {
        const NOW: i64 = 1_800_000_000;
        let good = AssertionClaims {
            iss: Some("https://myhealth.example".into()),
            sub: Some("p-1001".into()),
            aud: Some(Audience::One("https://sso.xyz".into())),
            jti: Some("l1".into()),
            iat: Some(NOW),
            exp: Some(NOW + 120),
            ..AssertionClaims::default()
        };
        let check = |c: &AssertionClaims| {
            check_link_statement(c, "https://sso.xyz", NOW, DEFAULT_LEEWAY_SECS)
        };
        check(&good).unwrap();
        let cases = [
            (
                AssertionClaims {
                    aud: Some(Audience::One("https://other".into())),
                    ..good.clone()
                },
                ClaimError::WrongAudience,
            ),
            (
                AssertionClaims {
                    exp: Some(NOW + 3600),
                    ..good.clone()
                },
                ClaimError::LifetimeTooLong,
            ),
            (
                AssertionClaims {
                    sub: Some(String::new()),
                    ..good.clone()
                },
                ClaimError::Invalid("sub"),
            ),
            (
                AssertionClaims {
                    jti: None,
                    ..good.clone()
                },
                ClaimError::Missing("jti"),
            ),
        ];
        for (claims, want) in cases {
            assert_eq!(check(&claims), Err(want));
        }
    }
}
