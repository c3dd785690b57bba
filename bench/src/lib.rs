//! Fixtures of the Crosspass benchmarks: databases seeded with many partners and users
//! for the load tests (`crosspass-bench seed`, driven by `npm run bench`).
//!
//! Rows are named so that the harness can mint assertions for them without reading
//! anything back (`bench/lib/server.mjs` relies on these names):
//! partner `i` (from 0) has client id and tenant `p{i}`, and `http://p{i}.localhost` as
//! its issuer and only origin; user `j` has external id `user{j}` in tenant
//! `p{j mod partners}` and a stored record.
#![deny(missing_docs)]

use crosspass_server::db::{Db, DbError};
use crosspass_server::registry::{PartnerInput, RegistryError};
use sqlx::Row;

/// The record every seeded user starts with (the demo form's fields).
pub const RECORD: &str = r#"{"company":"Bench Company","employees":42,"plan":"team","renewal":"2027-01-31","newsletter":true}"#;

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The server's storage layer refused.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A bulk statement failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A partner registration did not validate.
    #[error("partner: {0}")]
    Registry(#[from] RegistryError),
}

/// Partner `i`'s registration, exactly as `crosspass partner add` would make it.
pub fn partner_input(i: u64, jwks: &str) -> PartnerInput {
    let origin = format!("http://p{i}.localhost");
    PartnerInput {
        client_id: format!("p{i}"),
        tenant: format!("p{i}"),
        issuer: origin.clone(),
        jwks: jwks.to_owned(),
        origins: vec![origin],
        scopes: "form.read form.write".into(),
        token_lifetime_secs: 600,
        jit_users: false,
        expose_tokens: false,
        allow_http_origins: false,
    }
}

async fn count(db: &Db, table: &str) -> Result<u64, SeedError> {
    let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Registers partners `p{have}`…`p{total - 1}`, all pinning `jwks`, through the same
/// validation and insert as the CLI. Returns how many were added.
pub async fn seed_partners(db: &Db, total: u64, jwks: &str, now: i64) -> Result<u64, SeedError> {
    let have = count(db, "partners").await?;
    for i in have..total {
        db.insert_partner(&partner_input(i, jwks).validate()?, now)
            .await?;
    }
    Ok(total.saturating_sub(have))
}

/// Adds users `user{have}`…`user{total - 1}` spread over `partners` tenants, each with
/// a record, in two bulk statements (a million rows take seconds, not minutes).
/// Returns how many were added.
pub async fn seed_users(db: &Db, total: u64, partners: u64, now: i64) -> Result<u64, SeedError> {
    let have = count(db, "users").await?;
    if total <= have {
        return Ok(0);
    }
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let mut conn = db.pool().acquire().await?;
    // Room for the whole index in memory: random ids make the inserts scattered.
    sqlx::query("PRAGMA cache_size = -524288")
        .execute(&mut *conn)
        .await?;
    let last: i64 = sqlx::query("SELECT COALESCE(MAX(rowid), 0) FROM users")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    // Ids look like the server's own (`u_` and random characters).
    sqlx::query(
        "WITH RECURSIVE n(j) AS (SELECT $1 UNION ALL SELECT j + 1 FROM n WHERE j + 1 < $2) \
         INSERT INTO users (id, tenant, external_id, profile, created_at, updated_at) \
         SELECT 'u_' || lower(hex(randomblob(12))), 'p' || (j % $3), 'user' || j, '{}', $4, $4 \
         FROM n",
    )
    .bind(as_i64(have))
    .bind(as_i64(total))
    .bind(as_i64(partners.max(1)))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO records (user_id, tenant, data, version, updated_at) \
         SELECT id, tenant, $1, 1, $2 FROM users WHERE rowid > $3",
    )
    .bind(RECORD)
    .bind(now)
    .bind(last)
    .execute(&mut *conn)
    .await?;
    Ok(total - have)
}
