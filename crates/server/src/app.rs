//! Application state, the router, and the server's lifecycle.

use crate::audit::{ClientSeen, RequestId};
use crate::cache::RegistryCache;
use crate::config::Config;
use crate::db::{Db, DbError, DownstreamKey};
use crate::error::{ApiError, Failure};
use crate::keys::KeyStore;
use crate::limits::Limits;
use crate::registry::{Downstream, Idp, Partner, Service};
use crate::util::now;
use crate::{assets, oauth, users};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What every handler shares.
#[derive(Debug)]
pub struct Shared {
    /// The configuration.
    pub config: Config,
    /// The data API's audience.
    pub api_audience: String,
    /// XYZ's own origin (the issuer's): its frames call the API from it.
    pub own_origin: String,
    /// Storage.
    pub db: Db,
    /// XYZ's signing keys.
    pub keys: KeyStore,
    /// Recently read registry entries.
    pub registry: RegistryCache,
    /// The client of outbound calls (the record sync).
    pub http: reqwest::Client,
    /// The registry version the signing keys were last reread at.
    keys_version: AtomicI64,
    /// Rate limits.
    pub limits: Limits,
    /// The audit trail's writer.
    pub audit: crate::audit::AuditSink,
}

/// Cheap-to-clone handle on [`Shared`].
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Connects to the database and loads (or creates) the signing keys.
    pub async fn new(config: Config) -> Result<Self, StartError> {
        let kek = crate::kek::Kek::configured(&config).map_err(StartError::Kek)?;
        if kek.is_none() {
            tracing::warn!("XYZ's signing keys are stored in the clear: set key_encryption_key_file or CROSSPASS_KEY_ENCRYPTION_KEY");
        }
        let db = if config.migrate_on_start {
            Db::connect(&config.database_url, config.database_max_connections).await?
        } else {
            Db::connect_current(&config.database_url, config.database_max_connections).await?
        }
        .with_key_encryption(kek);
        let keys = KeyStore::load(&db).await?;
        // Downstreams are registered by XYZ's admin, and their answers are only logged:
        // no redirects to follow, nothing to keep between calls but the connections.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.record_sync_timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StartError::Http(e.to_string()))?;
        Ok(Self(Arc::new(Shared {
            api_audience: config.api_audience(),
            own_origin: url::Url::parse(&config.issuer)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default(),
            registry: RegistryCache::new(Duration::from_secs(config.registry_cache_secs)),
            limits: Limits::new(&config),
            audit: crate::audit::AuditSink::default(),
            http,
            config,
            db,
            keys,
            keys_version: AtomicI64::new(i64::MIN),
        })))
    }

    /// Rereads XYZ's signing keys when the registry changed since they were last read:
    /// a rotation or an emergency revocation (`crosspass keys revoke`) bumps its
    /// version, so every replica follows within `registry_cache_secs`. Called where
    /// tokens are signed, verified or published.
    pub async fn follow_key_changes(&self) -> Result<(), DbError> {
        let v = self.registry.version(&self.db).await?;
        if self.keys_version.swap(v, Ordering::AcqRel) != v {
            self.keys.reload(&self.db).await?;
        }
        Ok(())
    }

    /// Verifies an XYZ access token for the data API (issuer, audience, signature,
    /// expiry), with the keys as they are now on any replica.
    pub async fn verify_api_token(
        &self,
        token: &crosspass_protocol::AccessToken,
    ) -> Result<
        Result<Arc<crosspass_protocol::claims::AccessTokenClaims>, crosspass_jwt::JwtError>,
        DbError,
    > {
        self.follow_key_changes().await?;
        let expect = crosspass_protocol::claims::AccessTokenExpectations {
            issuer: &self.config.issuer,
            audience: &self.api_audience,
            client_id: None,
            required_scope: None,
        };
        self.keys.validate(&self.db, token, &expect).await
    }

    /// The partner with this client id (cached briefly, as every lookup below).
    pub async fn partner(&self, client_id: &str) -> Result<Option<Arc<Partner>>, DbError> {
        self.registry.partner(&self.db, client_id).await
    }

    /// The partner whose assertions carry this `iss`.
    pub async fn partner_by_issuer(&self, issuer: &str) -> Result<Option<Arc<Partner>>, DbError> {
        self.registry.partner_by_issuer(&self.db, issuer).await
    }

    /// The enterprise IdP whose ID-JAGs carry this `iss`.
    pub async fn idp(&self, issuer: &str) -> Result<Option<Arc<Idp>>, DbError> {
        self.registry.idp(&self.db, issuer).await
    }

    /// The service with this client id.
    pub async fn service(&self, client_id: &str) -> Result<Option<Arc<Service>>, DbError> {
        self.registry.service(&self.db, client_id).await
    }

    /// The downstream whose `key` is `value`.
    pub async fn downstream(
        &self,
        key: DownstreamKey,
        value: &str,
    ) -> Result<Option<Arc<Downstream>>, DbError> {
        self.registry.downstream(&self.db, key, value).await
    }
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let frames = Router::new()
        .route("/hub", get(assets::hub_page))
        .route("/hub/popup", get(assets::hub_popup))
        .route("/embed/form", get(assets::form_page))
        .route("/hub/pkg/{*path}", get(assets::hub_pkg))
        .route("/hub/{file}", get(assets::hub_file))
        .route("/sdk/{*path}", get(assets::sdk_file));
    let frames = if state.config.serve_frames {
        frames
    } else {
        Router::new()
    };
    let routes = Router::new()
        .route("/healthz", get(live))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/openapi.json", get(openapi))
        .route("/oauth/token", post(oauth::token))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route(
            "/api/v1/partners/{client_id}/users/{external_id}",
            put(users::put_user).delete(users::delete_user),
        )
        .route("/oauth/revoke", post(crate::revoke::revoke))
        .route(
            "/hub/session",
            post(crate::browser_session::establish).delete(crate::browser_session::end),
        )
        .route("/hub/session/token", post(crate::browser_session::mint))
        .route("/api/v1/embed-sessions", post(crate::embed::create_session))
        .merge(frames)
        // Applies to the routes above; the API sets its own inside its CORS layer, so
        // that preflights still reach that layer.
        .method_not_allowed_fallback(method_not_allowed)
        .merge(crate::api::routes(state.clone()))
        .fallback(not_found);
    layered(routes, state)
}

/// `routes` with the layers every route goes through: the body limit, a panic answered
/// as a typed 500 (the process and the other requests carry on), and the request id,
/// address limit, timeout, metrics and access log of [`observe`].
pub fn layered(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// The answer to a request whose handler panicked: `server_error`, never the panic's
/// message (it may quote request data).
fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("a request handler panicked".into()).into_response()
}

/// The OpenAPI 3.1 description of the public HTTP API (`crates/server/openapi.json`).
pub const OPENAPI: &str = include_str!("../openapi.json");

/// `GET /openapi.json`.
async fn openapi() -> Response {
    let mut r = OPENAPI.into_response();
    let h = r.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

/// `GET /health/live`: the process answers.
async fn live() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /health/ready`: 200 when this replica can serve (the database answers, its
/// schema is the one this binary expects, signing keys are loaded), else 503 naming
/// what is not.
async fn ready(State(state): State<AppState>) -> Response {
    let database = match state.db.schema_version().await {
        Ok((have, want)) if have == want => ("ok".to_owned(), format!("ok ({have})")),
        Ok((have, want)) => (
            "ok".to_owned(),
            format!("at {have}, this binary needs {want}: run `crosspass migrate`"),
        ),
        Err(e) => (format!("unreachable: {e}"), "unknown".to_owned()),
    };
    let keys = if state.keys.get().public.keys().is_empty() {
        "none loaded"
    } else {
        "ok"
    };
    let ok = database.0 == "ok" && database.1.starts_with("ok") && keys == "ok";
    let status = if ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "checks": { "database": database.0, "schema": database.1, "signing_keys": keys },
    });
    let mut r = (status, Json(body)).into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    r
}

/// The admin listener's routes: metrics and health, never on the public port.
pub fn admin_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(state)
}

/// `GET /metrics` (admin listener): Prometheus text format.
async fn metrics_text(State(state): State<AppState>) -> Response {
    let Some(handle) = crate::metrics::install() else {
        return ApiError::Internal("another metrics recorder is installed".into()).into_response();
    };
    if let Ok(n) = state.db.used_jti_count().await {
        crate::metrics::gauges(n, state.db.pool().size(), state.db.pool().num_idle());
    }
    let mut r = handle.render().into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

/// The answer to a method a route does not take.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Request id, address limit, deadline, metrics and one access-log line per request:
/// method, route template (never the path, which holds ids), status, latency, the
/// client where one was proven, the request id. Tokens travel in headers and bodies,
/// and neither is logged.
async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = crate::metrics::route_of(&path);
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(RequestId::accept)
        .unwrap_or_default();
    req.extensions_mut().insert(request_id.clone());
    let client = ClientSeen::default();
    req.extensions_mut().insert(client.clone());
    let start = Instant::now();
    let deadline = Duration::from_secs(state.config.request_timeout_secs);
    // The address limit, before anything is read: token requests (the browser
    // session's included) and the API only.
    let limited = if path.starts_with("/oauth/")
        || path.starts_with("/api/")
        || path.starts_with("/hub/session")
    {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let address = state.limits.address(peer, req.headers());
        state.limits.check_address(address).err()
    } else {
        None
    };
    let mut response = match limited {
        Some(refused) => refused.into_response(),
        None => match tokio::time::timeout(deadline, next.run(req)).await {
            Ok(r) => r,
            Err(_) => ApiError::Timeout.into_response(),
        },
    };
    if let Ok(v) = HeaderValue::from_str(&request_id.0) {
        response.headers_mut().insert("x-request-id", v);
    }
    let request_id = request_id.0;
    let status = response.status().as_u16();
    let elapsed = start.elapsed();
    let micros = elapsed.as_micros();
    crate::metrics::request(route, method.as_str(), status, elapsed.as_secs_f64());
    let (error, description) = response
        .extensions()
        .get::<Failure>()
        .map_or(("", ""), |f| (f.code, f.description.as_str()));
    let client_id = response
        .extensions()
        .get::<crate::audit::Granted>()
        .map(|g| g.client_id.as_str())
        .or_else(|| client.0.get().map(String::as_str))
        .unwrap_or("");
    if status >= 500 {
        tracing::warn!(%method, route, status, micros, client_id, request_id, error, description, "request");
    } else {
        tracing::info!(%method, route, status, micros, client_id, request_id, error, description, "request");
    }
    response
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The outbound HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The key-encryption key is configured but unusable.
    #[error(transparent)]
    Kek(crate::kek::KekError),
    /// The frame pages and files are missing or of another version.
    #[error("assets: {0}")]
    Assets(String),
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    state: AppState,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Binds `config.listen` (port 0 picks one) and starts serving in the background.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        if config.serve_frames {
            crate::assets::check_assets(&config).map_err(StartError::Assets)?;
        }
        let listen = config.listen;
        let state = AppState::new(config).await?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| StartError::Bind(listen, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Bind(listen, e))?;
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(maintenance(state.clone(), stopped.clone()));
        state.audit.start(state.db.clone());
        // Metrics are recorded only where they can be read: without an admin listener
        // the `metrics` macros go to the no-op recorder and cost nothing.
        if let Some(admin) = state.config.admin_listen {
            crate::metrics::install();
            let listener = tokio::net::TcpListener::bind(admin)
                .await
                .map_err(|e| StartError::Bind(admin, e))?;
            let app = admin_router(state.clone());
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await
            });
            tracing::info!(%admin, "admin listener (metrics, health)");
        }
        let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let mut stopped = stopped;
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        });
        tracing::info!(%addr, issuer = %state.config.issuer, database = ?state.db.backend(), "listening");
        Ok(Self {
            addr,
            state,
            stop,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (tests use it to reach the database).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish, and closes the database.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let result = match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        // In-flight requests are done: what they audited is stored before the pool goes.
        self.state.audit.flush().await;
        self.state.db.close().await;
        result
    }
}

/// Prunes spent `jti`s, expired revocations and old audit events, and picks up key rotations made by the CLI or other replicas.
async fn maintenance(state: AppState, mut stopped: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.config.maintenance_interval_secs);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        let retention_ms = i64::try_from(state.config.audit_retention_days)
            .unwrap_or(i64::MAX / 86_400_000)
            .saturating_mul(86_400_000);
        let audit_before = crate::audit::now_ms().saturating_sub(retention_ms);
        match state
            .db
            .prune_revocations_and_audit(now(), audit_before)
            .await
        {
            Ok(n) if n > 0 => tracing::debug!(
                pruned = n,
                "expired revocations and old audit events pruned"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "revocation and audit pruning failed"),
        }
        match state.db.prune_jtis(now()).await {
            Ok(n) if n > 0 => tracing::debug!(pruned = n, "expired jtis pruned"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "jti pruning failed"),
        }
        state.limits.forget_idle();
        if let Err(e) = state.keys.reload(&state.db).await {
            tracing::warn!(error = %e, "signing key reload failed");
        }
    }
}
