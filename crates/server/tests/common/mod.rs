//! A real server on 127.0.0.1:0 with a real database, two registered partners, and
//! helpers to mint their assertions. The database is a fresh SQLite file in a
//! temporary directory, or, when `CROSSPASS_TEST_DATABASE_URL` names a PostgreSQL
//! server (`scripts/with-postgres.sh` starts one), a fresh database on it, so every
//! test runs unchanged on both backends.
#![allow(dead_code)] // each test binary uses a different subset

use crosspass_jwt::{Jwks, SigningKey};
use crosspass_protocol::claims::{AccessTokenClaims, Audience};
use crosspass_protocol::{ClientId, ScopeSet, TenantId};
use crosspass_server::db::{Backend, Db};
use crosspass_server::registry::PartnerInput;
use crosspass_server::util::{now, random_id};
use crosspass_server::{Config, Server};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const ISSUER: &str = "http://sso.localhost:18080";
pub const API: &str = "http://sso.localhost:18080/api";
pub const ABC_ISS: &str = "http://abc.localhost:18081";
pub const ABC_ORIGIN: &str = "http://abc.localhost:18081";
pub const ABC_SITE2: &str = "http://example2.localhost:18083";
pub const DEF_ISS: &str = "http://def.localhost:18082";
pub const DEF_ORIGIN: &str = "http://def.localhost:18082";
pub const HUB_INDEX: &str = "<!doctype html><title>hub</title>\
<script type=\"application/json\" id=\"hub-config\">{{HUB_CONFIG}}</script>\
<script type=\"module\" src=\"/hub/pkg/hub.js\"></script>\n";
pub const HUB_POPUP: &str = "<!doctype html><title>popup</title>\
<script type=\"application/json\" id=\"hub-config\">{{HUB_CONFIG}}</script>\n";
pub const FORM_PAGE: &str = "<!doctype html><title>form</title>\
<script type=\"application/json\" id=\"hub-config\">{{HUB_CONFIG}}</script>\n";
pub const WASM: &[u8] = b"\0asm\x01\0\0\0";

pub struct Partner {
    pub client_id: &'static str,
    pub issuer: &'static str,
    pub key: SigningKey,
}

impl Partner {
    pub fn abc() -> Self {
        Partner {
            client_id: "abc",
            issuer: ABC_ISS,
            key: SigningKey::ed25519("abc-1", &[11; 32]).unwrap(),
        }
    }

    pub fn def() -> Self {
        Partner {
            client_id: "def",
            issuer: DEF_ISS,
            key: SigningKey::p256("def-1", &[22; 32]).unwrap(),
        }
    }

    pub fn claims(&self, sub: &str) -> Value {
        let now = now();
        json!({
            "iss": self.issuer, "sub": sub, "aud": ISSUER, "client_id": self.client_id,
            "jti": random_id(12), "iat": now, "exp": now + 120, "scope": "form.read form.write",
        })
    }

    pub fn header(&self) -> Value {
        json!({"alg": self.key.alg().as_str(), "kid": self.key.kid(), "typ": "oauth-id-jag+jwt"})
    }

    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.key
            .sign_compact(&header.to_string(), &claims.to_string())
    }

    /// A fresh, valid assertion for `sub`.
    pub fn assertion(&self, sub: &str) -> String {
        self.sign(&self.header(), &self.claims(sub))
    }

    /// A fresh, valid client assertion (`private_key_jwt`).
    pub fn client_assertion(&self) -> String {
        let now = now();
        let claims = json!({
            "iss": self.client_id, "sub": self.client_id, "aud": ISSUER,
            "jti": random_id(12), "iat": now, "exp": now + 60,
        });
        self.sign(
            &json!({"alg": self.key.alg().as_str(), "kid": self.key.kid()}),
            &claims,
        )
    }

    pub fn jwks(&self) -> String {
        Jwks::new(vec![self.key.public_jwk()])
            .unwrap()
            .to_json()
            .to_string()
    }
}

/// A response: status, headers and the JSON body (`null` when it is not JSON).
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// The claims of a good access token for abc's user alice (both scopes, 10 minutes).
pub fn alice_claims() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: ISSUER.into(),
        sub: "u_alice".into(),
        aud: Audience::One(API.into()),
        client_id: ClientId::new("abc").unwrap(),
        tenant: TenantId::new("abc").unwrap(),
        scope: ScopeSet::parse("form.read form.write").unwrap(),
        jti: "t".into(),
        iat: now(),
        exp: now() + 600,
        act: None,
        sid: None,
    }
}

pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// The PostgreSQL server the tests run on, if any.
fn postgres_server() -> Option<String> {
    std::env::var("CROSSPASS_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// The backend every test server must be on.
pub fn expected_backend() -> Backend {
    match postgres_server() {
        Some(_) => Backend::Postgres,
        None => Backend::Sqlite,
    }
}

/// A database no other test uses: an SQLite file under `dir`, or a new database on the
/// PostgreSQL server named by `CROSSPASS_TEST_DATABASE_URL`.
pub async fn fresh_database_url(dir: &Path) -> String {
    static CREATED: AtomicUsize = AtomicUsize::new(0);
    let Some(server) = postgres_server() else {
        return format!(
            "sqlite://{}?mode=rwc",
            dir.join("db/crosspass.db").display()
        );
    };
    let name = format!(
        "crosspass_{}_{}_{}",
        std::process::id(),
        now(),
        CREATED.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// Registers abc (tenant abc, two sites) and def (tenant def, users created just in
/// time), and abc's user alice (`u_alice`).
pub async fn seed(db: &Db) {
    for (p, tenant, origins, jit) in [
        (Partner::abc(), "abc", vec![ABC_ORIGIN, ABC_SITE2], false),
        (Partner::def(), "def", vec![DEF_ORIGIN], true),
    ] {
        let partner = PartnerInput {
            client_id: p.client_id.into(),
            tenant: tenant.into(),
            issuer: p.issuer.into(),
            jwks: p.jwks(),
            origins: origins.into_iter().map(String::from).collect(),
            scopes: "form.read form.write".into(),
            token_lifetime_secs: 600,
            jit_users: jit,
            expose_tokens: false,
            allow_http_origins: false,
        }
        .validate()
        .unwrap();
        db.insert_partner(&partner, now()).await.unwrap();
    }
    db.upsert_user(
        &TenantId::new("abc").unwrap(),
        "alice",
        None,
        "u_alice",
        now(),
    )
    .await
    .unwrap();
}

pub fn config(dir: &Path, database_url: String) -> Config {
    Config {
        issuer: ISSUER.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url,
        www_dir: dir.join("www"),
        dist_dir: dir.join("dist"),
        // Tests send bursts from one address on purpose; tests/operations.rs turns the
        // limits on where they are the subject.
        rate_limit_per_address: 0,
        rate_limit_per_client: 0,
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with the test configuration changed by `configure`.
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("www/hub/index.html"), HUB_INDEX.as_bytes());
        write(&dir.path().join("www/hub/popup.html"), HUB_POPUP.as_bytes());
        write(&dir.path().join("www/hub/form.html"), FORM_PAGE.as_bytes());
        write(
            &dir.path().join("dist/hub/hub.js"),
            b"import './crosspass_hub.js';\n",
        );
        write(&dir.path().join("www/hub/hub.css"), b"body{margin:0}\n");
        write(&dir.path().join("www/secret.txt"), b"secret\n");
        write(&dir.path().join("dist/hub/crosspass_hub_bg.wasm"), WASM);
        write(
            &dir.path().join("dist/hub/crosspass_hub.js"),
            b"export {};\n",
        );
        write(
            &dir.path().join("dist/sdk/v1/crosspass.js"),
            b"window.Crosspass = {};\n",
        );
        // A content-hashed build file with its precompressed variants.
        let hashed = dir.path().join("dist/hub/crosspass_form.0123456789ab.js");
        write(&hashed, b"export const plain = 1;\n");
        write(&hashed.with_extension("js.br"), b"BROTLI");
        write(&hashed.with_extension("js.gz"), b"GZIP");
        // The build's manifest, of this server's version (checked at start).
        write(
            &dir.path().join("dist/manifest.json"),
            format!(
                r#"{{"version":"{}","hub":{{}},"sdk":{{}}}}"#,
                env!("CARGO_PKG_VERSION")
            )
            .as_bytes(),
        );
        let url = fresh_database_url(dir.path()).await;
        let mut config = config(dir.path(), url);
        configure(&mut config);
        let server = Server::start(config).await.unwrap();
        assert_eq!(server.state().db.backend(), expected_backend());
        let base = format!("http://{}", server.addr());
        seed(&server.state().db).await;
        TestServer {
            server: Some(server),
            base,
            http: reqwest::Client::new(),
            dir,
        }
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with an optional bearer token, extra headers and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(tok) = token {
            req = req.bearer_auth(tok);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// Signs `claims` with XYZ's current key, as the token endpoint would.
    pub fn sign_access(&self, claims: &AccessTokenClaims) -> String {
        self.server()
            .state()
            .keys
            .get()
            .current
            .sign_access_token(claims)
            .unwrap()
            .expose_secret()
            .to_owned()
    }

    /// POSTs a token request; returns status, headers and JSON body.
    pub async fn token(&self, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
        let r = self
            .http
            .post(self.url("/oauth/token"))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.json().await.unwrap())
    }

    /// Redeems `assertion` on the browser path.
    pub async fn redeem(&self, assertion: &str) -> (u16, Value) {
        let (s, _, b) = self
            .token(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion),
            ])
            .await;
        (s, b)
    }

    /// A fresh access token for abc's user alice.
    pub async fn alice_token(&self, scope: Option<&str>) -> String {
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned(),
            ),
            ("assertion", Partner::abc().assertion("alice")),
        ];
        if let Some(s) = scope {
            form.push(("scope", s.to_owned()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, body) = self.token(&form).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await.unwrap();
        }
    }
}

/// Redeems one assertion `n` times at once, spread in turn over the token endpoints at
/// `bases`; asserts that exactly one redemption succeeded and every other was refused.
pub async fn redeem_burst_succeeds_once(
    http: &reqwest::Client,
    bases: &[&str],
    assertion: &str,
    n: usize,
) {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let url = format!("{}/oauth/token", bases[i % bases.len()]);
        let (http, assertion) = (http.clone(), assertion.to_owned());
        set.spawn(async move {
            http.post(url)
                .form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", &assertion),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses = set.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        n - 1,
        "{statuses:?}"
    );
}

/// XYZ's published keys, fetched as a downstream would.
pub async fn xyz_keys(t: &TestServer) -> Jwks {
    let text = t
        .http
        .get(t.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Jwks::parse(&text).unwrap()
}

/// GETs `url` and parses its JSON body.
pub async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

pub fn error(code: &str, description: &str) -> Value {
    json!({"error": code, "error_description": description})
}

/// The `crosspass` binary with a clean environment, in `dir`, on `database_url`.
pub fn crosspass(dir: &Path, database_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_crosspass"));
    c.current_dir(dir)
        .env_clear()
        .env("CROSSPASS_DATABASE_URL", database_url)
        .env("CROSSPASS_ISSUER", ISSUER)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        // API-only: these processes are not given the frames' build.
        .env("CROSSPASS_SERVE_FRAMES", "false");
    c
}

/// A `crosspass serve` process; killed when dropped.
pub struct Serve {
    child: Child,
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Serve {
    /// Starts `command serve` on 127.0.0.1:0 and waits until it listens. Its log is
    /// read all along (a full pipe would stall it) and kept.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .arg("serve")
            .env("CROSSPASS_LISTEN", "127.0.0.1:0")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = Vec::new();
        let addr = loop {
            let line = lines
                .next()
                .ok_or_else(|| format!("serve exited before listening: {seen:#?}"))
                .unwrap()
                .unwrap();
            if let Some(rest) = line.split("addr=").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
            seen.push(line);
        };
        let log = Arc::new(Mutex::new(seen));
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Serve {
            child,
            base: format!("http://{addr}"),
            log,
            reader: Some(reader),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and waits: the exit status and every log line.
    pub fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        let log = std::mem::take(&mut *self.log.lock().unwrap());
        (exit, log)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
