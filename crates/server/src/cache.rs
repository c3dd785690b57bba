//! A short-lived in-memory view of the registry. Every token redemption, exchange and
//! API call needs its partner (or service, downstream, IdP); reading each once per
//! `ttl` per replica instead of once per request keeps the database for what must be
//! shared (jtis, records). Registry edits made with the CLI therefore take effect
//! within `ttl`.

use crate::db::{Db, DbError, DownstreamKey};
use crate::registry::{Downstream, Idp, Partner, Service};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Entries kept per kind before the map starts over (unknown keys are cached too, so
/// a flood of made-up ones must not grow it without bound).
const MAX_ENTRIES: usize = 4096;

/// When an entry was read, and what: the value, or `None` when there is none.
type Entry<V> = (Instant, Option<Arc<V>>);

/// Entries of one kind, each fresh for `ttl`.
#[derive(Debug)]
struct TtlMap<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash, V> TtlMap<K, V> {
    fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    async fn get(
        &self,
        key: K,
        load: impl Future<Output = Result<Option<V>, DbError>>,
    ) -> Result<Option<Arc<V>>, DbError> {
        {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, hit)) = entries.get(&key) {
                if at.elapsed() < self.ttl {
                    return Ok(hit.clone());
                }
            }
        }
        let value = load.await?.map(Arc::new);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value.clone()));
        Ok(value)
    }
}

/// The registry entries requests look up, each kind by the keys it is found by.
#[derive(Debug)]
pub struct RegistryCache {
    partners: TtlMap<String, Partner>,
    partners_by_issuer: TtlMap<String, Partner>,
    idps: TtlMap<String, Idp>,
    services: TtlMap<String, Service>,
    downstreams: TtlMap<(DownstreamKey, String), Downstream>,
}

impl RegistryCache {
    /// An empty cache.
    pub fn new(ttl: Duration) -> Self {
        Self {
            partners: TtlMap::new(ttl),
            partners_by_issuer: TtlMap::new(ttl),
            idps: TtlMap::new(ttl),
            services: TtlMap::new(ttl),
            downstreams: TtlMap::new(ttl),
        }
    }

    /// The partner with this client id.
    pub async fn partner(&self, db: &Db, client_id: &str) -> Result<Option<Arc<Partner>>, DbError> {
        self.partners
            .get(client_id.to_owned(), db.partner(client_id))
            .await
    }

    /// The partner whose assertions carry this `iss`.
    pub async fn partner_by_issuer(
        &self,
        db: &Db,
        issuer: &str,
    ) -> Result<Option<Arc<Partner>>, DbError> {
        self.partners_by_issuer
            .get(issuer.to_owned(), db.partner_by_issuer(issuer))
            .await
    }

    /// The enterprise IdP whose ID-JAGs carry this `iss`.
    pub async fn idp(&self, db: &Db, issuer: &str) -> Result<Option<Arc<Idp>>, DbError> {
        self.idps.get(issuer.to_owned(), db.idp(issuer)).await
    }

    /// The service with this client id.
    pub async fn service(&self, db: &Db, client_id: &str) -> Result<Option<Arc<Service>>, DbError> {
        self.services
            .get(client_id.to_owned(), db.service(client_id))
            .await
    }

    /// The downstream whose `key` is `value`.
    pub async fn downstream(
        &self,
        db: &Db,
        key: DownstreamKey,
        value: &str,
    ) -> Result<Option<Arc<Downstream>>, DbError> {
        self.downstreams
            .get((key, value.to_owned()), db.downstream_by(key, value))
            .await
    }
}
