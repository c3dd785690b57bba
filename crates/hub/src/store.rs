//! Sessions (the tokens of one tenant, keyed by scope) and the storage that keeps them.

use crate::error::HubError;
use crosspass_protocol::claims::AccessTokenClaims;
use crosspass_protocol::json::{self, Json, JsonError, Member, Value};
use crosspass_protocol::rpc::StorageRung;
use crosspass_protocol::text::Describe;
use crosspass_protocol::{AccessToken, ClientId, ScopeSet, TenantId};
use std::rc::Rc;

/// A token is handed out only while it has at least this long to live, so that it
/// never dies in flight.
pub const MIN_REMAINING_SECS: i64 = 30;
/// Most tokens kept per client; the shortest-lived go first. Counted per client, so
/// one client's tokens (or forgeries handed to it) never push out another's.
pub const MAX_TOKENS_PER_CLIENT: usize = 8;
/// Most tokens a session holds (16 clients of one tenant at the limit).
pub const MAX_TOKENS: usize = 16 * MAX_TOKENS_PER_CLIENT;
/// Largest stored session read back, so a corrupted entry cannot stall the hub.
const MAX_SESSION_BYTES: usize = 64 * 1024;

/// One stored access token and what it is good for: its own claims, read from the
/// token (and checked) before it was stored. Storage keeps the token text only, and
/// the claims are read from it again, so there is no second copy to disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    /// The bearer token.
    pub access_token: AccessToken,
    /// Its claims.
    pub claims: Rc<AccessTokenClaims>,
}

impl StoredToken {
    /// Reads the claims of `access_token`.
    pub fn new(access_token: AccessToken) -> Result<Self, HubError> {
        let claims = Rc::new(crate::token::decode_access_token(&access_token)?);
        Ok(Self {
            access_token,
            claims,
        })
    }

    fn same_key(&self, other: &StoredToken) -> bool {
        self.claims.client_id == other.claims.client_id && self.claims.scope == other.claims.scope
    }
}

impl Member for StoredToken {
    fn write(&self) -> Option<Value> {
        Some(self.access_token.expose_secret().into())
    }

    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        let text = json::required_str(name, value)?;
        Self::new(AccessToken::new(text)).map_err(|e| JsonError::Invalid(name, e.text()))
    }

    fn ts() -> String {
        "string".into()
    }
}

/// The tokens of one tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    /// At most one token per (client, scope set).
    pub tokens: Vec<StoredToken>,
}

crosspass_protocol::json_object!(Session, "session", deny_unknown { tokens });

impl Session {
    /// Tokens of `client_id` that carry `required` and live long enough, the
    /// longest-lived first.
    pub fn candidates(
        &self,
        client_id: &ClientId,
        required: &ScopeSet,
        now: i64,
    ) -> Vec<&StoredToken> {
        let mut found: Vec<&StoredToken> = Vec::new();
        let usable = self.tokens.iter().filter(|t| {
            &t.claims.client_id == client_id
                && required.is_subset(&t.claims.scope)
                && t.claims.exp > now.saturating_add(MIN_REMAINING_SECS)
        });
        // At most MAX_TOKENS: an insertion keeps the order without a sort routine.
        for t in usable {
            let at = found
                .iter()
                .position(|f| f.claims.exp < t.claims.exp)
                .unwrap_or(found.len());
            found.insert(at, t);
        }
        found
    }

    /// Stores `token`, replacing the one of the same client and scope set.
    pub fn insert(&mut self, token: StoredToken, now: i64) {
        self.tokens.retain(|t| !t.same_key(&token));
        self.tokens.push(token);
        self.prune(now);
    }

    /// Adds `other`'s tokens, keeping the later-expiring one of each (client, scope).
    pub fn merge(&mut self, other: Session, now: i64) {
        for token in other.tokens {
            let newer = self
                .tokens
                .iter()
                .all(|t| !t.same_key(&token) || t.claims.exp < token.claims.exp);
            if newer {
                self.insert(token, now);
            }
        }
        self.prune(now);
    }

    /// Drops expired tokens and keeps at most [`MAX_TOKENS_PER_CLIENT`] of each client,
    /// and [`MAX_TOKENS`] in all.
    pub fn prune(&mut self, now: i64) {
        self.tokens.retain(|t| t.claims.exp > now);
        loop {
            // The shortest-lived token of a client over its limit, if any.
            let over = self
                .tokens
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    self.tokens
                        .iter()
                        .filter(|o| o.claims.client_id == t.claims.client_id)
                        .count()
                        > MAX_TOKENS_PER_CLIENT
                })
                .min_by_key(|(_, t)| t.claims.exp)
                .map(|(i, _)| i);
            match over {
                Some(i) => {
                    self.tokens.remove(i);
                }
                None if self.tokens.len() > MAX_TOKENS => {
                    let shortest = self
                        .tokens
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, t)| t.claims.exp)
                        .map_or(0, |(i, _)| i);
                    self.tokens.remove(shortest);
                }
                None => break,
            }
        }
    }

    /// Reads a stored session; anything unreadable counts as no session.
    pub fn read(text: &str) -> Self {
        if text.len() > MAX_SESSION_BYTES {
            return Self::default();
        }
        Self::from_json(text).unwrap_or_default()
    }
}

/// The storage key of a tenant's session.
pub fn storage_key(tenant: &TenantId) -> String {
    ["crosspass.session.", tenant.as_str()].concat()
}

/// Where sessions are written.
#[derive(Debug)]
pub enum Backend {
    /// A `localStorage` (the window's, or a storage-access handle's).
    Web(web_sys::Storage),
    /// This hub instance only (a store keeps one key).
    Memory(Option<String>),
}

impl Backend {
    fn read(&self, key: &str) -> Result<Option<String>, HubError> {
        match self {
            Backend::Web(s) => s.get_item(key).map_err(|_| HubError::StorageUnavailable),
            Backend::Memory(m) => Ok(m.clone()),
        }
    }

    fn write(&mut self, key: &str, value: Option<&str>) -> Result<(), HubError> {
        match (self, value) {
            (Backend::Web(s), Some(v)) => s.set_item(key, v),
            (Backend::Web(s), None) => s.remove_item(key),
            (Backend::Memory(m), v) => {
                *m = v.map(str::to_owned);
                Ok(())
            }
        }
        .map_err(|_| HubError::StorageUnavailable)
    }
}

/// True when `storage` accepts a write and gives it back (it may exist and still
/// throw: storage disabled, quota zero, some private modes).
pub fn is_usable(storage: &web_sys::Storage) -> bool {
    const PROBE: &str = "crosspass.probe";
    let ok = storage.set_item(PROBE, "1").is_ok()
        && storage.get_item(PROBE).ok().flatten().as_deref() == Some("1");
    let removed = storage.remove_item(PROBE).is_ok();
    ok && removed
}

/// The session of one tenant in the storage of the current rung.
#[derive(Debug)]
pub struct TokenStore {
    backend: Backend,
    rung: StorageRung,
    key: String,
    /// The last text read and what it parsed to: storage is read on every call (other
    /// tabs write it too), but parsed again only when it changed.
    parsed: std::cell::RefCell<Option<(String, Session)>>,
}

impl TokenStore {
    /// A store for `tenant` on `backend`, reported as `rung`.
    pub fn new(tenant: &TenantId, backend: Backend, rung: StorageRung) -> Self {
        Self {
            backend,
            rung,
            key: storage_key(tenant),
            parsed: Default::default(),
        }
    }

    /// A store that keeps nothing beyond this hub instance.
    pub fn memory(tenant: &TenantId) -> Self {
        Self::new(tenant, Backend::Memory(None), StorageRung::Memory)
    }

    /// The rung in use.
    pub fn rung(&self) -> StorageRung {
        self.rung
    }

    /// The stored session (empty when none or unreadable).
    pub fn load(&self) -> Session {
        let Ok(Some(text)) = self.backend.read(&self.key) else {
            return Session::default();
        };
        let mut parsed = self.parsed.borrow_mut();
        match parsed.as_ref() {
            Some((seen, session)) if *seen == text => session.clone(),
            _ => {
                let session = Session::read(&text);
                *parsed = Some((text, session.clone()));
                session
            }
        }
    }

    /// Writes `session` (an empty one removes the entry). When the storage refuses,
    /// the store drops to memory so that the page keeps working.
    pub fn save(&mut self, session: &Session) {
        let text = (!session.tokens.is_empty()).then(|| session.to_json());
        if self.backend.write(&self.key, text.as_deref()).is_err() {
            let mut memory = Backend::Memory(None);
            // Writing to memory cannot fail.
            let _ = memory.write(&self.key, text.as_deref());
            self.backend = memory;
            self.rung = StorageRung::Memory;
        }
    }

    /// Reports the store as `rung` (the popup rung keeps partitioned storage, seeded
    /// from first-party storage).
    pub fn set_rung(&mut self, rung: StorageRung) {
        self.rung = rung;
    }

    /// Moves to better storage, carrying the current session over (merged with what
    /// the new storage already holds).
    pub fn upgrade(&mut self, backend: Backend, rung: StorageRung, now: i64) {
        let current = self.load();
        self.backend = backend;
        self.rung = rung;
        let mut merged = self.load();
        merged.merge(current, now);
        self.save(&merged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosspass_protocol::claims::Audience;
    use crosspass_protocol::jose;

    const NOW: i64 = 1_800_000_000;

    /// A token as the server writes one (the signature is not read here).
    fn token(client: &str, scope: &str, expires_at: i64) -> StoredToken {
        let claims = AccessTokenClaims {
            iss: "https://sso.xyz".into(),
            sub: "u_1".into(),
            aud: Audience::One("https://sso.xyz/api".into()),
            client_id: ClientId::new(client).unwrap(),
            tenant: TenantId::new("abc").unwrap(),
            scope: ScopeSet::parse(scope).unwrap(),
            jti: format!("{client}-{scope}-{expires_at}"),
            iat: expires_at - 300,
            exp: expires_at,
            act: None,
            sid: None,
        };
        let text = [
            &jose::b64_encode(br#"{"alg":"EdDSA","kid":"k","typ":"at+jwt"}"#),
            ".",
            &jose::b64_encode(claims.to_json().as_bytes()),
            ".c2ln",
        ]
        .concat();
        let stored = StoredToken::new(AccessToken::new(text)).unwrap();
        assert_eq!(*stored.claims, claims);
        stored
    }

    #[test]
    fn candidates_need_client_scope_and_time_left() {
        let mut s = Session::default();
        s.insert(token("abc", "form.read", NOW + 100), NOW);
        s.insert(token("abc", "form.read form.write", NOW + 600), NOW);
        s.insert(token("abc", "form.write", NOW + 20), NOW);
        s.insert(token("other", "form.read form.write", NOW + 900), NOW);
        let abc = ClientId::new("abc").unwrap();
        let read = ScopeSet::parse("form.read").unwrap();
        let found = s.candidates(&abc, &read, NOW);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].claims.exp, NOW + 600);
        let write = ScopeSet::parse("form.write").unwrap();
        // The form.write-only token has under 30 s left.
        assert_eq!(s.candidates(&abc, &write, NOW).len(), 1);
        let admin = ScopeSet::parse("admin").unwrap();
        assert!(s.candidates(&abc, &admin, NOW).is_empty());
    }

    #[test]
    fn insert_replaces_the_same_scope_and_prunes() {
        let mut s = Session::default();
        s.insert(token("abc", "form.read", NOW + 100), NOW);
        s.insert(token("abc", "form.read", NOW + 200), NOW);
        s.insert(token("abc", "old", NOW - 1), NOW);
        assert_eq!(s.tokens.len(), 1);
        assert_eq!(s.tokens[0].claims.exp, NOW + 200);
        for i in 0..40 {
            s.insert(token("abc", &format!("s{i}"), NOW + 1000 + i), NOW);
        }
        assert_eq!(s.tokens.len(), MAX_TOKENS_PER_CLIENT);
        assert!(s.tokens.iter().all(|t| t.claims.exp >= NOW + 1032));
    }

    #[test]
    fn one_clients_tokens_never_push_out_anothers() {
        let mut s = Session::default();
        s.insert(token("def", "form.read", NOW + 60), NOW);
        // abc's page hands its hub a flood of long-lived (forged, well-bound) tokens.
        for i in 0..100 {
            s.insert(token("abc", &format!("s{i}"), NOW + 3000 + i), NOW);
        }
        let def = ClientId::new("def").unwrap();
        let read = ScopeSet::parse("form.read").unwrap();
        assert_eq!(s.candidates(&def, &read, NOW).len(), 1);
        let abc = s
            .tokens
            .iter()
            .filter(|t| t.claims.client_id.as_str() == "abc");
        assert_eq!(abc.count(), MAX_TOKENS_PER_CLIENT);

        // Past the overall bound, the shortest-lived token goes, whoever holds it.
        let mut s = Session::default();
        for c in 0..MAX_TOKENS {
            s.insert(
                token(&format!("c{c}"), "form.read", NOW + 100 + c as i64),
                NOW,
            );
        }
        s.insert(token("late", "form.read", NOW + 5000), NOW);
        assert_eq!(s.tokens.len(), MAX_TOKENS);
        assert!(s.tokens.iter().all(|t| t.claims.exp > NOW + 100));
    }

    #[test]
    fn merge_keeps_the_later_token() {
        let mut a = Session::default();
        a.insert(token("abc", "form.read", NOW + 100), NOW);
        let mut b = Session::default();
        b.insert(token("abc", "form.read", NOW + 500), NOW);
        b.insert(token("abc", "form.write", NOW + 50), NOW);
        a.merge(b.clone(), NOW);
        assert_eq!(a.tokens.len(), 2);
        let mut c = b;
        c.merge(
            Session {
                tokens: vec![token("abc", "form.read", NOW + 10)],
            },
            NOW,
        );
        assert!(c.tokens.iter().any(|t| t.claims.exp == NOW + 500));
        assert!(!c.tokens.iter().any(|t| t.claims.exp == NOW + 10));
    }

    #[test]
    fn unreadable_sessions_are_empty() {
        assert_eq!(Session::read("{"), Session::default());
        assert_eq!(Session::read(r#"{"tokens":[],"x":1}"#), Session::default());
        assert_eq!(Session::read(&"x".repeat(70_000)), Session::default());
        let mut s = Session::default();
        s.insert(token("abc", "form.read", NOW + 100), NOW);
        assert_eq!(Session::read(&s.to_json()), s);
        // Storage holds token texts only; one that is not an access token spoils the entry.
        assert_eq!(Session::read(r#"{"tokens":["a.b.c"]}"#), Session::default());
    }
}
