//! Storage. Every statement is plain SQL with `$n` parameters that SQLite and
//! PostgreSQL both accept; the schema lives in `migrations/`.

use crate::registry::Partner;
use crosspass_protocol::jws::{Jwks, SigningKey};
use crosspass_protocol::{jose, ClientId, OriginAllowlist, ScopeSet, TenantId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

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
}

/// A unique-constraint violation (duplicate client id, issuer, …).
pub fn is_unique_violation(e: &DbError) -> bool {
    matches!(e, DbError::Sqlx(sqlx::Error::Database(d)) if d.is_unique_violation())
}

/// The connection pool.
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
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

/// An XYZ user.
#[derive(Clone, Debug)]
pub struct User {
    /// Opaque XYZ user id.
    pub id: String,
    /// Whether this call created it.
    pub created: bool,
}

impl Db {
    /// Opens (creating the file and its directory if needed) and migrates.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let options = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            // 16 MiB of page cache per connection, 128 MiB at most for the pool (SQLite's
            // default is 2 MiB): with a million users the index pages that lookups and
            // jti inserts walk stay in memory instead of being read from the file again.
            .pragma("cache_size", "-16384");
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        // SQLite connections are in-process: there is nothing to test before handing one
        // out, and the test (a ping) would cost every query a second round trip to the
        // connection's worker thread.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // --- partners ---------------------------------------------------------------

    /// Inserts a new partner; a duplicate client id or issuer is a unique violation.
    pub async fn insert_partner(&self, p: &Partner, now: i64) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO partners (client_id, tenant, issuer, jwks, origins, scopes, \
             token_lifetime_secs, jit_users, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(p.client_id.as_str())
        .bind(p.tenant.as_str())
        .bind(&p.issuer)
        .bind(p.jwks.to_json().to_string())
        .bind(serde_json::to_string(&p.origins).map_err(|_| DbError::Corrupt("partners"))?)
        .bind(p.scopes.to_string())
        .bind(p.token_lifetime_secs)
        .bind(i64::from(p.jit_users))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a partner's pinned keys. False when there is no such partner.
    pub async fn set_partner_jwks(
        &self,
        client_id: &ClientId,
        jwks: &Jwks,
        now: i64,
    ) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("UPDATE partners SET jwks = $1, updated_at = $2 WHERE client_id = $3")
            .bind(jwks.to_json().to_string())
            .bind(now)
            .bind(client_id.as_str())
            .execute(&mut *tx)
            .await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Removes a partner. False when there is no such partner.
    pub async fn remove_partner(&self, client_id: &ClientId) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("DELETE FROM partners WHERE client_id = $1")
            .bind(client_id.as_str())
            .execute(&mut *tx)
            .await?;
        bump_registry(&mut tx).await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// The registry's change counter (see `migrations/0002_registry_version.sql`).
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
        .bind(jose::b64_encode(&key.secret_bytes()))
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
        .bind(jose::b64_encode(&key.secret_bytes()))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
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
        rows.iter()
            .map(|r| {
                let kid: String = r.try_get("kid")?;
                let alg: String = r.try_get("alg")?;
                let secret = jose::b64_decode(r.try_get("secret")?)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                    .ok_or(DbError::Corrupt("signing_keys"))?;
                let key = match alg.as_str() {
                    "EdDSA" => SigningKey::ed25519(kid, &secret),
                    "ES256" => SigningKey::p256(kid, &secret),
                    _ => return Err(DbError::Corrupt("signing_keys")),
                }
                .map_err(|_| DbError::Corrupt("signing_keys"))?;
                Ok(StoredKey {
                    key,
                    created_at: r.try_get("created_at")?,
                    publish_until: r.try_get("publish_until")?,
                })
            })
            .collect()
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

    /// Forgets `jti`s whose tokens can no longer be accepted anyway.
    pub async fn prune_jtis(&self, now: i64) -> Result<u64, DbError> {
        let r = sqlx::query("DELETE FROM used_jtis WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
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

    /// The raw pool, for the data API's transactions.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Marks the registry changed, inside the transaction that changes it.
async fn bump_registry(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<(), DbError> {
    sqlx::query("UPDATE registry_version SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const PARTNER_SELECT: &str = "SELECT client_id, tenant, issuer, jwks, origins, scopes, \
     token_lifetime_secs, jit_users FROM partners";

fn partner_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<Partner, DbError> {
    let corrupt = |_| DbError::Corrupt("partners");
    Ok(Partner {
        client_id: ClientId::new(r.try_get::<String, _>("client_id")?).map_err(corrupt)?,
        tenant: TenantId::new(r.try_get::<String, _>("tenant")?).map_err(corrupt)?,
        issuer: r.try_get("issuer")?,
        jwks: Jwks::parse(r.try_get("jwks")?).map_err(|_| DbError::Corrupt("partners"))?,
        origins: serde_json::from_str(r.try_get("origins")?)
            .map_err(|_| DbError::Corrupt("partners"))?,
        scopes: ScopeSet::parse(r.try_get("scopes")?).map_err(|_| DbError::Corrupt("partners"))?,
        token_lifetime_secs: r.try_get("token_lifetime_secs")?,
        jit_users: r.try_get::<i64, _>("jit_users")? != 0,
    })
}
