//! The token endpoint's answer and the `error` codes of the server's HTTP error
//! bodies (`{"error": …, "error_description": …}`): the server writes them, the hub
//! reads them back from the token endpoint.

use crate::form::VersionedRecord;
use crate::json::{self, JsonError, Member, Value};
use crate::{AccessToken, ScopeSet};

/// The body of every error answer of the server: the OAuth shape (RFC 6749 §5.2), and
/// from the data API the current record of a 412 and the per-field messages of a 422.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorBody {
    /// An [`OAuthError`] code.
    pub error: String,
    /// What went wrong, for a developer.
    pub error_description: Option<String>,
    /// A 412's current record.
    pub current: Option<VersionedRecord>,
    /// A 412's current ETag.
    pub etag: Option<String>,
    /// A 422's message per field.
    pub fields: Option<FieldMessages>,
}

// Other members are for other clients (RFC 6749 §5.2 allows more).
crate::json_object!(
    ErrorBody,
    "error body",
    ignore_unknown {
        error,
        error_description,
        current,
        etag,
        fields,
    }
);
crate::serde_via_json!(ErrorBody);

/// A message per field name, as a JSON object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldMessages(pub Vec<(String, String)>);

impl Member for FieldMessages {
    fn write(&self) -> Option<Value> {
        let members = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())));
        Some(Value::Object(members.collect()))
    }

    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        let members = json::required(name, value)?
            .as_object()
            .ok_or(JsonError::Type(name, "an object"))?;
        members
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(m) => Ok((k.clone(), m.to_owned())),
                None => Err(JsonError::Type(name, "an object of strings")),
            })
            .collect::<Result<_, _>>()
            .map(FieldMessages)
    }

    fn ts() -> String {
        "Record<string, string>".into()
    }
}

/// A token endpoint's successful answer (RFC 6749 §5.1), for every grant the server
/// takes; a token exchange's also names the `issued_token_type` (RFC 8693 §2.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: AccessToken,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the token lives (RFC 6749 makes it optional; XYZ always says).
    pub expires_in: Option<i64>,
    /// Scopes it carries (optional when they are those asked for; XYZ always says).
    pub scope: Option<ScopeSet>,
    /// The kind of token issued, on a token exchange's answer.
    pub issued_token_type: Option<String>,
}

// Other members are for other clients, as RFC 6749 §5.1 allows.
crate::json_object!(
    TokenResponse,
    "token response",
    ignore_unknown {
        access_token,
        token_type,
        expires_in,
        scope,
        issued_token_type,
    }
);
crate::serde_via_json!(TokenResponse);

impl TokenResponse {
    /// A bearer token's answer.
    pub fn bearer(access_token: AccessToken, expires_in: i64, scope: ScopeSet) -> Self {
        Self {
            access_token,
            token_type: "Bearer".into(),
            expires_in: Some(expires_in),
            scope: Some(scope),
            issued_token_type: None,
        }
    }
}

crate::error::wire_codes! {
    /// An `error` code of an HTTP error body: the OAuth codes (RFC 6749 §5.2, RFC 6750
    /// §3.1, RFC 8693 §2.2.2) and the data API's own, which come in the same body.
    OAuthError {
        /// A parameter is missing or malformed, or the request's method, size or
        /// media type is wrong.
        InvalidRequest => "invalid_request",
        /// Client authentication failed.
        InvalidClient => "invalid_client",
        /// The assertion or subject token is invalid, expired, replayed or not the
        /// client's.
        InvalidGrant => "invalid_grant",
        /// More scope than the client (or the subject token) may have.
        InvalidScope => "invalid_scope",
        /// A token exchange names an unknown audience, or one not the client's.
        InvalidTarget => "invalid_target",
        /// The client may not do this.
        UnauthorizedClient => "unauthorized_client",
        /// A `grant_type` the server does not take.
        UnsupportedGrantType => "unsupported_grant_type",
        /// A missing, malformed, expired or foreign access token.
        InvalidToken => "invalid_token",
        /// The access token lacks the scope.
        InsufficientScope => "insufficient_scope",
        /// Authenticated, but not allowed.
        AccessDenied => "access_denied",
        /// No such resource.
        NotFound => "not_found",
        /// The request contradicts what is stored.
        Conflict => "conflict",
        /// A write without `If-Match`.
        PreconditionRequired => "precondition_required",
        /// A write whose `If-Match` is not the current version.
        PreconditionFailed => "precondition_failed",
        /// A record that fails the tenant's form schema.
        InvalidRecord => "invalid_record",
        /// The request took too long.
        TemporarilyUnavailable => "temporarily_unavailable",
        /// Over a rate limit.
        RateLimited => "rate_limited",
        /// A failure the client cannot fix.
        ServerError => "server_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in OAuthError::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(OAuthError::from_code(code.as_str()), Some(*code));
        }
        assert_eq!(OAuthError::from_code("INVALID_GRANT"), None);
    }
}
