//! The data API behind the embedded form: the tenant's form schema and the signed-in
//! user's record, authorised by XYZ access tokens (RFC 9068, RFC 6750) and CORS-open
//! only to the origins registered for the token's client.

use crate::app::AppState;
use crate::db::{Db, DbError};
use crate::error::ApiError;
use crate::users::{bearer, json_body};
use crate::util::now;
use crate::{links, sync};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use crosspass_form::{FormSchema, SchemaError, SchemaRules};
use crosspass_protocol::claims::AccessTokenClaims;
use crosspass_protocol::form::VersionedRecord;
use crosspass_protocol::json::{self, Json as _};
use crosspass_protocol::oauth::FieldMessages;
use crosspass_protocol::{AccessToken, TenantId};
use sqlx::Row;
use std::sync::{Arc, OnceLock};

/// Largest record body.
pub const MAX_RECORD_BYTES: usize = 16 * 1024;
/// Deepest JSON accepted in a record.
pub const MAX_JSON_DEPTH: usize = 8;

/// The data API's routes, with their CORS handling.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/form", get(get_form_route))
        .route("/api/v1/me/record", get(get_record).put(put_record))
        .route(
            "/api/v1/me/links",
            get(links::get_links).post(links::post_link),
        )
        .route("/api/v1/me/links/nonces", post(links::post_nonce))
        .route("/api/v1/me/links/{downstream}", delete(links::delete_link))
        .method_not_allowed_fallback(crate::app::method_not_allowed)
        .layer(middleware::from_fn_with_state(state, cors))
}

/// Where the bearer extractor leaves the request's origin once it has checked it
/// against the token's client, for [`cors`] to answer with.
#[derive(Clone, Debug, Default)]
struct CorsSlot(Arc<OnceLock<HeaderValue>>);

/// CORS: preflights (which carry no token) are answered for any registered partner
/// origin; actual responses carry CORS headers only for an origin registered for the
/// token's client, except a 401 (no data, no valid token to tell the client by), which
/// any registered origin may read so the widget knows to fetch a fresh token. Never
/// `*`, never `null`, never an unknown origin.
async fn cors(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    if req.method() == Method::OPTIONS {
        return preflight(&state, origin.as_deref(), req.headers()).await;
    }
    let slot = CorsSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut response = next.run(req).await;
    let allow = match (slot.0.get(), origin) {
        (Some(o), _) => Some(o.clone()),
        (None, Some(o)) if response.status() == StatusCode::UNAUTHORIZED => {
            match state.registry.registered_anywhere(&state.db, &o).await {
                Ok(true) => HeaderValue::from_str(&o).ok(),
                _ => None,
            }
        }
        _ => None,
    };
    let h = response.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allow {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, WWW-Authenticate"),
        );
    }
    response
}

async fn preflight(state: &AppState, origin: Option<&str>, headers: &HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    let method_ok = headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| matches!(m, "GET" | "PUT" | "POST" | "DELETE"));
    let Some(origin) = origin else {
        return response;
    };
    match state.registry.registered_anywhere(&state.db, origin).await {
        Ok(true) if method_ok => {}
        Ok(_) => return response,
        Err(e) => return ApiError::from(e).into_response(),
    }
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, PUT, POST, DELETE"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, if-match"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    response
}

/// A request carrying a valid XYZ access token for this API, from one of its client's
/// origins (or from no browser at all).
#[derive(Debug)]
pub struct Authed {
    /// The verified claims.
    pub claims: Arc<AccessTokenClaims>,
}

impl Authed {
    /// Refuses with 403 `insufficient_scope` unless the token carries `scope`.
    pub fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        if self.claims.scope.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope))
        }
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token =
            AccessToken::new(bearer(&parts.headers).ok_or_else(|| {
                ApiError::InvalidToken("a bearer access token is required".into())
            })?);
        let claims = state
            .verify_api_token(&token)
            .await?
            .map_err(|e| ApiError::InvalidToken(e.to_string().into()))?;
        let partner = state
            .partner(claims.client_id.as_str())
            .await?
            .filter(|p| p.tenant == claims.tenant)
            .ok_or_else(|| {
                ApiError::InvalidToken("the token's client is not registered for its tenant".into())
            })?;
        state.limits.check_client(partner.client_id.as_str())?;
        if let Some(seen) = parts.extensions.get::<crate::audit::ClientSeen>() {
            let _ = seen.0.set(partner.client_id.to_string());
        }
        // XYZ's own frames (the form, the hub's `fetch`) call from XYZ's origin; any
        // other browser caller must be registered for the token's client.
        if let Some(origin) = parts
            .headers
            .get(header::ORIGIN)
            .filter(|o| o.as_bytes() != state.own_origin.as_bytes())
        {
            let allowed = origin
                .to_str()
                .is_ok_and(|o| partner.origins.allows_serialized(o));
            if !allowed {
                return Err(ApiError::AccessDenied(
                    "origin is not registered for this token's client".into(),
                ));
            }
            if let Some(slot) = parts.extensions.get::<CorsSlot>() {
                let _ = slot.0.set(origin.clone());
            }
        }
        // Read on every call, so a revocation or a deletion counts at once everywhere.
        if !state
            .db
            .token_live(&claims.sub, claims.session_id())
            .await?
        {
            return Err(ApiError::InvalidToken(
                "the token was revoked, or its user deleted".into(),
            ));
        }
        Ok(Authed { claims })
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Reads a tenant's form.
pub async fn get_form(db: &Db, tenant: &TenantId) -> Result<Option<FormSchema>, DbError> {
    let row = sqlx::query("SELECT schema FROM forms WHERE tenant = $1")
        .bind(tenant.as_str())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| FormSchema::parse(r.try_get("schema")?).map_err(|_| DbError::Corrupt("forms")))
        .transpose()
}

/// Why `crosspass form set` failed.
#[derive(Debug, thiserror::Error)]
pub enum SetFormError {
    /// The schema is invalid.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Validates and stores a tenant's form.
pub async fn set_form(db: &Db, tenant: &TenantId, text: &str) -> Result<(), SetFormError> {
    let schema = FormSchema::parse(text)?;
    let json = schema.to_json();
    sqlx::query(
        "INSERT INTO forms (tenant, schema, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant) DO UPDATE SET schema = excluded.schema, updated_at = excluded.updated_at",
    )
    .bind(tenant.as_str())
    .bind(json)
    .bind(now())
    .execute(db.pool())
    .await
    .map_err(DbError::from)?;
    Ok(())
}

/// `GET /api/v1/form` (scope `form.read`): the token's tenant's form.
async fn get_form_route(State(state): State<AppState>, auth: Authed) -> Result<Response, ApiError> {
    auth.require("form.read")?;
    let form = get_form(&state.db, &auth.claims.tenant)
        .await?
        .ok_or_else(|| ApiError::NotFound("no form is configured for this tenant".into()))?;
    // The contract's own codec, as the form frame reads it.
    let body = ([(header::CONTENT_TYPE, "application/json")], form.to_json());
    Ok(no_store(body.into_response()))
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The user's record and its version (0 and `{}` before the first write). The user
/// must exist in the token's tenant.
///
/// The record is read on its own first: a record row proves its user, since it is
/// written only after this check and deleted with the user (`ON DELETE CASCADE`).
/// Only a user with no record yet costs the second lookup. On a million users that
/// spares every read one of its three B-tree walks.
async fn load_record(
    db: &Db,
    claims: &AccessTokenClaims,
) -> Result<(serde_json::Value, i64), ApiError> {
    let row = sqlx::query("SELECT data, version FROM records WHERE user_id = $1 AND tenant = $2")
        .bind(&claims.sub)
        .bind(claims.tenant.as_str())
        .fetch_optional(db.pool())
        .await
        .map_err(DbError::from)?;
    if let Some(row) = row {
        let data: String = row.try_get("data").map_err(DbError::from)?;
        let version: i64 = row.try_get("version").map_err(DbError::from)?;
        let data = serde_json::from_str(&data).map_err(|_| DbError::Corrupt("records"))?;
        return Ok((data, version));
    }
    sqlx::query("SELECT 1 FROM users WHERE id = $1 AND tenant = $2")
        .bind(&claims.sub)
        .bind(claims.tenant.as_str())
        .fetch_optional(db.pool())
        .await
        .map_err(DbError::from)?
        .ok_or_else(|| ApiError::InvalidToken("unknown user".into()))?;
    Ok((serde_json::json!({}), 0))
}

/// The contract's record answer. Stored records are JSON objects without duplicate
/// members, which the contract's value always takes.
fn versioned(data: serde_json::Value, version: i64) -> VersionedRecord {
    VersionedRecord {
        data: serde_json::from_value(data).unwrap_or(json::Value::Null),
        version,
    }
}

fn record_response(status: StatusCode, data: serde_json::Value, version: i64) -> Response {
    let mut r = (status, Json(versioned(data, version))).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    no_store(r)
}

/// `GET /api/v1/me/record` (scope `form.read`).
async fn get_record(State(state): State<AppState>, auth: Authed) -> Result<Response, ApiError> {
    auth.require("form.read")?;
    let (data, version) = load_record(&state.db, &auth.claims).await?;
    Ok(record_response(StatusCode::OK, data, version))
}

fn precondition_failed(data: serde_json::Value, version: i64) -> ApiError {
    ApiError::PreconditionFailed {
        etag: etag(version),
        current: versioned(data, version),
    }
}

fn json_depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => 1 + a.iter().map(json_depth).max().unwrap_or(0),
        serde_json::Value::Object(o) => 1 + o.values().map(json_depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// `PUT /api/v1/me/record` (scope `form.write`): needs `If-Match` with the version
/// last read; the compare-and-set is one statement, so of concurrent writers holding
/// the same version exactly one wins and the others get 412 with the winner's record.
async fn put_record(
    State(state): State<AppState>,
    auth: Authed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    auth.require("form.write")?;
    let if_match = headers
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    let expected = if_match
        .to_str()
        .ok()
        .and_then(|t| t.trim().strip_prefix("\"v"))
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok());
    let body = json_body(body, &headers, MAX_RECORD_BYTES)?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::InvalidRequest("body is not valid JSON".into()))?;
    if json_depth(&value) > MAX_JSON_DEPTH {
        return Err(ApiError::InvalidRequest("JSON nested too deeply".into()));
    }
    let record = value
        .as_object()
        .ok_or_else(|| ApiError::InvalidRequest("the record must be a JSON object".into()))?;
    let schema = get_form(&state.db, &auth.claims.tenant)
        .await?
        .ok_or_else(|| ApiError::NotFound("no form is configured for this tenant".into()))?;
    schema
        .validate(record)
        .map_err(|fields| ApiError::Unprocessable(FieldMessages(fields.into_iter().collect())))?;

    // Also proves the user still exists in the token's tenant.
    let (current, version) = load_record(&state.db, &auth.claims).await?;
    let expected = match expected {
        Some(v) if v == version => v,
        _ => return Err(precondition_failed(current, version)),
    };
    let text = value.to_string();
    let now = now();
    let written = if expected == 0 {
        sqlx::query(
            "INSERT INTO records (user_id, tenant, data, version, updated_at) \
             VALUES ($1, $2, $3, 1, $4) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(&auth.claims.sub)
        .bind(auth.claims.tenant.as_str())
        .bind(&text)
        .bind(now)
        .execute(state.db.pool())
        .await
    } else {
        sqlx::query(
            "UPDATE records SET data = $1, version = version + 1, updated_at = $2 \
             WHERE user_id = $3 AND tenant = $4 AND version = $5",
        )
        .bind(&text)
        .bind(now)
        .bind(&auth.claims.sub)
        .bind(auth.claims.tenant.as_str())
        .bind(expected)
        .execute(state.db.pool())
        .await
    }
    .map_err(DbError::from)?
    .rows_affected()
        == 1;
    if !written {
        // Another writer got there first: report what is stored now.
        let (current, version) = load_record(&state.db, &auth.claims).await?;
        return Err(precondition_failed(current, version));
    }
    sync::after_save(
        &state,
        Arc::clone(&auth.claims),
        value.clone(),
        expected + 1,
    );
    Ok(record_response(StatusCode::OK, value, expected + 1))
}
