//! An in-memory view of the partner registry. Every token redemption and API call
//! needs its partner; this replica keeps the partners it has read for as long as the
//! registry's change counter stands still, and reads only that counter, at most once
//! per `ttl`, to find out. Registry edits made with the CLI therefore take effect
//! within `ttl`, and with ten thousand partners the database still answers one small
//! query per `ttl` rather than one per request.

use crate::db::{Db, DbError};
use crate::registry::Partner;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Entries kept before the cache starts over. Unknown issuers are cached too, so a
/// flood of made-up ones must not grow it without bound; they are dropped first.
const MAX_ENTRIES: usize = 65_536;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    ClientId(String),
    Issuer(String),
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<Key, Option<Arc<Partner>>>,
    /// The registry version the entries were read at.
    version: Option<i64>,
    /// When the version was last read.
    checked: Option<Instant>,
}

/// Partners by client id and by issuer, valid until the registry changes.
#[derive(Debug)]
pub struct PartnerCache {
    ttl: Duration,
    state: Mutex<State>,
}

impl PartnerCache {
    /// An empty cache that rereads the registry version at most every `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets everything once the registry has changed (checked at most every `ttl`).
    async fn revalidate(&self, db: &Db) -> Result<(), DbError> {
        let due = self
            .state()
            .checked
            .is_none_or(|at| at.elapsed() >= self.ttl);
        if !due {
            return Ok(());
        }
        let version = db.registry_version().await?;
        let mut state = self.state();
        if state.version != Some(version) {
            state.entries.clear();
            state.version = Some(version);
        }
        state.checked = Some(Instant::now());
        Ok(())
    }

    async fn get(
        &self,
        db: &Db,
        key: Key,
        read: impl std::future::Future<Output = Result<Option<Partner>, DbError>>,
    ) -> Result<Option<Arc<Partner>>, DbError> {
        self.revalidate(db).await?;
        let version = {
            let state = self.state();
            if let Some(hit) = state.entries.get(&key) {
                return Ok(hit.clone());
            }
            state.version
        };
        let partner = read.await?.map(Arc::new);
        let mut state = self.state();
        // A row read before a change the cache has since seen must not outlive it.
        if state.version == version {
            if state.entries.len() >= MAX_ENTRIES {
                state.entries.retain(|_, p| p.is_some());
                if state.entries.len() >= MAX_ENTRIES {
                    state.entries.clear();
                }
            }
            state.entries.insert(key, partner.clone());
        }
        Ok(partner)
    }

    /// The partner with this client id.
    pub async fn by_client_id(
        &self,
        db: &Db,
        client_id: &str,
    ) -> Result<Option<Arc<Partner>>, DbError> {
        let key = Key::ClientId(client_id.to_owned());
        self.get(db, key, db.partner(client_id)).await
    }

    /// The partner whose assertions carry this `iss`.
    pub async fn by_issuer(&self, db: &Db, issuer: &str) -> Result<Option<Arc<Partner>>, DbError> {
        let key = Key::Issuer(issuer.to_owned());
        self.get(db, key, db.partner_by_issuer(issuer)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::PartnerInput;
    use crosspass_protocol::jws::{Jwks, SigningKey};
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
        }
        .validate()
        .unwrap()
    }

    /// A database holding partner abc (key `k1`).
    async fn abc_db(dir: &tempfile::TempDir) -> Db {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
        let db = Db::connect(&url).await.unwrap();
        db.insert_partner(&partner("abc", "http://abc.localhost", 1), 0)
            .await
            .unwrap();
        db
    }

    #[tokio::test]
    async fn entries_last_until_the_registry_changes() {
        let dir = tempfile::tempdir().unwrap();
        let db = abc_db(&dir).await;
        let cache = PartnerCache::new(Duration::from_millis(400));
        let abc = ClientId::new("abc").unwrap();
        let first = cache.by_client_id(&db, "abc").await.unwrap().unwrap();
        assert_eq!(kid(&first), "k1");
        assert!(cache
            .by_issuer(&db, "http://nobody")
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
        let again = cache.by_client_id(&db, "abc").await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &again));

        // A registry edit is seen once the ttl has passed, not before.
        db.set_partner_jwks(&abc, &jwks(2), 1).await.unwrap();
        let stale = cache.by_client_id(&db, "abc").await.unwrap().unwrap();
        assert_eq!(kid(&stale), "k1");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let fresh = cache.by_client_id(&db, "abc").await.unwrap().unwrap();
        assert_eq!(kid(&fresh), "k2");
        assert_eq!(fresh.scopes.to_string(), "form.write");

        // Removal, and an issuer registered after it was cached as unknown.
        db.remove_partner(&abc).await.unwrap();
        db.insert_partner(&partner("def", "http://nobody", 3), 2)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(cache.by_client_id(&db, "abc").await.unwrap().is_none());
        let def = cache
            .by_issuer(&db, "http://nobody")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(def.client_id.as_str(), "def");
        db.close().await;
    }

    #[tokio::test]
    async fn a_row_read_across_a_registry_change_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = abc_db(&dir).await;
        let cache = PartnerCache::new(Duration::from_secs(60));
        let abc = ClientId::new("abc").unwrap();
        // The read returns the row as it was; meanwhile the key is rotated and the
        // cache learns of it.
        let read = async {
            let old = db.partner("abc").await;
            db.set_partner_jwks(&abc, &jwks(2), 1).await.unwrap();
            cache.state().checked = None;
            cache.revalidate(&db).await.unwrap();
            old
        };
        let served = cache
            .get(&db, Key::ClientId("abc".into()), read)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kid(&served), "k1");
        let next = cache.by_client_id(&db, "abc").await.unwrap().unwrap();
        assert_eq!(kid(&next), "k2");
        db.close().await;
    }
}
