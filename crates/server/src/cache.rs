//! An in-memory view of the registry. Every token redemption, exchange and API call
//! needs its partner (or service, downstream, IdP); this replica keeps the entries it
//! has read for as long as the registry's change counter stands still, and reads only
//! that counter, at most once per `ttl`, to find out. Registry edits made with the CLI
//! therefore take effect within `ttl`, and with ten thousand partners the database
//! still answers one small query per `ttl` rather than one per request.

use crate::db::{Db, DbError, DownstreamKey};
use crate::registry::{Downstream, Idp, Partner, Service};
use crosspass_protocol::{ClientId, OriginAllowlist};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Entries kept per kind before the map is thinned. Unknown keys are cached too, so a
/// flood of made-up ones must not grow it without bound; they are dropped first.
const MAX_ENTRIES: usize = 65_536;
/// Bytes of keys of unknown entries kept per kind: made-up keys are the caller's
/// choice, so they are bounded by size as well as by number.
const MAX_MISS_BYTES: usize = 1 << 20;
/// Longest key that can name a registry entry: issuers and audiences are at most 256
/// characters (`registry.rs`), client ids 64. A longer one is unknown without a lookup.
const MAX_KEY_LEN: usize = 256;

/// Whether `key` could name a registry entry at all; one that cannot is answered
/// "unknown" without touching the database or the cache.
fn plausible(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && !key.chars().any(char::is_control)
}

/// The bytes a key holds.
trait KeyBytes {
    fn bytes(&self) -> usize;
}

impl KeyBytes for String {
    fn bytes(&self) -> usize {
        self.len()
    }
}

impl KeyBytes for (DownstreamKey, String) {
    fn bytes(&self) -> usize {
        self.1.len()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The entries read at one registry version: the value, or `None` when there is none,
/// and the bytes of the keys of the `None`s.
#[derive(Debug)]
struct Versioned<K, V> {
    version: Option<i64>,
    entries: HashMap<K, Option<Arc<V>>>,
    miss_bytes: usize,
}

impl<K, V> Versioned<K, V> {
    fn at(version: Option<i64>) -> Self {
        Self {
            version,
            entries: HashMap::new(),
            miss_bytes: 0,
        }
    }
}

/// Entries of one kind.
#[derive(Debug)]
struct Map<K, V> {
    entries: Mutex<Versioned<K, V>>,
}

impl<K: Eq + Hash + KeyBytes, V> Map<K, V> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(Versioned::at(None)),
        }
    }

    /// The entry for `key` at registry version `version`, read with `load` if absent.
    async fn get(
        &self,
        version: i64,
        key: K,
        load: impl Future<Output = Result<Option<V>, DbError>>,
    ) -> Result<Option<Arc<V>>, DbError> {
        {
            let mut map = lock(&self.entries);
            if map.version != Some(version) {
                *map = Versioned::at(Some(version));
            }
            if let Some(hit) = map.entries.get(&key) {
                return Ok(hit.clone());
            }
        }
        let value = load.await?.map(Arc::new);
        let mut map = lock(&self.entries);
        // A row read before a change the cache has since seen must not outlive it.
        if map.version == Some(version) {
            let miss = if value.is_none() { key.bytes() } else { 0 };
            if map.entries.len() >= MAX_ENTRIES || map.miss_bytes + miss > MAX_MISS_BYTES {
                map.entries.retain(|_, v| v.is_some());
                map.miss_bytes = 0;
                if map.entries.len() >= MAX_ENTRIES {
                    map.entries.clear();
                }
            }
            map.miss_bytes += miss;
            map.entries.insert(key, value.clone());
        }
        Ok(value)
    }
}

/// The registry version last read, and when.
#[derive(Debug, Default)]
struct Version {
    seen: Option<(i64, Instant)>,
}

/// The registry entries requests look up, each kind by the keys it is found by.
#[derive(Debug)]
pub struct RegistryCache {
    ttl: Duration,
    version: Mutex<Version>,
    partners: Map<String, Partner>,
    partners_by_issuer: Map<String, Partner>,
    idps: Map<String, Idp>,
    services: Map<String, Service>,
    downstreams: Map<(DownstreamKey, String), Downstream>,
    /// Every partner's origins, for CORS preflights (which carry no token to tell the
    /// client by), at one registry version.
    origins: Mutex<Option<(i64, Arc<Vec<OriginAllowlist>>)>>,
}

impl RegistryCache {
    /// An empty cache that rereads the registry version at most every `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            version: Mutex::new(Version::default()),
            partners: Map::new(),
            partners_by_issuer: Map::new(),
            idps: Map::new(),
            services: Map::new(),
            downstreams: Map::new(),
            origins: Mutex::new(None),
        }
    }

    /// The registry version, read from the database when the last read is `ttl` old.
    pub async fn version(&self, db: &Db) -> Result<i64, DbError> {
        if let Some((v, at)) = lock(&self.version).seen {
            if at.elapsed() < self.ttl {
                return Ok(v);
            }
        }
        let v = db.registry_version().await?;
        lock(&self.version).seen = Some((v, Instant::now()));
        Ok(v)
    }

    /// Whether `origin` is registered for any partner: one database read per registry
    /// version, not one per request.
    pub async fn registered_anywhere(&self, db: &Db, origin: &str) -> Result<bool, DbError> {
        let v = self.version(db).await?;
        let cached = lock(&self.origins)
            .as_ref()
            .filter(|(at, _)| *at == v)
            .map(|(_, all)| Arc::clone(all));
        let all = match cached {
            Some(all) => all,
            None => {
                let all = Arc::new(db.all_origins().await?);
                *lock(&self.origins) = Some((v, Arc::clone(&all)));
                all
            }
        };
        Ok(all.iter().any(|list| list.allows_serialized(origin)))
    }

    /// The partner with this client id.
    pub async fn partner(&self, db: &Db, client_id: &str) -> Result<Option<Arc<Partner>>, DbError> {
        if ClientId::new(client_id).is_err() {
            return Ok(None);
        }
        let v = self.version(db).await?;
        self.partners
            .get(v, client_id.to_owned(), db.partner(client_id))
            .await
    }

    /// The partner whose assertions carry this `iss`.
    pub async fn partner_by_issuer(
        &self,
        db: &Db,
        issuer: &str,
    ) -> Result<Option<Arc<Partner>>, DbError> {
        if !plausible(issuer) {
            return Ok(None);
        }
        let v = self.version(db).await?;
        self.partners_by_issuer
            .get(v, issuer.to_owned(), db.partner_by_issuer(issuer))
            .await
    }

    /// The enterprise IdP whose ID-JAGs carry this `iss`.
    pub async fn idp(&self, db: &Db, issuer: &str) -> Result<Option<Arc<Idp>>, DbError> {
        if !plausible(issuer) {
            return Ok(None);
        }
        let v = self.version(db).await?;
        self.idps.get(v, issuer.to_owned(), db.idp(issuer)).await
    }

    /// The service with this client id.
    pub async fn service(&self, db: &Db, client_id: &str) -> Result<Option<Arc<Service>>, DbError> {
        if ClientId::new(client_id).is_err() {
            return Ok(None);
        }
        let v = self.version(db).await?;
        self.services
            .get(v, client_id.to_owned(), db.service(client_id))
            .await
    }

    /// The downstream whose `key` is `value`.
    pub async fn downstream(
        &self,
        db: &Db,
        key: DownstreamKey,
        value: &str,
    ) -> Result<Option<Arc<Downstream>>, DbError> {
        if !plausible(value) {
            return Ok(None);
        }
        let v = self.version(db).await?;
        self.downstreams
            .get(v, (key, value.to_owned()), db.downstream_by(key, value))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::PartnerInput;
    use crosspass_jwt::{Jwks, SigningKey};
    use crosspass_protocol::ClientId;

    fn jwks(seed: u8) -> Jwks {
        let key = SigningKey::ed25519(format!("k{seed}"), &[seed; 32]).unwrap();
        Jwks::new(vec![key.public_jwk()]).unwrap()
    }

    fn kid(p: &Partner) -> &str {
        p.jwks.keys()[0].kid()
    }

    fn partner(client: &str, issuer: &str, seed: u8) -> Partner {
        PartnerInput {
            client_id: client.into(),
            tenant: client.into(),
            issuer: issuer.into(),
            jwks: jwks(seed).to_json().to_string(),
            origins: vec![format!("http://{client}.localhost")],
            scopes: "form.read".into(),
            token_lifetime_secs: 600,
            jit_users: false,
            expose_tokens: false,
            allow_http_origins: false,
        }
        .validate()
        .unwrap()
    }

    /// A database holding partner abc (key `k1`).
    async fn abc_db(dir: &tempfile::TempDir) -> Db {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        db.insert_partner(&partner("abc", "http://abc.localhost", 1), 0)
            .await
            .unwrap();
        db
    }

    /// Replaces abc's keys with `jwks(n)`, as `crosspass partner rotate-key` does.
    async fn rekey(db: &Db, abc: &ClientId, n: u8) {
        let mut p = db.partner(abc.as_str()).await.unwrap().unwrap();
        p.jwks = jwks(n);
        assert!(db.update_partner(&p, 1).await.unwrap());
    }

    #[tokio::test]
    async fn entries_last_until_the_registry_changes() {
        let dir = tempfile::tempdir().unwrap();
        let db = abc_db(&dir).await;
        let cache = RegistryCache::new(Duration::from_millis(400));
        let abc = ClientId::new("abc").unwrap();
        let first = cache.partner(&db, "abc").await.unwrap().unwrap();
        assert_eq!(kid(&first), "k1");
        assert!(cache
            .partner_by_issuer(&db, "http://nobody")
            .await
            .unwrap()
            .is_none());

        // Past the ttl with no registry change, the cached partner is still served even
        // though its row changed behind the registry's back: nothing was reread.
        sqlx::query("UPDATE partners SET scopes = 'form.write'")
            .execute(db.pool())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let again = cache.partner(&db, "abc").await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &again));

        // A registry edit is seen once the ttl has passed, not before.
        rekey(&db, &abc, 2).await;
        let stale = cache.partner(&db, "abc").await.unwrap().unwrap();
        assert_eq!(kid(&stale), "k1");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let fresh = cache.partner(&db, "abc").await.unwrap().unwrap();
        assert_eq!(kid(&fresh), "k2");
        assert_eq!(fresh.scopes.to_string(), "form.write");

        // Removal, and an issuer registered after it was cached as unknown.
        db.remove_partner(&abc).await.unwrap();
        db.insert_partner(&partner("def", "http://nobody", 3), 2)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(cache.partner(&db, "abc").await.unwrap().is_none());
        let def = cache
            .partner_by_issuer(&db, "http://nobody")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(def.client_id.as_str(), "def");
        db.close().await;
    }

    #[tokio::test]
    async fn keys_that_cannot_exist_are_not_looked_up_and_misses_are_bounded_by_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let db = abc_db(&dir).await;
        let cache = RegistryCache::new(Duration::from_secs(60));
        let huge = "a".repeat(64 * 1024);
        assert!(cache.partner(&db, &huge).await.unwrap().is_none());
        assert!(cache.partner_by_issuer(&db, &huge).await.unwrap().is_none());
        assert!(cache.idp(&db, "http://x\n").await.unwrap().is_none());
        assert!(lock(&cache.partners.entries).entries.is_empty());
        assert!(lock(&cache.partners_by_issuer.entries).entries.is_empty());
        assert!(lock(&cache.idps.entries).entries.is_empty());

        // Plausible but unknown issuers: kept, up to the byte budget.
        for i in 0..6_000 {
            let issuer = format!("https://{i:0>240}");
            assert!(cache
                .partner_by_issuer(&db, &issuer)
                .await
                .unwrap()
                .is_none());
            let map = lock(&cache.partners_by_issuer.entries);
            assert!(map.miss_bytes <= MAX_MISS_BYTES, "{}", map.miss_bytes);
            let bytes: usize = map.entries.keys().map(String::len).sum();
            assert_eq!(bytes, map.miss_bytes);
        }
        // A known partner is still found, and kept, through the flood.
        assert!(cache
            .partner_by_issuer(&db, "http://abc.localhost")
            .await
            .unwrap()
            .is_some());
        db.close().await;
    }

    #[tokio::test]
    async fn a_row_read_across_a_registry_change_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = abc_db(&dir).await;
        let cache = RegistryCache::new(Duration::from_secs(60));
        let abc = ClientId::new("abc").unwrap();
        let before = cache.version(&db).await.unwrap();
        // The read returns the row as it was; meanwhile the key is rotated and the
        // cache learns of it.
        let read = async {
            let old = db.partner("abc").await;
            rekey(&db, &abc, 2).await;
            lock(&cache.version).seen = None;
            let after = cache.version(&db).await.unwrap();
            cache
                .partners
                .get(after, "other".into(), async { Ok(None) })
                .await
                .unwrap();
            old
        };
        let served = cache
            .partners
            .get(before, "abc".into(), read)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kid(&served), "k1");
        let next = cache.partner(&db, "abc").await.unwrap().unwrap();
        assert_eq!(kid(&next), "k2");
        db.close().await;
    }
}
