//! XYZ's own signing keys: created on first start, rotated by `crosspass keys rotate`,
//! kept in memory and reloaded from the database so every replica sees a rotation.

use crate::config::MAX_TOKEN_LIFETIME_SECS;
use crate::db::{Db, DbError};
use crate::util::{now, random_id};
use crosspass_jwt::{validate_access_token, JwtError};
use crosspass_jwt::{Jwks, SigningKey};
use crosspass_protocol::claims::{AccessTokenClaims, AccessTokenExpectations};
use crosspass_protocol::AccessToken;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Access tokens remembered as correctly signed by one key set.
const MAX_VERIFIED: usize = 16_384;

/// The keys in use at one moment.
#[derive(Debug)]
pub struct KeySet {
    /// The key new tokens are signed with.
    pub current: SigningKey,
    /// Every published public key (the current one and retired ones still in use).
    pub public: Jwks,
    verified: Mutex<HashMap<Box<str>, Arc<AccessTokenClaims>>>,
}

impl KeySet {
    fn new(current: SigningKey, public: Jwks) -> Self {
        Self {
            current,
            public,
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Verifies an XYZ access token. A token whose signature this key set already
    /// verified skips the signature (it cannot change), never the claim checks; the
    /// memo dies with the key set, so a rotated-out key takes its tokens with it.
    pub fn validate_access_token(
        &self,
        token: &AccessToken,
        expect: &AccessTokenExpectations<'_>,
        now: i64,
    ) -> Result<Arc<AccessTokenClaims>, JwtError> {
        let text = token.expose_secret();
        let known = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(text)
            .cloned();
        if let Some(claims) = known {
            claims.check(expect, now, 0)?;
            return Ok(claims);
        }
        let claims = Arc::new(validate_access_token(token, &self.public, expect, now)?);
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= MAX_VERIFIED {
            verified.clear();
        }
        verified.insert(text.into(), Arc::clone(&claims));
        Ok(claims)
    }
}

/// Least time between two rereads forced by unknown `kid`s: a flood of made-up `kid`s
/// costs the database a few reads a second, however many requests carry them.
const FORCED_REREAD_GAP: Duration = Duration::from_millis(250);

/// Shared, reloadable key set.
#[derive(Clone, Debug)]
pub struct KeyStore {
    inner: Arc<RwLock<Arc<KeySet>>>,
    /// When the latest reread began. Rereads take the lock, so they run one at a time
    /// and a caller can tell whether one began after it asked.
    last_read: Arc<tokio::sync::Mutex<Instant>>,
}

fn new_key() -> Result<SigningKey, DbError> {
    let mut seed = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
    SigningKey::ed25519(format!("xyz-{}", random_id(9)), &seed)
        .map_err(|_| DbError::Corrupt("signing_keys"))
}

async fn load_set(db: &Db) -> Result<KeySet, DbError> {
    let now = now();
    let mut stored = db.keys(now).await?;
    if !stored.iter().any(|k| k.publish_until.is_none()) {
        db.insert_key(&new_key()?, now).await?;
        stored = db.keys(now).await?;
    }
    // Newest current key signs; when replicas raced on first start both keys are
    // current and both are published, so either signature verifies everywhere.
    let current = stored
        .iter()
        .find(|k| k.publish_until.is_none())
        .map(|k| k.key.clone())
        .ok_or(DbError::Corrupt("signing_keys"))?;
    let public = Jwks::new(stored.iter().map(|k| k.key.public_jwk()).collect())
        .map_err(|_| DbError::Corrupt("signing_keys"))?;
    Ok(KeySet::new(current, public))
}

/// Adds a new current key; the previous ones stay published until every token they
/// signed has expired.
pub async fn rotate(db: &Db, clock_skew_secs: i64) -> Result<SigningKey, DbError> {
    let key = new_key()?;
    let now = now();
    db.rotate_to(&key, now, now + MAX_TOKEN_LIFETIME_SECS + clock_skew_secs)
        .await?;
    Ok(key)
}

/// Why `crosspass keys revoke` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum RevokeKeyError {
    /// No published key has this id.
    #[error("no published signing key has this kid")]
    Unknown,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Emergency removal of a signing key: it leaves the JWKS and every token it signed is
/// refused, on every replica within `registry_cache_secs`. A current key is first
/// replaced by a new one. Returns the kid of the key that signs from now on.
pub async fn revoke(db: &Db, kid: &str, clock_skew_secs: i64) -> Result<String, RevokeKeyError> {
    let stored = db.keys(now()).await?;
    let target = stored
        .iter()
        .find(|k| k.key.kid() == kid)
        .ok_or(RevokeKeyError::Unknown)?;
    let current = if target.publish_until.is_none() {
        rotate(db, clock_skew_secs).await?.kid().to_owned()
    } else {
        stored
            .iter()
            .find(|k| k.publish_until.is_none())
            .map(|k| k.key.kid().to_owned())
            .unwrap_or_default()
    };
    if !db.remove_retired_key(kid).await? {
        return Err(RevokeKeyError::Unknown);
    }
    Ok(current)
}

impl KeyStore {
    /// Loads the keys, creating the first one if there is none.
    pub async fn load(db: &Db) -> Result<Self, DbError> {
        let began = Instant::now();
        let set = load_set(db).await?;
        Ok(Self {
            inner: Arc::new(RwLock::new(Arc::new(set))),
            last_read: Arc::new(tokio::sync::Mutex::new(began)),
        })
    }

    /// The current key set.
    pub fn get(&self) -> Arc<KeySet> {
        match self.inner.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Verifies an XYZ access token, rereading the keys once when it names a `kid`
    /// this replica does not know yet (another replica may have just rotated).
    pub async fn validate(
        &self,
        db: &Db,
        token: &AccessToken,
        expect: &AccessTokenExpectations<'_>,
    ) -> Result<Result<Arc<AccessTokenClaims>, JwtError>, DbError> {
        let result = self.get().validate_access_token(token, expect, now());
        if result != Err(JwtError::UnknownKey) {
            return Ok(result);
        }
        self.reload_for_unknown_kid(db).await?;
        Ok(self.get().validate_access_token(token, expect, now()))
    }

    /// Rereads the keys from the database.
    pub async fn reload(&self, db: &Db) -> Result<(), DbError> {
        let mut last = self.last_read.lock().await;
        self.read(db, &mut last).await
    }

    /// Rereads the keys because a token named a `kid` this replica does not know:
    /// another replica may have just rotated a key in. Returns once a reread that
    /// began after the call has finished; callers at the same moment share one, and
    /// forced rereads are at least [`FORCED_REREAD_GAP`] apart (later callers wait).
    pub async fn reload_for_unknown_kid(&self, db: &Db) -> Result<(), DbError> {
        let asked = Instant::now();
        let mut last = self.last_read.lock().await;
        if *last > asked {
            return Ok(());
        }
        tokio::time::sleep((*last + FORCED_REREAD_GAP).saturating_duration_since(Instant::now()))
            .await;
        self.read(db, &mut last).await
    }

    async fn read(&self, db: &Db, last: &mut Instant) -> Result<(), DbError> {
        *last = Instant::now();
        let set = load_set(db).await?;
        let mut current = self.inner.write().unwrap_or_else(|p| p.into_inner());
        // An unchanged set keeps its memo of verified tokens.
        if current.public != set.public || current.current.kid() != set.current.kid() {
            *current = Arc::new(set);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosspass_protocol::claims::Audience;
    use crosspass_protocol::{ClientId, ScopeSet, TenantId};

    #[test]
    fn remembered_tokens_still_get_every_claim_check() {
        let key = SigningKey::ed25519("k", &[1; 32]).unwrap();
        let set = KeySet::new(key.clone(), Jwks::new(vec![key.public_jwk()]).unwrap());
        let claims = AccessTokenClaims {
            iss: "http://sso".into(),
            sub: "u".into(),
            aud: Audience::One("http://sso/api".into()),
            client_id: ClientId::new("abc").unwrap(),
            tenant: TenantId::new("abc").unwrap(),
            scope: ScopeSet::parse("form.read").unwrap(),
            jti: "j".into(),
            iat: 1000,
            exp: 1600,
            act: None,
            sid: None,
        };
        let token = key.sign_access_token(&claims).unwrap();
        let expect = AccessTokenExpectations {
            issuer: "http://sso",
            audience: "http://sso/api",
            client_id: None,
            required_scope: None,
        };
        assert_eq!(
            *set.validate_access_token(&token, &expect, 1000).unwrap(),
            claims
        );
        assert_eq!(
            *set.validate_access_token(&token, &expect, 1001).unwrap(),
            claims
        );
        assert_eq!(
            set.validate_access_token(&token, &expect, 1600),
            Err(JwtError::Claim(
                crosspass_protocol::claims::ClaimError::Expired
            ))
        );
        let other = AccessTokenExpectations {
            audience: "http://elsewhere",
            ..expect
        };
        assert!(set.validate_access_token(&token, &other, 1001).is_err());
        let tampered = AccessToken::new(format!("{}x", token.expose_secret()));
        assert!(set.validate_access_token(&tampered, &expect, 1001).is_err());
    }
}
