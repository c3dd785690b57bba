//! Claim sets of the two JWTs Crosspass handles, and the claim rules that need no
//! cryptography: the partner assertion (ID-JAG profile) and XYZ's access token
//! (RFC 9068). Times are Unix seconds and the clock is always passed in.

use crate::exchange::Actor;
use crate::ids::{ClientId, TenantId};
use crate::json::{self, Json, JsonError, Member, Value};
use crate::scope::ScopeSet;
use crate::text::{write_parts, Describe, Sink};
use serde::{Deserialize, Serialize};
use std::fmt;

/// `typ` of a partner assertion (also accepted with the `application/` prefix).
pub const ID_JAG_TYP: &str = "oauth-id-jag+jwt";
/// `typ` of an XYZ access token (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// Longest lifetime (`exp - iat`) of an assertion.
pub const MAX_ASSERTION_LIFETIME_SECS: i64 = 300;
/// Longest lifetime (`exp - iat`) of an XYZ access token: a registration may ask for
/// at most this, and a token claiming more is refused as a forgery, by the server and
/// by the hub (which cannot check signatures, but need not keep a year-3000 token).
pub const MAX_ACCESS_TOKEN_LIFETIME_SECS: i64 = 3600;
/// Clock skew tolerated between partner, XYZ and browser clocks.
pub const DEFAULT_LEEWAY_SECS: i64 = 30;
/// Longest `jti` accepted.
pub const MAX_JTI_LEN: usize = 256;

/// One failed claim rule. Each variant is one rule, so a test can break exactly one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimError {
    /// A required claim is absent.
    Missing(&'static str),
    /// A claim is present but unusable (empty, too long).
    Invalid(&'static str),
    /// `iss` is not the expected issuer.
    WrongIssuer,
    /// `aud` is neither the expected string nor a one-element array holding it.
    WrongAudience,
    /// `client_id` is not the expected client.
    ClientIdMismatch,
    /// `exp` is in the past.
    Expired,
    /// `exp - iat` exceeds the allowed lifetime.
    LifetimeTooLong,
    /// `iat` is in the future beyond the allowed skew.
    IssuedInFuture,
    /// `nbf` is in the future beyond the allowed skew.
    NotYetValid,
    /// The token lacks a scope the caller needs, or asks for more than is allowed.
    Scope,
}

impl Describe for ClaimError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        match self {
            ClaimError::Missing(claim) => write_parts(f, &["missing claim `", claim, "`"]),
            ClaimError::Invalid(claim) => write_parts(f, &["invalid claim `", claim, "`"]),
            ClaimError::WrongIssuer => f.write_str("unexpected issuer"),
            ClaimError::WrongAudience => f.write_str("unexpected audience"),
            ClaimError::ClientIdMismatch => f.write_str("client_id does not match"),
            ClaimError::Expired => f.write_str("token expired"),
            ClaimError::LifetimeTooLong => f.write_str("token lifetime too long"),
            ClaimError::IssuedInFuture => f.write_str("token issued in the future"),
            ClaimError::NotYetValid => f.write_str("token not yet valid"),
            ClaimError::Scope => f.write_str("scope not allowed"),
        }
    }
}

crate::display_by_describe!(ClaimError);

impl std::error::Error for ClaimError {}

/// `aud`: a string or an array of strings (RFC 7519 §4.1.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "x"`
    One(String),
    /// `"aud": ["x", …]`
    Many(Vec<String>),
}

impl Audience {
    /// True for `"expected"` or `["expected"]` — a token meant for several audiences is
    /// refused, so it cannot be replayed from one of them to another.
    pub fn is_exactly(&self, expected: &str) -> bool {
        match self {
            Audience::One(a) => a == expected,
            Audience::Many(v) => matches!(v.as_slice(), [a] if a == expected),
        }
    }
}

/// Claims of a partner assertion in the ID-JAG profile.
///
/// Every field is optional here so that a missing claim is reported as its own rule
/// ([`ClaimError::Missing`]) rather than as a parse failure. Wrong JSON types
/// (a string or float `exp`, a numeric `sub`) and duplicate members are parse failures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    /// The partner's issuer string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The partner's own user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// XYZ's issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// The registered client the assertion is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Single-use identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expires at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Requested scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeSet>,
    /// In an account-link statement: the nonce XYZ issued to the XYZ user being
    /// linked, signed back by the downstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

impl AssertionClaims {
    /// `iss`, present and non-empty.
    pub fn issuer(&self) -> Result<&str, ClaimError> {
        non_empty(self.iss.as_deref(), "iss")
    }

    /// `sub`, present and non-empty.
    pub fn subject(&self) -> Result<&str, ClaimError> {
        non_empty(self.sub.as_deref(), "sub")
    }

    /// `aud` is exactly `expected`.
    pub fn check_audience(&self, expected: &str) -> Result<(), ClaimError> {
        match &self.aud {
            None => Err(ClaimError::Missing("aud")),
            Some(aud) if aud.is_exactly(expected) => Ok(()),
            Some(_) => Err(ClaimError::WrongAudience),
        }
    }

    /// `client_id` is exactly `expected`.
    pub fn check_client_id(&self, expected: &ClientId) -> Result<(), ClaimError> {
        match self.client_id.as_deref() {
            None => Err(ClaimError::Missing("client_id")),
            Some(c) if c == expected.as_str() => Ok(()),
            Some(_) => Err(ClaimError::ClientIdMismatch),
        }
    }

    /// `exp` in the future, `exp - iat` at most [`MAX_ASSERTION_LIFETIME_SECS`], `iat`
    /// (and `nbf`, if present) not in the future beyond `leeway`.
    pub fn check_times(&self, now: i64, leeway: i64) -> Result<(), ClaimError> {
        let exp = self.exp.ok_or(ClaimError::Missing("exp"))?;
        let iat = self.iat.ok_or(ClaimError::Missing("iat"))?;
        if exp <= now.saturating_sub(leeway) {
            return Err(ClaimError::Expired);
        }
        if exp.saturating_sub(iat) > MAX_ASSERTION_LIFETIME_SECS {
            return Err(ClaimError::LifetimeTooLong);
        }
        if iat > now.saturating_add(leeway) {
            return Err(ClaimError::IssuedInFuture);
        }
        if self.nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
            return Err(ClaimError::NotYetValid);
        }
        Ok(())
    }

    /// `jti`, present, non-empty and at most [`MAX_JTI_LEN`] bytes.
    pub fn jti(&self) -> Result<&str, ClaimError> {
        let jti = non_empty(self.jti.as_deref(), "jti")?;
        if jti.len() > MAX_JTI_LEN {
            return Err(ClaimError::Invalid("jti"));
        }
        Ok(jti)
    }

    /// The requested scope (the whole `allowed` set when none is named), refused when it
    /// is wider than `allowed`.
    pub fn granted_scope(&self, allowed: &ScopeSet) -> Result<ScopeSet, ClaimError> {
        match &self.scope {
            None => Ok(allowed.clone()),
            Some(s) if s.is_empty() => Err(ClaimError::Invalid("scope")),
            Some(s) if s.is_subset(allowed) => Ok(s.clone()),
            Some(_) => Err(ClaimError::Scope),
        }
    }
}

fn non_empty<'a>(v: Option<&'a str>, name: &'static str) -> Result<&'a str, ClaimError> {
    match v {
        None => Err(ClaimError::Missing(name)),
        Some("") => Err(ClaimError::Invalid(name)),
        Some(s) => Ok(s),
    }
}

/// Claims of an XYZ access token (RFC 9068 §2.2). The server signs and verifies
/// them; the hub, which cannot check a signature, reads the same type to check
/// issuer, audience, client, scope and lifetime before it stores a token or hands
/// one out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessTokenClaims {
    /// XYZ's issuer.
    pub iss: String,
    /// The XYZ user id (opaque, never the partner's id); in a token exchanged for a
    /// downstream audience, the user's id in that downstream's domain.
    pub sub: String,
    /// The API the token is for.
    pub aud: Audience,
    /// The client the token was issued to.
    pub client_id: ClientId,
    /// The XYZ tenant of the user (the partner client's own tenant, when the token was
    /// issued to a partner).
    pub tenant: TenantId,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// Unique id.
    pub jti: String,
    /// Issued at.
    pub iat: i64,
    /// Expires at.
    pub exp: i64,
    /// Who acts for the user (RFC 8693 §4.1); only on tokens made by a token exchange.
    pub act: Option<Actor>,
    /// The sign-in session the token belongs to; tokens made from it by a token
    /// exchange keep it, so revoking one token (RFC 7009) ends them all. Absent, the
    /// token is a session of its own, named by its `jti`.
    pub sid: Option<String>,
}

// Other claims are ignored, as RFC 7519 §4 asks.
crate::json_object!(
    AccessTokenClaims,
    "claims",
    ignore_unknown {
        iss,
        sub,
        aud,
        client_id,
        tenant,
        scope,
        jti,
        iat,
        exp,
        act,
        sid,
    }
);
crate::serde_via_json!(AccessTokenClaims);

impl Json for Audience {
    fn to_value(&self) -> Value {
        match self {
            Audience::One(a) => a.as_str().into(),
            Audience::Many(v) => Value::Array(v.iter().map(|a| a.as_str().into()).collect()),
        }
    }

    fn from_value(v: &Value) -> Result<Self, JsonError> {
        match v {
            Value::String(a) => Ok(Audience::One(a.clone())),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(Audience::Many)
                .ok_or(JsonError::Type("aud", "a string or an array of strings")),
            _ => Err(JsonError::Type("aud", "a string or an array of strings")),
        }
    }
}

impl Member for Audience {
    fn write(&self) -> Option<Value> {
        Some(self.to_value())
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        Self::from_value(json::required(name, value)?)
    }
    fn ts() -> String {
        "string | string[]".into()
    }
}

crate::serde_via_json!(Audience);

/// What a holder of an access token expects it to be bound to.
#[derive(Clone, Debug)]
pub struct AccessTokenExpectations<'a> {
    /// XYZ's issuer.
    pub issuer: &'a str,
    /// The API audience.
    pub audience: &'a str,
    /// The client it must have been issued to, when the holder knows it.
    pub client_id: Option<&'a ClientId>,
    /// Scopes it must carry.
    pub required_scope: Option<&'a ScopeSet>,
}

impl AccessTokenClaims {
    /// Checks issuer, audience, client, scope and expiry in that order. A token must
    /// still be valid `min_remaining` seconds from `now` (the hub asks for 30 so that
    /// it never hands out a token about to die in flight).
    pub fn check(
        &self,
        expect: &AccessTokenExpectations<'_>,
        now: i64,
        min_remaining: i64,
    ) -> Result<(), ClaimError> {
        if self.iss != expect.issuer {
            return Err(ClaimError::WrongIssuer);
        }
        if !self.aud.is_exactly(expect.audience) {
            return Err(ClaimError::WrongAudience);
        }
        if expect.client_id.is_some_and(|c| *c != self.client_id) {
            return Err(ClaimError::ClientIdMismatch);
        }
        if expect
            .required_scope
            .is_some_and(|s| !s.is_subset(&self.scope))
        {
            return Err(ClaimError::Scope);
        }
        if self.exp <= now.saturating_add(min_remaining) {
            return Err(ClaimError::Expired);
        }
        if self.iat > now.saturating_add(DEFAULT_LEEWAY_SECS) {
            return Err(ClaimError::IssuedInFuture);
        }
        if self.exp.saturating_sub(self.iat) > MAX_ACCESS_TOKEN_LIFETIME_SECS {
            return Err(ClaimError::LifetimeTooLong);
        }
        Ok(())
    }

    /// The id of the sign-in session this token belongs to.
    pub fn session_id(&self) -> &str {
        self.sid.as_deref().unwrap_or(&self.jti)
    }
}

#[cfg(test)]
mod tests;
