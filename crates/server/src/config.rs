//! Server configuration: one optional TOML file, then `CROSSPASS_*` environment
//! overrides, then defaults matching the demo hosts.

use crosspass_protocol::Origin;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Longest access-token lifetime a partner may be registered with.
pub use crosspass_protocol::claims::MAX_ACCESS_TOKEN_LIFETIME_SECS as MAX_TOKEN_LIFETIME_SECS;
/// Longest `browser_session_secs`: 30 days.
pub const MAX_BROWSER_SESSION_SECS: i64 = 30 * 24 * 3600;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for [`Config`].
    #[error("invalid config file: {0}")]
    Toml(#[from] toml::de::Error),
    /// An environment variable does not parse.
    #[error("invalid value in {0}")]
    Env(&'static str),
    /// A value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Everything the server and the CLI need.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// XYZ's issuer, an origin such as `http://sso.localhost:8080`. The hub and the token
    /// endpoint are served from it.
    pub issuer: String,
    /// `aud` of access tokens for the data API (default: issuer + `/api`).
    pub api_audience: Option<String>,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite:…` (one machine) or `postgres://…` (shared by every replica) database
    /// URL.
    pub database_url: String,
    /// Connections this process keeps open to the database at most.
    pub database_max_connections: u32,
    /// Directory holding `hub/` (the hub page and its static files).
    pub www_dir: PathBuf,
    /// Directory holding the wasm build output `hub/` and `sdk/`.
    pub dist_dir: PathBuf,
    /// Default access-token lifetime for new partners.
    pub token_lifetime_secs: i64,
    /// Clock skew tolerated on partner assertions.
    pub clock_skew_secs: i64,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered 503.
    pub request_timeout_secs: u64,
    /// How often expired `jti`s are pruned and signing keys reloaded.
    pub maintenance_interval_secs: u64,
    /// How often a replica checks whether the registry changed (it keeps what it read
    /// until then; registry edits take effect within this time).
    pub registry_cache_secs: u64,
    /// The registered service as which a saved record is sent to the user's linked
    /// downstreams; `None` sends nothing.
    pub record_sync_service: Option<String>,
    /// Longest one record sync call may take.
    pub record_sync_timeout_secs: u64,
    /// How long audit events are kept.
    pub audit_retention_days: u64,
    /// How long XYZ's first-party browser session lasts (the storage ladder's cookie
    /// rung, for browsers whose storage access unlocks cookies only); 0 turns it off.
    pub browser_session_secs: i64,
    /// Requests per second one client address may make to `/oauth/*` and `/api/*`
    /// (0: no limit).
    pub rate_limit_per_address: u32,
    /// Requests per second one registered client may have served there (0: no limit).
    pub rate_limit_per_client: u32,
    /// Requests a limit lets through at once, as a multiple of its rate.
    pub rate_limit_burst_secs: u32,
    /// The header a trusted reverse proxy puts the client's address in (e.g.
    /// `x-forwarded-for`, whose last entry is taken). Unset: the peer address, and no
    /// such header is believed.
    pub trusted_proxy_header: Option<String>,
    /// Address of the admin listener (`/metrics`), never the public one. Unset: none.
    pub admin_listen: Option<SocketAddr>,
    /// Whether `serve` applies pending migrations at start (replicas starting together
    /// migrate once). Off: the schema is upgraded only by `crosspass migrate`, and
    /// `serve` refuses an older one.
    pub migrate_on_start: bool,
    /// Accept a plain `http://` issuer whose host is not a loopback name.
    pub allow_http_issuer: bool,
    /// Serve the frame pages, their files and the SDK from `www_dir` and `dist_dir`,
    /// which must then hold this version's build (checked at start). Off: an API-only
    /// replica, whose frame routes answer 404.
    pub serve_frames: bool,
    /// A file holding the key-encryption key (32 bytes, base64) that seals XYZ's private
    /// signing keys in the database; `CROSSPASS_KEY_ENCRYPTION_KEY` may carry the key
    /// itself instead. Unset: the keys are stored in the clear.
    pub key_encryption_key_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            issuer: "http://sso.localhost:8080".into(),
            api_audience: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://.data/crosspass.db?mode=rwc".into(),
            database_max_connections: 8,
            www_dir: "www".into(),
            dist_dir: "dist".into(),
            token_lifetime_secs: 600,
            clock_skew_secs: 30,
            max_body_bytes: 64 * 1024,
            request_timeout_secs: 10,
            maintenance_interval_secs: 30,
            registry_cache_secs: 2,
            record_sync_service: None,
            record_sync_timeout_secs: 5,
            audit_retention_days: 90,
            browser_session_secs: 12 * 3600,
            rate_limit_per_address: 200,
            rate_limit_per_client: 1000,
            rate_limit_burst_secs: 2,
            trusted_proxy_header: None,
            admin_listen: None,
            migrate_on_start: true,
            allow_http_issuer: false,
            serve_frames: true,
            key_encryption_key_file: None,
        }
    }
}

impl Config {
    /// Reads `file` (if any), applies the environment, and checks the result. The
    /// issuer must be set, in the file or `CROSSPASS_ISSUER`, unless `demo` (where it is
    /// the demo's `http://sso.localhost:8080`).
    pub fn load(file: Option<&Path>, demo: bool) -> Result<Self, ConfigError> {
        let mut named_issuer = std::env::var_os("CROSSPASS_ISSUER").is_some();
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                named_issuer |= toml::from_str::<toml::Table>(&text)?.contains_key("issuer");
                toml::from_str(&text)?
            }
            None => Config::default(),
        };
        if !named_issuer && !demo {
            return Err(ConfigError::Invalid(
                "issuer is not set: set `issuer` in the config file or CROSSPASS_ISSUER to \
                 XYZ's public origin (e.g. https://sso.example.com); `crosspass --demo` uses \
                 http://sso.localhost:8080"
                    .into(),
            ));
        }
        config.apply_env(|k| std::env::var(k).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Applies `CROSSPASS_*` overrides read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parsed<T: std::str::FromStr>(
            var: &impl Fn(&str) -> Option<String>,
            key: &'static str,
        ) -> Result<Option<T>, ConfigError> {
            var(key)
                .map(|v| v.trim().parse().map_err(|_| ConfigError::Env(key)))
                .transpose()
        }
        if let Some(v) = var("CROSSPASS_ISSUER") {
            self.issuer = v;
        }
        if let Some(v) = var("CROSSPASS_API_AUDIENCE") {
            self.api_audience = Some(v);
        }
        if let Some(v) = parsed(&var, "CROSSPASS_LISTEN")? {
            self.listen = v;
        }
        if let Some(v) = var("CROSSPASS_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_DATABASE_MAX_CONNECTIONS")? {
            self.database_max_connections = v;
        }
        if let Some(v) = var("CROSSPASS_WWW_DIR") {
            self.www_dir = v.into();
        }
        if let Some(v) = var("CROSSPASS_DIST_DIR") {
            self.dist_dir = v.into();
        }
        if let Some(v) = parsed(&var, "CROSSPASS_TOKEN_LIFETIME_SECS")? {
            self.token_lifetime_secs = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_CLOCK_SKEW_SECS")? {
            self.clock_skew_secs = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_MAX_BODY_BYTES")? {
            self.max_body_bytes = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_REQUEST_TIMEOUT_SECS")? {
            self.request_timeout_secs = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_MAINTENANCE_INTERVAL_SECS")? {
            self.maintenance_interval_secs = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_REGISTRY_CACHE_SECS")? {
            self.registry_cache_secs = v;
        }
        if let Some(v) = var("CROSSPASS_RECORD_SYNC_SERVICE") {
            self.record_sync_service = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = parsed(&var, "CROSSPASS_RECORD_SYNC_TIMEOUT_SECS")? {
            self.record_sync_timeout_secs = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_AUDIT_RETENTION_DAYS")? {
            self.audit_retention_days = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_BROWSER_SESSION_SECS")? {
            self.browser_session_secs = v;
        }
        if let Some(v) = var("CROSSPASS_KEY_ENCRYPTION_KEY_FILE") {
            self.key_encryption_key_file =
                Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if let Some(v) = parsed(&var, "CROSSPASS_SERVE_FRAMES")? {
            self.serve_frames = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_MIGRATE_ON_START")? {
            self.migrate_on_start = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_ALLOW_HTTP_ISSUER")? {
            self.allow_http_issuer = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_RATE_LIMIT_PER_ADDRESS")? {
            self.rate_limit_per_address = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_RATE_LIMIT_PER_CLIENT")? {
            self.rate_limit_per_client = v;
        }
        if let Some(v) = parsed(&var, "CROSSPASS_RATE_LIMIT_BURST_SECS")? {
            self.rate_limit_burst_secs = v;
        }
        if let Some(v) = var("CROSSPASS_TRUSTED_PROXY_HEADER") {
            self.trusted_proxy_header = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = var("CROSSPASS_ADMIN_LISTEN") {
            self.admin_listen = if v.is_empty() {
                None
            } else {
                Some(
                    v.trim()
                        .parse()
                        .map_err(|_| ConfigError::Env("CROSSPASS_ADMIN_LISTEN"))?,
                )
            };
        }
        Ok(())
    }

    /// Checks ranges and that the issuer is a bare origin.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let origin = Origin::parse(&self.issuer)
            .map_err(|e| ConfigError::Invalid(format!("issuer: {e}")))?;
        if origin.serialize() != self.issuer {
            return Err(ConfigError::Invalid(format!(
                "issuer must be written canonically, as {origin}"
            )));
        }
        if origin.scheme() == crosspass_protocol::origin::Scheme::Http
            && !crate::util::is_loopback(origin.host())
            && !self.allow_http_issuer
        {
            return Err(ConfigError::Invalid(format!(
                "issuer {origin}: plain http is for loopback names only (tokens and assertions \
                 would cross the network in clear); use https, or set allow_http_issuer = true"
            )));
        }
        if !(1..=MAX_TOKEN_LIFETIME_SECS).contains(&self.token_lifetime_secs) {
            return Err(ConfigError::Invalid(format!(
                "token_lifetime_secs must be 1 to {MAX_TOKEN_LIFETIME_SECS}"
            )));
        }
        if !(0..=MAX_BROWSER_SESSION_SECS).contains(&self.browser_session_secs) {
            return Err(ConfigError::Invalid(format!(
                "browser_session_secs must be 0 (off) to {MAX_BROWSER_SESSION_SECS}"
            )));
        }
        if !(0..=300).contains(&self.clock_skew_secs) {
            return Err(ConfigError::Invalid(
                "clock_skew_secs must be 0 to 300".into(),
            ));
        }
        if self.max_body_bytes < 1024 || self.request_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be at least 1024 and request_timeout_secs positive".into(),
            ));
        }
        crate::db::Backend::of(&self.database_url)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database_max_connections must be positive".into(),
            ));
        }
        if self.maintenance_interval_secs == 0 {
            return Err(ConfigError::Invalid(
                "maintenance_interval_secs must be positive".into(),
            ));
        }
        if let Some(service) = &self.record_sync_service {
            crosspass_protocol::ClientId::new(service.as_str())
                .map_err(|e| ConfigError::Invalid(format!("record_sync_service: {e}")))?;
        }
        if !(1..=60).contains(&self.record_sync_timeout_secs) {
            return Err(ConfigError::Invalid(
                "record_sync_timeout_secs must be 1 to 60".into(),
            ));
        }
        if self.rate_limit_burst_secs == 0 {
            return Err(ConfigError::Invalid(
                "rate_limit_burst_secs must be at least 1".into(),
            ));
        }
        if let Some(h) = &self.trusted_proxy_header {
            if axum::http::HeaderName::from_bytes(h.as_bytes()).is_err() {
                return Err(ConfigError::Invalid(format!(
                    "trusted_proxy_header: `{h}` is not a header name"
                )));
            }
        }
        if self.admin_listen.is_some() && self.admin_listen == Some(self.listen) {
            return Err(ConfigError::Invalid(
                "admin_listen must differ from listen: metrics never go on the public port".into(),
            ));
        }
        if !(1..=3650).contains(&self.audit_retention_days) {
            return Err(ConfigError::Invalid(
                "audit_retention_days must be 1 to 3650".into(),
            ));
        }
        Ok(())
    }

    /// The data API's audience.
    pub fn api_audience(&self) -> String {
        self.api_audience
            .clone()
            .unwrap_or_else(|| format!("{}/api", self.issuer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_values() {
        let mut c: Config = toml::from_str("issuer = \"https://sso.example:9000\"").unwrap();
        c.apply_env(|k| match k {
            "CROSSPASS_LISTEN" => Some("0.0.0.0:9000".into()),
            "CROSSPASS_CLOCK_SKEW_SECS" => Some("5".into()),
            "CROSSPASS_DATABASE_URL" => Some("postgres://xyz:pw@db.internal/xyz".into()),
            "CROSSPASS_DATABASE_MAX_CONNECTIONS" => Some("20".into()),
            "CROSSPASS_MAINTENANCE_INTERVAL_SECS" => Some("1".into()),
            _ => None,
        })
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.clock_skew_secs, 5);
        assert_eq!(c.database_max_connections, 20);
        assert_eq!(c.maintenance_interval_secs, 1);
        assert_eq!(c.api_audience(), "https://sso.example:9000/api");
        assert!(c
            .apply_env(|k| (k == "CROSSPASS_LISTEN").then(|| "nope".into()))
            .is_err());
    }

    #[test]
    fn the_example_file_is_the_defaults() {
        let example: Config = toml::from_str(include_str!("../crosspass.example.toml")).unwrap();
        example.validate().unwrap();
        let defaults = Config::default();
        assert_eq!(
            format!("{example:?}"),
            format!(
                "{:?}",
                Config {
                    api_audience: Some(defaults.api_audience()),
                    ..defaults
                }
            )
        );
    }

    #[test]
    fn a_plain_http_issuer_is_for_loopback_names_unless_allowed() {
        for (issuer, ok) in [
            ("http://sso.localhost:8080", true),
            ("http://127.0.0.1:8080", true),
            ("http://localhost", true),
            ("https://sso.example.com", true),
            ("http://sso.example.com", false),
            ("http://10.0.0.7:8080", false),
        ] {
            let c = Config {
                issuer: issuer.into(),
                ..Config::default()
            };
            assert_eq!(c.validate().is_ok(), ok, "{issuer}");
            let allowed = Config {
                allow_http_issuer: true,
                ..c
            };
            allowed.validate().unwrap();
        }
        let e = Config {
            issuer: "http://sso.example.com".into(),
            ..Config::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(e.contains("allow_http_issuer"), "{e}");
    }

    #[test]
    fn issuer_must_be_a_canonical_origin() {
        for bad in [
            "http://sso.example/",
            "http://SSO.example",
            "http://sso.example/x",
        ] {
            let c = Config {
                issuer: bad.into(),
                ..Config::default()
            };
            assert!(c.validate().is_err(), "{bad}");
        }
        assert!(toml::from_str::<Config>("nope = 1").is_err());
    }

    #[test]
    fn only_sqlite_and_postgres_urls_and_never_echoed() {
        for (url, ok) in [
            ("sqlite://.data/x.db?mode=rwc", true),
            ("sqlite::memory:", true),
            ("postgres://xyz:pw@db/xyz", true),
            ("postgresql://xyz:pw@db/xyz", true),
            ("mysql://xyz:secret-pw@db/xyz", false),
            ("db.internal/xyz", false),
        ] {
            let c = Config {
                database_url: url.into(),
                ..Config::default()
            };
            match c.validate() {
                Ok(()) => assert!(ok, "{url}"),
                Err(e) => {
                    assert!(!ok, "{url}: {e}");
                    assert!(!e.to_string().contains("secret-pw"), "{e}");
                }
            }
        }
        let none = Config {
            database_max_connections: 0,
            ..Config::default()
        };
        assert!(none.validate().is_err());
    }
}
