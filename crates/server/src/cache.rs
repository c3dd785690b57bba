//! A short-lived in-memory view of the partner registry. Every token redemption and
//! API call needs its partner; reading it once per `ttl` per replica instead of once
//! per request keeps the database for what must be shared (jtis, records). Registry
//! edits made with the CLI therefore take effect within `ttl`.

use crate::db::{Db, DbError};
use crate::registry::Partner;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Entries kept before the cache starts over (unknown issuers are cached too, so a
/// flood of made-up ones must not grow it without bound).
const MAX_ENTRIES: usize = 4096;

type Entries = HashMap<Key, (Instant, Option<Arc<Partner>>)>;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    ClientId(String),
    Issuer(String),
}

/// Partners by client id and by issuer, each entry fresh for `ttl`.
#[derive(Debug)]
pub struct PartnerCache {
    ttl: Duration,
    entries: Mutex<Entries>,
}

impl PartnerCache {
    /// An empty cache.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lookup(&self, key: &Key) -> Option<Option<Arc<Partner>>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, p)| p.clone())
    }

    fn store(&self, key: Key, partner: Option<Arc<Partner>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), partner));
    }

    /// The partner with this client id.
    pub async fn by_client_id(
        &self,
        db: &Db,
        client_id: &str,
    ) -> Result<Option<Arc<Partner>>, DbError> {
        let key = Key::ClientId(client_id.to_owned());
        if let Some(hit) = self.lookup(&key) {
            return Ok(hit);
        }
        let partner = db.partner(client_id).await?.map(Arc::new);
        self.store(key, partner.clone());
        Ok(partner)
    }

    /// The partner whose assertions carry this `iss`.
    pub async fn by_issuer(&self, db: &Db, issuer: &str) -> Result<Option<Arc<Partner>>, DbError> {
        let key = Key::Issuer(issuer.to_owned());
        if let Some(hit) = self.lookup(&key) {
            return Ok(hit);
        }
        let partner = db.partner_by_issuer(issuer).await?.map(Arc::new);
        self.store(key, partner.clone());
        Ok(partner)
    }
}
