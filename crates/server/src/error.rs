//! The one error type of the HTTP surface, mapped once to a status, an RFC 6749 §5.2 /
//! RFC 6750 §3.1 error code and a JSON body. Bodies never echo a token.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crosspass_jwt::JwtError;
use crosspass_protocol::claims::ClaimError;
use crosspass_protocol::form::VersionedRecord;
use crosspass_protocol::oauth::{ErrorBody, FieldMessages, OAuthError};
use std::borrow::Cow;

type Text = Cow<'static, str>;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing or malformed parameter.
    #[error("{0}")]
    InvalidRequest(Text),
    /// Client authentication failed.
    #[error("{0}")]
    InvalidClient(Text),
    /// The assertion is invalid, expired, replayed, or maps to no user.
    #[error("{0}")]
    InvalidGrant(Text),
    /// More scope than the registration (or, in a token exchange, the subject token)
    /// allows.
    #[error("{0}")]
    InvalidScope(Text),
    /// A token exchange names an audience that is unknown or not the client's to ask
    /// for (RFC 8693 §2.2.2).
    #[error("{0}")]
    InvalidTarget(Text),
    /// The authenticated (or named) client may not do this, e.g. revoke another
    /// client's token (RFC 7009 §2.1).
    #[error("{0}")]
    UnauthorizedClient(Text),
    /// A `grant_type` other than the JWT bearer grant.
    #[error("unsupported grant_type")]
    UnsupportedGrantType,
    /// Missing, malformed, expired or foreign access token.
    #[error("{0}")]
    InvalidToken(Text),
    /// The access token lacks the scope.
    #[error("the token lacks the {0} scope")]
    InsufficientScope(&'static str),
    /// Authenticated but not allowed.
    #[error("{0}")]
    AccessDenied(Text),
    /// No such resource.
    #[error("{0}")]
    NotFound(Text),
    /// The route exists, but not with this method (a token request sent as a `GET`
    /// would put its assertion in the URL).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request contradicts what is stored (an account already linked elsewhere).
    #[error("{0}")]
    Conflict(Text),
    /// A write without `If-Match`.
    #[error("If-Match is required")]
    PreconditionRequired,
    /// A write whose `If-Match` is not the current version.
    #[error("the record changed since it was read")]
    PreconditionFailed {
        /// The current version's ETag.
        etag: String,
        /// The current record.
        current: VersionedRecord,
    },
    /// Fails the tenant's form schema.
    #[error("the record does not match the form")]
    Unprocessable(FieldMessages),
    /// Body larger than the limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// Wrong `Content-Type`.
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// The request took too long.
    #[error("request timed out")]
    Timeout,
    /// Over a rate limit; retry after this long.
    #[error("too many requests: retry later")]
    RateLimited(std::time::Duration),
    /// A bug or a storage failure; details go to the log only.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The status and the stable error code.
    pub fn status_and_code(&self) -> (StatusCode, OAuthError) {
        use OAuthError as E;
        match self {
            ApiError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, E::InvalidRequest),
            ApiError::InvalidClient(_) => (StatusCode::UNAUTHORIZED, E::InvalidClient),
            ApiError::InvalidGrant(_) => (StatusCode::BAD_REQUEST, E::InvalidGrant),
            ApiError::InvalidScope(_) => (StatusCode::BAD_REQUEST, E::InvalidScope),
            ApiError::InvalidTarget(_) => (StatusCode::BAD_REQUEST, E::InvalidTarget),
            ApiError::UnauthorizedClient(_) => (StatusCode::BAD_REQUEST, E::UnauthorizedClient),
            ApiError::UnsupportedGrantType => (StatusCode::BAD_REQUEST, E::UnsupportedGrantType),
            ApiError::InvalidToken(_) => (StatusCode::UNAUTHORIZED, E::InvalidToken),
            ApiError::InsufficientScope(_) => (StatusCode::FORBIDDEN, E::InsufficientScope),
            ApiError::AccessDenied(_) => (StatusCode::FORBIDDEN, E::AccessDenied),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, E::NotFound),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, E::InvalidRequest),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, E::Conflict),
            ApiError::PreconditionRequired => {
                (StatusCode::PRECONDITION_REQUIRED, E::PreconditionRequired)
            }
            ApiError::PreconditionFailed { .. } => {
                (StatusCode::PRECONDITION_FAILED, E::PreconditionFailed)
            }
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, E::InvalidRecord),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, E::InvalidRequest),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, E::InvalidRequest)
            }
            ApiError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, E::TemporarilyUnavailable),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, E::RateLimited),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, E::ServerError),
        }
    }

    /// A failed partner assertion: `invalid_scope` for scope, `invalid_grant` otherwise.
    pub fn grant(e: JwtError) -> Self {
        match e {
            JwtError::Claim(ClaimError::Scope) => ApiError::InvalidScope(e.to_string().into()),
            e => ApiError::InvalidGrant(e.to_string().into()),
        }
    }

    /// A failed subject token of a token exchange: `invalid_request` when it is not
    /// an XYZ access token at all (RFC 8693 §2.2.2), `invalid_grant` when it is one
    /// that is forged, expired or not addressed to the client.
    pub fn subject(e: JwtError) -> Self {
        let description = format!("subject_token: {e}").into();
        match e {
            JwtError::TooLarge | JwtError::Malformed(_) | JwtError::WrongTyp => {
                ApiError::InvalidRequest(description)
            }
            JwtError::Claim(ClaimError::WrongAudience) => {
                ApiError::InvalidGrant("subject_token is not addressed to this client".into())
            }
            _ => ApiError::InvalidGrant(description),
        }
    }

    /// A failed client assertion.
    pub fn client(e: JwtError) -> Self {
        ApiError::InvalidClient(format!("client authentication failed: {e}").into())
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// What the request log says about a failed request: the code and the description the
/// client got (neither ever holds token content).
#[derive(Clone, Debug)]
pub struct Failure {
    /// The stable error code.
    pub code: &'static str,
    /// The description sent to the client.
    pub description: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.status_and_code();
        let code = error.as_str();
        let description = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "internal error".to_owned()
            }
            e => e.to_string(),
        };
        let failure = Failure {
            code,
            description: description.clone(),
        };
        let mut body = ErrorBody {
            error: code.into(),
            error_description: Some(description.clone()),
            current: None,
            etag: None,
            fields: None,
        };
        let mut retry_after = None;
        match self {
            ApiError::RateLimited(wait) => retry_after = Some(wait.as_secs_f64().ceil() as u64),
            ApiError::PreconditionFailed { etag, current } => {
                body.current = Some(current);
                body.etag = Some(etag);
            }
            ApiError::Unprocessable(fields) => body.fields = Some(fields),
            _ => {}
        }
        let etag = body.etag.clone();
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        let challenge = match error {
            OAuthError::InvalidToken | OAuthError::InsufficientScope => Some(format!(
                "Bearer error=\"{code}\", error_description=\"{}\"",
                description.replace(['"', '\\'], "'")
            )),
            OAuthError::InvalidClient => Some("Bearer".to_owned()),
            _ => None,
        };
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(v) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
            headers.insert(header::ETAG, v);
        }
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response.extensions_mut().insert(failure);
        response
    }
}
