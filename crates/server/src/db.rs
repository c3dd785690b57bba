//! Storage: SQLite (one file, the default) or PostgreSQL (shared by any number of
//! replicas), chosen by the database URL. Every statement is plain SQL with `$n`
//! parameters that both accept, run through sqlx's `Any` driver, so there is one
//! code path and one schema (`migrations/`) for both.

use crate::kek::{Kek, SEALED_PREFIX};
use crate::registry::{Downstream, Idp, Partner, Service};
use crosspass_jwt::{JwkError, Jwks, SigningKey};
use crosspass_protocol::{jose, ClientId, DownstreamId, OriginAllowlist, ScopeSet, TenantId};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};
use std::str::FromStr;

/// How long a spent `jti` is kept past its expiry: far more than the clocks of two
/// replicas may drift apart.
pub const JTI_PRUNE_MARGIN_SECS: i64 = 15 * 60;

/// A storage failure, or stored data that no longer parses.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row is corrupt.
    #[error("corrupt row in {0}")]
    Corrupt(&'static str),
    /// Creating the database directory failed.
    #[error("database directory: {0}")]
    Io(#[from] std::io::Error),
    /// The database URL names neither SQLite nor PostgreSQL. The URL itself is not
    /// repeated: it may carry a password.
    #[error("database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    /// The database's schema is not the one this binary was built for.
    #[error("{0}")]
    Schema(String),
}

/// The database a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:…`: one file, one machine.
    Sqlite,
    /// `postgres://…` or `postgresql://…`: shared by every replica.
    Postgres,
}

impl Backend {
    /// The backend `url` selects.
    pub fn of(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }
}

/// A unique-constraint violation (duplicate client id, issuer, …).
pub fn is_unique_violation(e: &DbError) -> bool {
    matches!(e, DbError::Sqlx(sqlx::Error::Database(d)) if d.is_unique_violation())
}

/// The connection pool.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Seals XYZ's private signing keys at rest, when configured.
    kek: Option<std::sync::Arc<Kek>>,
}

/// A signing key row.
#[derive(Debug)]
pub struct StoredKey {
    /// The key.
    pub key: SigningKey,
    /// When it was created.
    pub created_at: i64,
    /// `None` while it is the current key.
    pub publish_until: Option<i64>,
}

/// An XYZ user's account at a downstream.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Link {
    /// The downstream.
    pub downstream: DownstreamId,
    /// The user's id there.
    pub subject: String,
    /// When the link was made.
    pub linked_at: i64,
    /// When the record was last sent there.
    pub synced_at: Option<i64>,
    /// How that ended (`ok`, or why not).
    pub sync_status: Option<String>,
}

/// An XYZ user.
#[derive(Clone, Debug)]
pub struct User {
    /// Opaque XYZ user id.
    pub id: String,
    /// Whether this call created it.
    pub created: bool,
}

impl Db {
    /// Opens (for SQLite, creating the file and its directory if needed) a pool of
    /// at most `max_connections` and migrates. Replicas starting together on one
    /// PostgreSQL database are safe: the migrator holds an advisory lock.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        Self::open(url, max_connections, true).await
    }

    /// Opens the pool without migrating, refusing a database whose schema is older
    /// (or newer) than this binary's: what the admin commands use, so that upgrading
    /// the schema stays the explicit step `crosspass migrate`.
    pub async fn connect_current(url: &str, max_connections: u32) -> Result<Self, DbError> {
        let db = Self::open(url, max_connections, false).await?;
        let (have, want) = match db.schema_version().await {
            Ok(v) => v,
            // A new database has no migration table yet.
            Err(_) => (0, db.schema_version_wanted()),
        };
        if have != want {
            db.close().await;
            let why = if have < want {
                format!("the database schema is at version {have}; this binary needs {want}: run `crosspass migrate` first")
            } else {
                format!("the database schema is at version {have}, newer than this binary's {want}: use a newer binary")
            };
            return Err(DbError::Schema(why));
        }
        Ok(db)
    }

    async fn open(url: &str, max_connections: u32, migrate: bool) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        let mut options = AnyPoolOptions::new().max_connections(max_connections);
        if backend == Backend::Sqlite {
            let file = SqliteConnectOptions::from_str(url)?;
            if let Some(dir) = file.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)?;
                }
            }
            // sqlx already enables foreign keys and a 5 s busy timeout. WAL lets
            // readers run beside the writer; NORMAL is durable in WAL mode up to the
            // last transactions before a power loss. 16 MiB of page cache per
            // connection (SQLite's default is 2 MiB) keeps the index pages that user
            // lookups and jti inserts walk in memory with a million users.
            // Connections are in-process, so testing one before each use (a ping)
            // would only cost every query a second round trip to its worker thread.
            options = options.test_before_acquire(false).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA cache_size = -16384",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        // The pool retries a refused connection until its acquire timeout and then
        // reports only the timeout; one direct attempt first says why.
        AnyConnection::connect(url).await?.close().await?;
        let pool = options.connect(url).await?;
        if migrate {
            sqlx::migrate!("./migrations").run(&pool).await?;
        }
        Ok(Self {
            pool,
            backend,
            kek: None,
        })
    }

    /// Stores XYZ's private signing keys sealed with `kek` from now on; keys stored
    /// in the clear are sealed the next time they are read.
    pub fn with_key_encryption(mut self, kek: Option<Kek>) -> Self {
        self.kek = kek.map(std::sync::Arc::new);
        self
    }

    /// How a private signing key is stored: sealed when a key-encryption key is set.
    fn stored_secret(&self, key: &SigningKey) -> Result<String, DbError> {
        let secret = key.secret_bytes();
        match &self.kek {
            Some(kek) => kek
                .seal(key.kid(), &secret)
                .map_err(|e| DbError::Schema(e.to_string())),
            None => Ok(jose::b64_encode(&secret)),
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // --- partners ---------------------------------------------------------------

    /// Inserts a new partner; a duplicate client id or issuer is a unique violation.
    pub async fn insert_partner(&self, p: &Partner, now: i64) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        bind_settings(
            sqlx::query(
                "INSERT INTO partners (jwks, origins, scopes, token_lifetime_secs, jit_users, \
                 expose_tokens, client_id, tenant, issuer, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            ),
            p,
        )?
        .bind(p.client_id.as_str())
        .bind(p.tenant.as_str())
        .bind(&p.issuer)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes every changeable field of `p` (all but client id, tenant and issuer).
    /// False when there is no such partner.
    pub async fn update_partner(&self, p: &Partner, now: i64) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let r = bind_settings(
            sqlx::query(
                "UPDATE partners SET jwks = $1, origins = $2, scopes = $3, \
                 token_lifetime_secs = $4, jit_users = $5, expose_tokens = $6, updated_at = $8 \
                 WHERE client_id = $7",
            ),
            p,
        )?
        .bind(p.client_id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Removes a partner. False when there is no such partner.
    pub async fn remove_partner(&self, client_id: &ClientId) -> Result<bool, DbError> {
        self.remove_registry_row(
            "DELETE FROM partners WHERE client_id = $1",
            client_id.as_str(),
        )
        .await
    }

    /// Runs `delete` (one registry row, keyed by `$1` = `key`) and bumps the registry's
    /// change counter in the same transaction. False when there was no such row.
    async fn remove_registry_row(&self, delete: &'static str, key: &str) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(delete).bind(key).execute(&mut *tx).await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// The registry's change counter, bumped by every change to partners, downstreams,
    /// services and IdPs (`migrations/0003_registry_version.sql`).
    pub async fn registry_version(&self) -> Result<i64, DbError> {
        let row = sqlx::query("SELECT version FROM registry_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("version")?)
    }

    /// Every partner, by client id.
    pub async fn partners(&self) -> Result<Vec<Partner>, DbError> {
        let rows = sqlx::query(&format!("{PARTNER_SELECT} ORDER BY client_id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(partner_from_row).collect()
    }

    /// The partner with this client id.
    pub async fn partner(&self, client_id: &str) -> Result<Option<Partner>, DbError> {
        let row = sqlx::query(&format!("{PARTNER_SELECT} WHERE client_id = $1"))
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(partner_from_row).transpose()
    }

    /// The partner whose assertions carry this `iss`.
    pub async fn partner_by_issuer(&self, issuer: &str) -> Result<Option<Partner>, DbError> {
        let row = sqlx::query(&format!("{PARTNER_SELECT} WHERE issuer = $1"))
            .bind(issuer)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(partner_from_row).transpose()
    }

    /// Every origin registered by any partner (to answer CORS preflights, which carry
    /// no token).
    pub async fn all_origins(&self) -> Result<Vec<OriginAllowlist>, DbError> {
        let rows = sqlx::query("SELECT origins FROM partners")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(r.try_get::<&str, _>(0)?)
                    .map_err(|_| DbError::Corrupt("partners"))
            })
            .collect()
    }

    // --- signing keys -----------------------------------------------------------

    /// Stores a new key.
    pub async fn insert_key(&self, key: &SigningKey, now: i64) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, secret, created_at, publish_until) \
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(key.kid())
        .bind(key.alg().as_str())
        .bind(self.stored_secret(key)?)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Adds `key` as the current key and retires every other one: they stay published
    /// until `publish_until`.
    pub async fn rotate_to(
        &self,
        key: &SigningKey,
        now: i64,
        publish_until: i64,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE signing_keys SET publish_until = $1 WHERE publish_until IS NULL")
            .bind(publish_until)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, secret, created_at, publish_until) \
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(key.kid())
        .bind(key.alg().as_str())
        .bind(self.stored_secret(key)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Replicas reread their keys when the registry's version moves.
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Unpublishes a retired key at once (the current one must be rotated out first):
    /// every token it signed stops verifying. False when no retired key has this id.
    pub async fn remove_retired_key(&self, kid: &str) -> Result<bool, DbError> {
        self.remove_registry_row(
            "DELETE FROM signing_keys WHERE kid = $1 AND publish_until IS NOT NULL",
            kid,
        )
        .await
    }

    /// Keys still published at `now`, newest first; expired ones are deleted.
    pub async fn keys(&self, now: i64) -> Result<Vec<StoredKey>, DbError> {
        sqlx::query(
            "DELETE FROM signing_keys WHERE publish_until IS NOT NULL AND publish_until < $1",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT kid, alg, secret, created_at, publish_until FROM signing_keys \
             ORDER BY created_at DESC, kid DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut keys = Vec::with_capacity(rows.len());
        let mut unsealed = Vec::new();
        for r in &rows {
            let kid: String = r.try_get("kid")?;
            let alg: String = r.try_get("alg")?;
            let stored: String = r.try_get("secret")?;
            let secret = if stored.starts_with(SEALED_PREFIX) {
                let kek = self.kek.as_ref().ok_or_else(|| {
                    DbError::Schema(
                        "XYZ's signing keys are sealed: set CROSSPASS_KEY_ENCRYPTION_KEY or \
                         key_encryption_key_file"
                            .into(),
                    )
                })?;
                kek.open(&kid, &stored)
                    .map_err(|e| DbError::Schema(e.to_string()))?
            } else {
                if self.kek.is_some() {
                    unsealed.push(kid.clone());
                }
                jose::b64_decode_secret(&stored).map_err(|_| DbError::Corrupt("signing_keys"))?
            };
            let secret = <[u8; 32]>::try_from(secret.as_slice())
                .map_err(|_| DbError::Corrupt("signing_keys"))?;
            let key = match alg.as_str() {
                "EdDSA" => SigningKey::ed25519(kid, &secret),
                "ES256" => SigningKey::p256(kid, &secret),
                _ => return Err(DbError::Corrupt("signing_keys")),
            }
            .map_err(|_| DbError::Corrupt("signing_keys"))?;
            keys.push(StoredKey {
                key,
                created_at: r.try_get("created_at")?,
                publish_until: r.try_get("publish_until")?,
            });
        }
        // Keys stored before a key-encryption key was configured are sealed now.
        for k in keys
            .iter()
            .filter(|k| unsealed.iter().any(|u| u == k.key.kid()))
        {
            sqlx::query(
                "UPDATE signing_keys SET secret = $1 WHERE kid = $2 AND secret NOT LIKE 'xc20p1:%'",
            )
            .bind(self.stored_secret(&k.key)?)
            .bind(k.key.kid())
            .execute(&self.pool)
            .await?;
        }
        Ok(keys)
    }

    // --- jti --------------------------------------------------------------------

    /// Records a `jti` as used. False when it was already there: the insert is the
    /// check, so two concurrent redemptions cannot both succeed, on any replica.
    pub async fn use_jti(
        &self,
        namespace: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool, DbError> {
        let r = sqlx::query(
            "INSERT INTO used_jtis (namespace, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(namespace)
        .bind(jti)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Spent `jti`s kept now (a metrics gauge).
    pub async fn used_jti_count(&self) -> Result<i64, DbError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM used_jtis")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The schema version the database is at (its latest applied migration) and the one
    /// this binary was built with.
    pub async fn schema_version(&self) -> Result<(i64, i64), DbError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM _sqlx_migrations \
             WHERE success",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("v")?, self.schema_version_wanted()))
    }

    /// The schema version this binary was built with.
    pub fn schema_version_wanted(&self) -> i64 {
        sqlx::migrate!("./migrations")
            .migrations
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
    }

    /// Forgets `jti`s whose tokens can no longer be accepted anyway, by any replica:
    /// `now` is this replica's clock, and another one may run behind it and still take
    /// the token as live, so a `jti` is kept [`JTI_PRUNE_MARGIN_SECS`] past its expiry.
    pub async fn prune_jtis(&self, now: i64) -> Result<u64, DbError> {
        let r = sqlx::query("DELETE FROM used_jtis WHERE expires_at < $1")
            .bind(now.saturating_sub(JTI_PRUNE_MARGIN_SECS))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    // --- revocation ---------------------------------------------------------------

    /// Ends a sign-in session: its tokens stop working at the API and at the token
    /// exchange, and the browser sessions carrying it are deleted (so none mints a
    /// token after the revocation is pruned). Kept until `expires_at`, when its last
    /// token has expired anyway.
    pub async fn revoke_session(&self, sid: &str, expires_at: i64) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO revoked_sessions (sid, expires_at) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(sid)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM browser_sessions WHERE sid = $1")
            .bind(sid)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    // --- browser sessions -----------------------------------------------------------

    /// Stores a browser session for the sign-in of `claims` under `hash`, replacing
    /// the one stored under `replaced`.
    pub async fn put_browser_session(
        &self,
        hash: &str,
        replaced: Option<&str>,
        claims: &crosspass_protocol::claims::AccessTokenClaims,
        expires_at: i64,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        if let Some(old) = replaced {
            sqlx::query("DELETE FROM browser_sessions WHERE secret_hash = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO browser_sessions \
             (secret_hash, tenant, user_id, sid, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hash)
        .bind(claims.tenant.as_str())
        .bind(&claims.sub)
        .bind(claims.session_id())
        .bind(claims.scope.to_string())
        .bind(crate::util::now())
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The unexpired browser session stored under `hash`.
    pub async fn browser_session(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<crate::browser_session::BrowserSession>, DbError> {
        let row = sqlx::query(
            "SELECT tenant, user_id, sid, scope FROM browser_sessions \
             WHERE secret_hash = $1 AND expires_at > $2",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .as_ref()
            .map(crate::browser_session::BrowserSession::from_row)
            .transpose()?)
    }

    /// Ends the browser session stored under `hash` and revokes its sign-in until
    /// `revoked_until`.
    pub async fn end_browser_session(&self, hash: &str, revoked_until: i64) -> Result<(), DbError> {
        let sid = sqlx::query("SELECT sid FROM browser_sessions WHERE secret_hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get::<String, _>("sid"))
            .transpose()?;
        if let Some(sid) = sid {
            self.revoke_session(&sid, revoked_until).await?;
        }
        Ok(())
    }

    /// True while the token's user exists and its session is not revoked: one query
    /// per API call, so a deletion or a revocation on any replica counts at once.
    pub async fn token_live(&self, user: &str, sid: &str) -> Result<bool, DbError> {
        let row = sqlx::query(
            "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM users WHERE id = $1) \
             AND NOT EXISTS (SELECT 1 FROM revoked_sessions WHERE sid = $2) \
             THEN 1 ELSE 0 END AS BIGINT) AS live",
        )
        .bind(user)
        .bind(sid)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("live")? == 1)
    }

    /// Forgets revocations and browser sessions that have expired, and audit events
    /// older than `audit_before_ms`.
    pub async fn prune_revocations_and_audit(
        &self,
        now: i64,
        audit_before_ms: i64,
    ) -> Result<u64, DbError> {
        let a = sqlx::query("DELETE FROM revoked_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let c = sqlx::query("DELETE FROM browser_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let b = sqlx::query("DELETE FROM audit_events WHERE at_ms < $1")
            .bind(audit_before_ms)
            .execute(&self.pool)
            .await?;
        Ok(a.rows_affected() + b.rows_affected() + c.rows_affected())
    }

    // --- users ------------------------------------------------------------------

    /// The user mapped to (tenant, external id), if any.
    pub async fn find_user(
        &self,
        tenant: &TenantId,
        external_id: &str,
    ) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT id FROM users WHERE tenant = $1 AND external_id = $2")
            .bind(tenant.as_str())
            .bind(external_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// Creates the user for (tenant, external id), or updates its profile when it
    /// exists. Idempotent; concurrent calls agree on one id.
    pub async fn upsert_user(
        &self,
        tenant: &TenantId,
        external_id: &str,
        profile: Option<&serde_json::Value>,
        new_id: &str,
        now: i64,
    ) -> Result<User, DbError> {
        let inserted = sqlx::query(
            "INSERT INTO users (id, tenant, external_id, profile, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (tenant, external_id) DO NOTHING",
        )
        .bind(new_id)
        .bind(tenant.as_str())
        .bind(external_id)
        .bind(profile.map_or_else(|| "{}".to_owned(), |p| p.to_string()))
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        if !inserted {
            if let Some(profile) = profile {
                sqlx::query(
                    "UPDATE users SET profile = $1, updated_at = $2 \
                     WHERE tenant = $3 AND external_id = $4",
                )
                .bind(profile.to_string())
                .bind(now)
                .bind(tenant.as_str())
                .bind(external_id)
                .execute(&self.pool)
                .await?;
            }
        }
        let id = self
            .find_user(tenant, external_id)
            .await?
            .ok_or(DbError::Corrupt("users"))?;
        Ok(User {
            id,
            created: inserted,
        })
    }

    /// Deletes the user for (tenant, external id) with their record, account links and
    /// pending embed sessions (foreign keys cascade). Their tokens stop working at once
    /// ([`Db::token_live`]). The deleted user's id, or `None` when there was none.
    pub async fn delete_user(
        &self,
        tenant: &TenantId,
        external_id: &str,
    ) -> Result<Option<String>, DbError> {
        let row =
            sqlx::query("DELETE FROM users WHERE tenant = $1 AND external_id = $2 RETURNING id")
                .bind(tenant.as_str())
                .bind(external_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// The tenant of an XYZ user, if the user exists.
    pub async fn user_tenant(&self, user_id: &str) -> Result<Option<TenantId>, DbError> {
        let row = sqlx::query("SELECT tenant FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            TenantId::new(r.try_get::<String, _>("tenant")?).map_err(|_| DbError::Corrupt("users"))
        })
        .transpose()
    }

    // --- downstreams, services, IdPs ---------------------------------------------

    /// Inserts a downstream; a duplicate id, audience or issuer is a unique violation.
    pub async fn insert_downstream(&self, d: &Downstream, now: i64) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO downstreams (id, audience, issuer, jwks, scopes, token_lifetime_secs, \
             sync_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(d.id.as_str())
        .bind(&d.audience)
        .bind(&d.issuer)
        .bind(d.jwks.to_json().to_string())
        .bind(d.scopes.to_string())
        .bind(d.token_lifetime_secs)
        .bind(d.sync_url.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every downstream, by id.
    pub async fn downstreams(&self) -> Result<Vec<Downstream>, DbError> {
        let rows = sqlx::query(&format!("{DOWNSTREAM_SELECT} ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(downstream_from_row).collect()
    }

    /// The downstream whose `column` (`id`, `audience` or `issuer`) is `value`.
    pub async fn downstream_by(
        &self,
        column: DownstreamKey,
        value: &str,
    ) -> Result<Option<Downstream>, DbError> {
        let column = match column {
            DownstreamKey::Id => "id",
            DownstreamKey::Audience => "audience",
            DownstreamKey::Issuer => "issuer",
        };
        let row = sqlx::query(&format!("{DOWNSTREAM_SELECT} WHERE {column} = $1"))
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(downstream_from_row).transpose()
    }

    /// Removes a downstream (and, by cascade, every link to it). False when there is
    /// none.
    pub async fn remove_downstream(&self, id: &DownstreamId) -> Result<bool, DbError> {
        self.remove_registry_row("DELETE FROM downstreams WHERE id = $1", id.as_str())
            .await
    }

    /// Inserts a service; a duplicate client id is a unique violation.
    pub async fn insert_service(&self, s: &Service, now: i64) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        let corrupt = |_| DbError::Corrupt("services");
        sqlx::query(
            "INSERT INTO services (client_id, jwks, accepts, targets, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(s.client_id.as_str())
        .bind(s.jwks.as_ref().map(|j| j.to_json().to_string()))
        .bind(serde_json::to_string(&s.accepts).map_err(corrupt)?)
        .bind(serde_json::to_string(&s.targets).map_err(corrupt)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every service, by client id.
    pub async fn services(&self) -> Result<Vec<Service>, DbError> {
        let rows = sqlx::query(&format!("{SERVICE_SELECT} ORDER BY client_id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(service_from_row).collect()
    }

    /// The service with this client id.
    pub async fn service(&self, client_id: &str) -> Result<Option<Service>, DbError> {
        let row = sqlx::query(&format!("{SERVICE_SELECT} WHERE client_id = $1"))
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(service_from_row).transpose()
    }

    /// Removes a service. False when there is none.
    pub async fn remove_service(&self, client_id: &ClientId) -> Result<bool, DbError> {
        self.remove_registry_row(
            "DELETE FROM services WHERE client_id = $1",
            client_id.as_str(),
        )
        .await
    }

    /// Inserts an IdP; a duplicate issuer is a unique violation.
    pub async fn insert_idp(&self, idp: &Idp, now: i64) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO idps (issuer, tenant, jwks, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&idp.issuer)
        .bind(idp.tenant.as_str())
        .bind(idp.jwks.to_json().to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every IdP, by issuer.
    pub async fn idps(&self) -> Result<Vec<Idp>, DbError> {
        let rows = sqlx::query("SELECT issuer, tenant, jwks FROM idps ORDER BY issuer")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(idp_from_row).collect()
    }

    /// The IdP with this issuer.
    pub async fn idp(&self, issuer: &str) -> Result<Option<Idp>, DbError> {
        let row = sqlx::query("SELECT issuer, tenant, jwks FROM idps WHERE issuer = $1")
            .bind(issuer)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(idp_from_row).transpose()
    }

    /// Removes an IdP. False when there is none.
    pub async fn remove_idp(&self, issuer: &str) -> Result<bool, DbError> {
        self.remove_registry_row("DELETE FROM idps WHERE issuer = $1", issuer)
            .await
    }

    // --- account links ------------------------------------------------------------

    /// Links the user's account to `subject` at `downstream`, unless the user already
    /// has a link there: an existing link is never replaced (unlinking is its own
    /// step). Returns whether the link is new, and the subject linked there now:
    /// `subject`, or the one that stays. Another user's link to the same subject is a
    /// unique violation.
    pub async fn insert_link(
        &self,
        user: &str,
        downstream: &DownstreamId,
        subject: &str,
        now: i64,
    ) -> Result<(bool, String), DbError> {
        let r = sqlx::query(
            "INSERT INTO links (user_id, downstream, subject, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, downstream) DO NOTHING",
        )
        .bind(user)
        .bind(downstream.as_str())
        .bind(subject)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let now_linked = self
            .linked_subject(user, downstream)
            .await?
            .ok_or(DbError::Corrupt("links"))?;
        Ok((r.rows_affected() == 1, now_linked))
    }

    /// Stores a link nonce (its hash) for `user` and `downstream`, and forgets expired
    /// ones.
    pub async fn insert_link_nonce(
        &self,
        nonce_hash: &str,
        user: &str,
        downstream: &DownstreamId,
        expires_at: i64,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query("DELETE FROM link_nonces WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO link_nonces (nonce_hash, user_id, downstream, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(nonce_hash)
        .bind(user)
        .bind(downstream.as_str())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Spends the nonce with this hash if it was issued to `user` for `downstream` and
    /// has not expired: true once, on any replica (the delete is the check).
    pub async fn spend_link_nonce(
        &self,
        nonce_hash: &str,
        user: &str,
        downstream: &DownstreamId,
        now: i64,
    ) -> Result<bool, DbError> {
        let r = sqlx::query(
            "DELETE FROM link_nonces WHERE nonce_hash = $1 AND user_id = $2 \
             AND downstream = $3 AND expires_at >= $4",
        )
        .bind(nonce_hash)
        .bind(user)
        .bind(downstream.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The user's links, by downstream.
    pub async fn links(&self, user: &str) -> Result<Vec<Link>, DbError> {
        let rows = sqlx::query(
            "SELECT downstream, subject, created_at, synced_at, sync_status FROM links \
             WHERE user_id = $1 ORDER BY downstream",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Link {
                    downstream: DownstreamId::new(r.try_get::<String, _>("downstream")?)
                        .map_err(|_| DbError::Corrupt("links"))?,
                    subject: r.try_get("subject")?,
                    linked_at: r.try_get("created_at")?,
                    synced_at: r.try_get("synced_at")?,
                    sync_status: r.try_get("sync_status")?,
                })
            })
            .collect()
    }

    /// The user's id at `downstream`, if linked.
    pub async fn linked_subject(
        &self,
        user: &str,
        downstream: &DownstreamId,
    ) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT subject FROM links WHERE user_id = $1 AND downstream = $2")
            .bind(user)
            .bind(downstream.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("subject")).transpose()?)
    }

    /// The XYZ user linked to `subject` at `downstream`, if any.
    pub async fn linked_user(
        &self,
        downstream: &DownstreamId,
        subject: &str,
    ) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT user_id FROM links WHERE downstream = $1 AND subject = $2")
            .bind(downstream.as_str())
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("user_id")).transpose()?)
    }

    /// Removes the user's link to `downstream`. False when there is none.
    pub async fn remove_link(
        &self,
        user: &str,
        downstream: &DownstreamId,
    ) -> Result<bool, DbError> {
        let r = sqlx::query("DELETE FROM links WHERE user_id = $1 AND downstream = $2")
            .bind(user)
            .bind(downstream.as_str())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Notes how the last record sync to `downstream` ended, if the link to `subject`
    /// still stands.
    pub async fn note_sync(
        &self,
        user: &str,
        downstream: &DownstreamId,
        subject: &str,
        at: i64,
        status: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE links SET synced_at = $1, sync_status = $2 \
             WHERE user_id = $3 AND downstream = $4 AND subject = $5",
        )
        .bind(at)
        .bind(status)
        .bind(user)
        .bind(downstream.as_str())
        .bind(subject)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The raw pool, for the data API's transactions.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Marks the registry changed, inside the transaction that changes it.
async fn bump_registry(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), DbError> {
    sqlx::query("UPDATE registry_version SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A query with a partner's changeable settings bound as `$1` to `$6`: jwks, origins,
/// scopes, token lifetime, JIT users, token exposure.
fn bind_settings<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    p: &Partner,
) -> Result<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>, DbError> {
    Ok(q.bind(p.jwks.to_json().to_string())
        .bind(serde_json::to_string(&p.origins).map_err(|_| DbError::Corrupt("partners"))?)
        .bind(p.scopes.to_string())
        .bind(p.token_lifetime_secs)
        .bind(i64::from(p.jit_users))
        .bind(i64::from(p.expose_tokens)))
}

const PARTNER_SELECT: &str = "SELECT client_id, tenant, issuer, jwks, origins, scopes, \
     token_lifetime_secs, jit_users, expose_tokens FROM partners";

fn partner_from_row(r: &AnyRow) -> Result<Partner, DbError> {
    let corrupt = |_| DbError::Corrupt("partners");
    Ok(Partner {
        client_id: ClientId::new(r.try_get::<String, _>("client_id")?).map_err(corrupt)?,
        tenant: TenantId::new(r.try_get::<String, _>("tenant")?).map_err(corrupt)?,
        issuer: r.try_get("issuer")?,
        jwks: match Jwks::parse(r.try_get("jwks")?) {
            Ok(jwks) => jwks,
            // A partner registered without keys (it uses a client secret).
            Err(JwkError::Empty) => Jwks::default(),
            Err(_) => return Err(DbError::Corrupt("partners")),
        },
        origins: serde_json::from_str(r.try_get("origins")?)
            .map_err(|_| DbError::Corrupt("partners"))?,
        scopes: ScopeSet::parse(r.try_get("scopes")?).map_err(|_| DbError::Corrupt("partners"))?,
        token_lifetime_secs: r.try_get("token_lifetime_secs")?,
        jit_users: r.try_get::<i64, _>("jit_users")? != 0,
        expose_tokens: r.try_get::<i64, _>("expose_tokens")? != 0,
    })
}

/// The columns a downstream is found by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DownstreamKey {
    /// Its registry id.
    Id,
    /// The `aud` of tokens for it.
    Audience,
    /// The `iss` of its link statements.
    Issuer,
}

const DOWNSTREAM_SELECT: &str = "SELECT id, audience, issuer, jwks, scopes, token_lifetime_secs, \
     sync_url FROM downstreams";

fn downstream_from_row(r: &AnyRow) -> Result<Downstream, DbError> {
    let corrupt = || DbError::Corrupt("downstreams");
    Ok(Downstream {
        id: DownstreamId::new(r.try_get::<String, _>("id")?).map_err(|_| corrupt())?,
        audience: r.try_get("audience")?,
        issuer: r.try_get("issuer")?,
        jwks: Jwks::parse(r.try_get("jwks")?).map_err(|_| corrupt())?,
        scopes: ScopeSet::parse(r.try_get("scopes")?).map_err(|_| corrupt())?,
        token_lifetime_secs: r.try_get("token_lifetime_secs")?,
        sync_url: r.try_get("sync_url")?,
    })
}

const SERVICE_SELECT: &str = "SELECT client_id, jwks, accepts, targets FROM services";

fn service_from_row(r: &AnyRow) -> Result<Service, DbError> {
    let corrupt = || DbError::Corrupt("services");
    Ok(Service {
        client_id: ClientId::new(r.try_get::<String, _>("client_id")?).map_err(|_| corrupt())?,
        jwks: r
            .try_get::<Option<&str>, _>("jwks")?
            .map(Jwks::parse)
            .transpose()
            .map_err(|_| corrupt())?,
        accepts: serde_json::from_str(r.try_get("accepts")?).map_err(|_| corrupt())?,
        targets: serde_json::from_str(r.try_get("targets")?).map_err(|_| corrupt())?,
    })
}

fn idp_from_row(r: &AnyRow) -> Result<Idp, DbError> {
    let corrupt = || DbError::Corrupt("idps");
    Ok(Idp {
        issuer: r.try_get("issuer")?,
        tenant: TenantId::new(r.try_get::<String, _>("tenant")?).map_err(|_| corrupt())?,
        jwks: Jwks::parse(r.try_get("jwks")?).map_err(|_| corrupt())?,
    })
}
