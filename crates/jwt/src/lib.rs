//! Signature verification and signing of the JWTs Crosspass handles (server side):
//! partner and enterprise-IdP assertions in the ID-JAG profile, client assertions
//! (`private_key_jwt`, RFC 7523 §2.2), XYZ access tokens (RFC 9068) and the subject
//! tokens of a token exchange (RFC 8693), account-link statements, and the pinned JWK
//! sets they are checked against.
//!
//! Every check is a pure function of the token, the pinned keys and an injected clock,
//! and fails with exactly one [`JwtError`] per broken rule, in the order docs/design.md
//! gives. Claims are parsed here with the strict claim types of
//! [`crosspass_protocol::claims`] (integer times, no duplicate members); jwt-compact only
//! does the cryptography.
//!
//! A crate of its own, apart from `crosspass-protocol`, so that the cryptography stays
//! out of the browser bundles, which never verify signatures.
#![deny(missing_docs)]
#![warn(clippy::indexing_slicing)]

use crosspass_protocol::claims::{
    AccessTokenClaims, AccessTokenExpectations, AssertionClaims, ClaimError, ACCESS_TOKEN_TYP,
    ID_JAG_TYP,
};
use crosspass_protocol::exchange::{check_link_statement, ACCOUNT_LINK_TYP};
use crosspass_protocol::ids::ClientId;
use crosspass_protocol::jose::{self, JoseError};
use crosspass_protocol::secret::{AccessToken, Assertion};
use jwt_compact::alg::{Ed25519, Es256};
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// `typ` values accepted on a client assertion: none, the generic `JWT`, or the
/// explicit type of draft-ietf-oauth-rfc7523bis. Never an ID-JAG or access token type,
/// so one kind of token cannot stand in for another.
const CLIENT_ASSERTION_TYPS: &[&str] = &["jwt", "client-authentication+jwt"];

/// Largest JWK set accepted from a partner.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// Most keys in one JWK set.
pub const MAX_JWKS_KEYS: usize = 16;
/// Longest `kid` accepted.
pub const MAX_KID_LEN: usize = 128;

/// One failed rule while checking a signed token. Messages never contain token content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Longer than [`jose::MAX_JWT_BYTES`].
    #[error("token too large")]
    TooLarge,
    /// Not a compact JWS with a JSON header and the expected claim set.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// `typ` is missing or names another kind of token.
    #[error("unexpected token type")]
    WrongTyp,
    /// `alg` is not one Crosspass accepts (never `none` or HMAC), or not the
    /// algorithm of the key named by `kid`.
    #[error("signature algorithm not allowed")]
    AlgNotAllowed,
    /// No `kid` header; keys are chosen only by `kid` among pinned keys.
    #[error("missing kid header")]
    MissingKid,
    /// `iss` (or the client) is not registered.
    #[error("unknown issuer")]
    UnknownIssuer,
    /// `kid` is not among the issuer's pinned keys.
    #[error("unknown key id")]
    UnknownKey,
    /// The signature does not verify with the pinned key.
    #[error("signature does not verify")]
    BadSignature,
    /// A claim rule failed.
    #[error(transparent)]
    Claim(#[from] ClaimError),
}

impl From<JoseError> for JwtError {
    fn from(e: JoseError) -> Self {
        match e {
            JoseError::TooLarge => JwtError::TooLarge,
            JoseError::Structure => JwtError::Malformed("not a compact JWS"),
            JoseError::Base64 => JwtError::Malformed("invalid base64url"),
            JoseError::Json(_) => JwtError::Malformed("invalid JSON"),
        }
    }
}

/// Signature algorithms Crosspass accepts. Names are matched exactly, so `none`,
/// `None`, `HS256`, `RS256` and `eddsa` are all refused before any key is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alg {
    /// Ed25519 (RFC 8037).
    EdDsa,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl Alg {
    /// Every accepted algorithm.
    pub const ALL: &'static [Alg] = &[Alg::EdDsa, Alg::Es256];

    /// Looks up a JWS `alg` name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "EdDSA" => Some(Alg::EdDsa),
            "ES256" => Some(Alg::Es256),
            _ => None,
        }
    }

    /// The JWS `alg` name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Alg::EdDsa => "EdDSA",
            Alg::Es256 => "ES256",
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a JWK or JWK set was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwkError {
    /// Larger than [`MAX_JWKS_BYTES`] or more than [`MAX_JWKS_KEYS`] keys.
    #[error("JWK set too large")]
    TooLarge,
    /// Not a JWK or a `{"keys": [...]}` set (bad JSON, wrong member types, duplicates).
    #[error("not a JWK set: {0}")]
    Json(String),
    /// The set holds no key.
    #[error("JWK set has no keys")]
    Empty,
    /// A key without `kid`, or with an empty or overlong one.
    #[error("every key needs a kid of 1 to {MAX_KID_LEN} characters")]
    Kid,
    /// Two keys share a `kid`.
    #[error("duplicate kid `{0}`")]
    DuplicateKid(String),
    /// A private or symmetric member (`d`, `k`, …) in what must be a public key.
    #[error("key `{0}` holds private key material; publish only public keys")]
    PrivateMember(String),
    /// Neither an Ed25519 (`OKP`) nor a P-256 (`EC`) key.
    #[error("key `{0}`: only OKP/Ed25519 and EC/P-256 keys are supported")]
    Unsupported(String),
    /// Coordinates missing, badly encoded or not on the curve.
    #[error("key `{0}`: invalid public key")]
    BadKey(String),
    /// `alg` present and not the key's algorithm.
    #[error("key `{0}`: alg does not match the key type")]
    AlgMismatch(String),
    /// `use` present and not `sig`.
    #[error("key `{0}`: use must be sig")]
    Use(String),
}

/// A public key of a supported type.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A P-256 key.
    P256(p256::ecdsa::VerifyingKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublicKey::Ed25519(_) => f.write_str("PublicKey(Ed25519)"),
            PublicKey::P256(_) => f.write_str("PublicKey(P-256)"),
        }
    }
}

impl PublicKey {
    /// The only algorithm this key verifies.
    pub fn alg(&self) -> Alg {
        match self {
            PublicKey::Ed25519(_) => Alg::EdDsa,
            PublicKey::P256(_) => Alg::Es256,
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            // Strict: no small-order key, no non-canonical `R` or `S`. Under a
            // small-order key the plain equation accepts forgeries of any message.
            PublicKey::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| key.verify_strict(message, &sig).is_ok()),
            // Signatures with r or s zero or out of range do not even parse.
            PublicKey::P256(key) => <FastEs256 as Algorithm>::Signature::try_from_slice(signature)
                .is_ok_and(|sig| FastEs256.verify_signature(&sig, key, message)),
        }
    }
}

/// ES256 verified with ring (about 5x faster than the p256 crate, which matters on the
/// token endpoint) and signed with the p256 crate. Same algorithm, same keys and
/// signatures as jwt-compact's [`Es256`], behind its [`Algorithm`] trait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FastEs256;

impl Algorithm for FastEs256 {
    type SigningKey = p256::ecdsa::SigningKey;
    type VerifyingKey = p256::ecdsa::VerifyingKey;
    type Signature = p256::ecdsa::Signature;

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("ES256")
    }

    fn sign(&self, signing_key: &Self::SigningKey, message: &[u8]) -> Self::Signature {
        Es256.sign(signing_key, message)
    }

    fn verify_signature(
        &self,
        signature: &Self::Signature,
        verifying_key: &Self::VerifyingKey,
        message: &[u8],
    ) -> bool {
        let point = verifying_key.to_encoded_point(false);
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            point.as_bytes(),
        )
        .verify(message, &signature.to_bytes())
        .is_ok()
    }
}

/// A pinned public key and its `kid`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    kid: String,
    key: PublicKey,
}

impl Jwk {
    /// Pairs a key with its id, refusing a small-order (weak) Ed25519 key.
    pub fn new(kid: impl Into<String>, key: PublicKey) -> Result<Self, JwkError> {
        let kid = kid.into();
        check_kid(&kid)?;
        if matches!(&key, PublicKey::Ed25519(k) if k.is_weak()) {
            return Err(JwkError::BadKey(kid));
        }
        Ok(Self { kid, key })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The public JWK (RFC 7517), with `kid`, `alg` and `use: sig`.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.key {
            PublicKey::Ed25519(k) => serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": jose::b64_encode(k.as_bytes()),
                "kid": self.kid,
                "alg": "EdDSA",
                "use": "sig",
            }),
            PublicKey::P256(k) => {
                let point = k.to_encoded_point(false);
                let coord = |c: Option<&p256::FieldBytes>| c.map(|c| jose::b64_encode(c));
                serde_json::json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": coord(point.x()),
                    "y": coord(point.y()),
                    "kid": self.kid,
                    "alg": "ES256",
                    "use": "sig",
                })
            }
        }
    }
}

fn check_kid(kid: &str) -> Result<(), JwkError> {
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return Err(JwkError::Kid);
    }
    Ok(())
}

/// A set of pinned public keys, looked up by `kid` only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<RawJwk>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    // Private and symmetric members: their mere presence is refused.
    #[serde(default)]
    d: Option<IgnoredAny>,
    #[serde(default)]
    k: Option<IgnoredAny>,
    #[serde(default)]
    p: Option<IgnoredAny>,
    #[serde(default)]
    q: Option<IgnoredAny>,
    #[serde(default)]
    dp: Option<IgnoredAny>,
    #[serde(default)]
    dq: Option<IgnoredAny>,
    #[serde(default)]
    qi: Option<IgnoredAny>,
    #[serde(default)]
    oth: Option<IgnoredAny>,
}

impl RawJwk {
    fn into_jwk(self) -> Result<Jwk, JwkError> {
        let kid = self.kid.ok_or(JwkError::Kid)?;
        check_kid(&kid)?;
        let private = [
            &self.d, &self.k, &self.p, &self.q, &self.dp, &self.dq, &self.qi, &self.oth,
        ];
        if private.iter().any(|m| m.is_some()) {
            return Err(JwkError::PrivateMember(kid));
        }
        if self.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(JwkError::Use(kid));
        }
        let coord = |c: Option<&str>| -> Result<[u8; 32], JwkError> {
            c.and_then(|c| jose::b64_decode(c).ok())
                .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok())
                .ok_or_else(|| JwkError::BadKey(kid.clone()))
        };
        let key = match (self.kty.as_str(), self.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => {
                if self.y.is_some() {
                    return Err(JwkError::BadKey(kid));
                }
                let x = coord(self.x.as_deref())?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map_err(|_| JwkError::BadKey(kid.clone()))?;
                // A small-order point is a valid encoding but no key at all.
                if key.is_weak() {
                    return Err(JwkError::BadKey(kid));
                }
                PublicKey::Ed25519(key)
            }
            ("EC", Some("P-256")) => {
                let x = coord(self.x.as_deref())?;
                let y = coord(self.y.as_deref())?;
                let point =
                    p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
                PublicKey::P256(
                    p256::ecdsa::VerifyingKey::from_encoded_point(&point)
                        .map_err(|_| JwkError::BadKey(kid.clone()))?,
                )
            }
            _ => return Err(JwkError::Unsupported(kid)),
        };
        if let Some(alg) = self.alg.as_deref() {
            if Alg::from_name(alg) != Some(key.alg()) {
                return Err(JwkError::AlgMismatch(kid));
            }
        }
        Ok(Jwk { kid, key })
    }
}

impl Jwks {
    /// Builds a set, refusing duplicate `kid`s.
    pub fn new(keys: Vec<Jwk>) -> Result<Self, JwkError> {
        if keys.len() > MAX_JWKS_KEYS {
            return Err(JwkError::TooLarge);
        }
        for (i, k) in keys.iter().enumerate() {
            if keys.iter().take(i).any(|o| o.kid == k.kid) {
                return Err(JwkError::DuplicateKid(k.kid.clone()));
            }
        }
        Ok(Self { keys })
    }

    /// Parses a public JWK set (`{"keys": [...]}`) or a single public JWK. Every key
    /// must be OKP/Ed25519 or EC/P-256 with a unique `kid` and no private members.
    pub fn parse(json: &str) -> Result<Self, JwkError> {
        if json.len() > MAX_JWKS_BYTES {
            return Err(JwkError::TooLarge);
        }
        let raw = match serde_json::from_str::<RawJwks>(json) {
            Ok(set) => set.keys,
            Err(set_err) => match serde_json::from_str::<RawJwk>(json) {
                Ok(key) => vec![key],
                Err(_) => return Err(JwkError::Json(set_err.to_string())),
            },
        };
        if raw.is_empty() {
            return Err(JwkError::Empty);
        }
        if raw.len() > MAX_JWKS_KEYS {
            return Err(JwkError::TooLarge);
        }
        Self::new(
            raw.into_iter()
                .map(RawJwk::into_jwk)
                .collect::<Result<_, _>>()?,
        )
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The keys, in order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// True when the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The public JWK set document, as served at `/.well-known/jwks.json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.keys.iter().map(Jwk::to_json).collect::<Vec<_>>() })
    }
}

#[derive(Clone)]
enum SecretKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A private signing key and its `kid`. `Debug` never prints key material.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: SecretKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, {}, [redacted])", self.kid, self.alg())
    }
}

impl SigningKey {
    /// An Ed25519 key from its 32-byte seed.
    pub fn ed25519(kid: impl Into<String>, seed: &[u8; 32]) -> Result<Self, JwkError> {
        let kid = kid.into();
        check_kid(&kid)?;
        Ok(Self {
            kid,
            key: SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(seed)),
        })
    }

    /// A P-256 key from its 32-byte scalar.
    pub fn p256(kid: impl Into<String>, scalar: &[u8; 32]) -> Result<Self, JwkError> {
        let kid = kid.into();
        check_kid(&kid)?;
        let key = p256::ecdsa::SigningKey::from_slice(scalar)
            .map_err(|_| JwkError::BadKey(kid.clone()))?;
        Ok(Self {
            kid,
            key: SecretKey::P256(key),
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Alg {
        match self.key {
            SecretKey::Ed25519(_) => Alg::EdDsa,
            SecretKey::P256(_) => Alg::Es256,
        }
    }

    /// The private key bytes (Ed25519 seed or P-256 scalar), for storage.
    pub fn secret_bytes(&self) -> [u8; 32] {
        match &self.key {
            SecretKey::Ed25519(k) => k.to_bytes(),
            SecretKey::P256(k) => k.to_bytes().into(),
        }
    }

    /// The matching public key.
    pub fn public_jwk(&self) -> Jwk {
        let key = match &self.key {
            SecretKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            SecretKey::P256(k) => PublicKey::P256(*k.verifying_key()),
        };
        Jwk {
            kid: self.kid.clone(),
            key,
        }
    }

    /// Signs `claims` as a compact JWS with header `{"alg", "kid", "typ"}`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, serde_json::Error> {
        let header = serde_json::to_string(&serde_json::json!({
            "alg": self.alg().as_str(),
            "kid": self.kid,
            "typ": typ,
        }))?;
        let payload = serde_json::to_string(claims)?;
        Ok(self.sign_compact(&header, &payload))
    }

    /// Signs raw header and payload JSON texts exactly as given. Meant for tests and
    /// tools that need headers [`sign`](Self::sign) does not write.
    pub fn sign_compact(&self, header_json: &str, payload_json: &str) -> String {
        let input = format!(
            "{}.{}",
            jose::b64_encode(header_json.as_bytes()),
            jose::b64_encode(payload_json.as_bytes())
        );
        let signature = match &self.key {
            SecretKey::Ed25519(k) => Ed25519.sign(k, input.as_bytes()).as_bytes().into_owned(),
            SecretKey::P256(k) => FastEs256.sign(k, input.as_bytes()).as_bytes().into_owned(),
        };
        format!("{input}.{}", jose::b64_encode(&signature))
    }

    /// Signs an XYZ access token (`typ: at+jwt`, RFC 9068 §2.1).
    pub fn sign_access_token(
        &self,
        claims: &AccessTokenClaims,
    ) -> Result<AccessToken, serde_json::Error> {
        self.sign(ACCESS_TOKEN_TYP, claims).map(AccessToken::new)
    }
}

/// The protected header members Crosspass reads. `jku`, `jwk`, `x5u` and `x5c` are
/// never read: keys come only from the pinned set.
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    // RFC 7515 §4.1.11: a JWS naming critical extensions we do not implement must be
    // refused; we implement none.
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// A token split and decoded, signature not yet checked.
struct Decoded<'a, C> {
    header: Header,
    claims: C,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// Size cap, then compact parse: the header, whose `typ` must pass `typ_ok` before
/// the claims are even read (so a token of another kind is reported as such, not as
/// claims that do not fit), then the claims (strictly typed) and the signature bytes.
fn decode<C: DeserializeOwned>(
    token: &str,
    typ_ok: impl FnOnce(Option<&str>) -> bool,
) -> Result<Decoded<'_, C>, JwtError> {
    let parts = jose::split(token)?;
    let header: Header =
        jose::decode_json(parts.header).map_err(|_| JwtError::Malformed("invalid header"))?;
    if header.crit.is_some() {
        return Err(JwtError::Malformed("unsupported crit header"));
    }
    if !typ_ok(header.typ.as_deref()) {
        return Err(JwtError::WrongTyp);
    }
    let claims: C =
        jose::decode_json(parts.payload).map_err(|_| JwtError::Malformed("invalid claims"))?;
    let signature = jose::b64_decode(parts.signature)
        .map_err(|_| JwtError::Malformed("invalid signature encoding"))?;
    let signing_input = token
        .get(..parts.header.len() + 1 + parts.payload.len())
        .ok_or(JwtError::Malformed("not a compact JWS"))?;
    Ok(Decoded {
        header,
        claims,
        signing_input,
        signature,
    })
}

/// `alg` in the allowlist, then `kid` present.
fn alg_and_kid(header: &Header) -> Result<(Alg, String), JwtError> {
    let alg = Alg::from_name(&header.alg).ok_or(JwtError::AlgNotAllowed)?;
    match header.kid.as_deref() {
        Some(kid) if !kid.is_empty() => Ok((alg, kid.to_owned())),
        _ => Err(JwtError::MissingKid),
    }
}

/// A signed token that passed every check that needs no key: size, structure, `typ`,
/// `alg` allowlist and `kid` presence.
struct Unverified<'a, C> {
    decoded: Decoded<'a, C>,
    alg: Alg,
    kid: String,
}

impl<'a, C: DeserializeOwned> Unverified<'a, C> {
    /// Size cap → compact parse, with `typ_ok(typ)` → `alg` allowlist → `kid` present.
    fn parse(token: &'a str, typ_ok: impl FnOnce(Option<&str>) -> bool) -> Result<Self, JwtError> {
        let decoded = decode::<C>(token, typ_ok)?;
        let (alg, kid) = alg_and_kid(&decoded.header)?;
        Ok(Self { decoded, alg, kid })
    }

    /// `kid` among the pinned keys, `alg` the key's own, signature valid; the claims.
    fn verify(self, keys: &Jwks) -> Result<C, JwtError> {
        let jwk = keys.get(&self.kid).ok_or(JwtError::UnknownKey)?;
        if jwk.key.alg() != self.alg {
            return Err(JwtError::AlgNotAllowed);
        }
        if !jwk.key.verify(
            self.decoded.signing_input.as_bytes(),
            &self.decoded.signature,
        ) {
            return Err(JwtError::BadSignature);
        }
        Ok(self.decoded.claims)
    }
}

impl<C> fmt::Debug for Unverified<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unverified({}, {}, [redacted])", self.alg, self.kid)
    }
}

/// The registration a partner assertion's `iss` resolves to.
#[derive(Clone, Copy, Debug)]
pub struct PinnedIssuer<'a> {
    /// The issuer's pinned public keys.
    pub keys: &'a Jwks,
    /// The client the assertion must name: the partner's own, or, for an enterprise
    /// IdP, the client its `client_id` claim names if that client belongs to the IdP's
    /// tenant. `None` when it names no client the issuer may speak for.
    pub client_id: Option<&'a ClientId>,
}

/// What an assertion is checked against, besides the issuer's registration.
#[derive(Clone, Copy, Debug)]
pub struct AssertionExpectations<'a> {
    /// XYZ's issuer: the only acceptable `aud`.
    pub audience: &'a str,
    /// Unix seconds.
    pub now: i64,
    /// Clock skew tolerated.
    pub leeway: i64,
}

/// A partner assertion that passed every check that needs no key: size, structure,
/// `typ`, `alg` allowlist and `kid` presence. Call [`issuer`](Self::issuer) to find
/// the registration, then [`verify`](Self::verify).
#[derive(Debug)]
pub struct UnverifiedAssertion<'a>(Unverified<'a, AssertionClaims>);

impl<C> fmt::Debug for Decoded<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Decoded([redacted])")
    }
}

impl<'a> UnverifiedAssertion<'a> {
    /// Size cap → compact parse → `typ` is `oauth-id-jag+jwt` → `alg` allowlist →
    /// `kid` present.
    pub fn parse(token: &'a Assertion) -> Result<Self, JwtError> {
        Unverified::parse(token.expose_secret(), |typ| {
            jose::typ_matches(typ, ID_JAG_TYP)
        })
        .map(Self)
    }

    /// The unverified `iss`, only for finding the registration to verify against.
    pub fn issuer(&self) -> Result<&str, JwtError> {
        Ok(self.0.decoded.claims.issuer()?)
    }

    /// The unverified `client_id`, only for finding the client an enterprise IdP's
    /// assertion is meant for.
    pub fn client_id(&self) -> Option<&str> {
        self.0.decoded.claims.client_id.as_deref()
    }

    /// Issuer registered → `kid` pinned for it → signature → `aud` → `client_id` →
    /// times. `jti`, scope and the user mapping are the caller's (they need storage).
    pub fn verify(
        self,
        issuer: Option<PinnedIssuer<'_>>,
        expect: &AssertionExpectations<'_>,
    ) -> Result<AssertionClaims, JwtError> {
        let issuer = issuer.ok_or(JwtError::UnknownIssuer)?;
        let claims = self.0.verify(issuer.keys)?;
        claims.check_audience(expect.audience)?;
        match issuer.client_id {
            Some(client_id) => claims.check_client_id(client_id)?,
            None if claims.client_id.is_none() => {
                return Err(ClaimError::Missing("client_id").into())
            }
            None => return Err(ClaimError::ClientIdMismatch.into()),
        }
        claims.check_times(expect.now, expect.leeway)?;
        Ok(claims)
    }
}

/// Checks a partner assertion in docs/design.md's order, resolving `iss` with `lookup`.
pub fn validate_assertion<'k>(
    token: &Assertion,
    lookup: impl FnOnce(&str) -> Option<PinnedIssuer<'k>>,
    expect: &AssertionExpectations<'_>,
) -> Result<AssertionClaims, JwtError> {
    let unverified = UnverifiedAssertion::parse(token)?;
    let issuer = lookup(unverified.issuer()?);
    unverified.verify(issuer, expect)
}

/// A client assertion (`private_key_jwt`) that passed every check that needs no key.
#[derive(Debug)]
pub struct UnverifiedClientAssertion<'a>(Unverified<'a, AssertionClaims>);

impl<'a> UnverifiedClientAssertion<'a> {
    /// Size cap → compact parse → `typ` absent, `JWT` or `client-authentication+jwt` →
    /// `alg` allowlist → `kid` present.
    pub fn parse(token: &'a Assertion) -> Result<Self, JwtError> {
        Unverified::parse(token.expose_secret(), |typ| {
            typ.is_none_or(|typ| {
                CLIENT_ASSERTION_TYPS
                    .iter()
                    .any(|t| jose::typ_matches(Some(typ), t))
            })
        })
        .map(Self)
    }

    /// The unverified `iss`: the client claiming to authenticate.
    pub fn client_id(&self) -> Result<&str, JwtError> {
        Ok(self.0.decoded.claims.issuer()?)
    }

    /// Client registered → `kid` pinned → signature → `sub` = `iss` = the client →
    /// `aud` is XYZ's issuer → times → `jti` present (its single use is the caller's).
    pub fn verify(
        self,
        client: Option<(&ClientId, &Jwks)>,
        expect: &AssertionExpectations<'_>,
    ) -> Result<AssertionClaims, JwtError> {
        let (client_id, keys) = client.ok_or(JwtError::UnknownIssuer)?;
        let claims = self.0.verify(keys)?;
        if claims.issuer()? != client_id.as_str() {
            return Err(ClaimError::ClientIdMismatch.into());
        }
        if claims.subject()? != client_id.as_str() {
            return Err(ClaimError::Invalid("sub").into());
        }
        claims.check_audience(expect.audience)?;
        claims.check_times(expect.now, expect.leeway)?;
        claims.jti()?;
        Ok(claims)
    }
}

/// An account-link statement (`typ: account-link+jwt`): a downstream's signed word
/// about one of its own users, that passed every check that needs no key.
#[derive(Debug)]
pub struct UnverifiedLinkStatement<'a>(Unverified<'a, AssertionClaims>);

impl<'a> UnverifiedLinkStatement<'a> {
    /// Size cap → compact parse → `typ` is `account-link+jwt` → `alg` allowlist →
    /// `kid` present.
    pub fn parse(token: &'a Assertion) -> Result<Self, JwtError> {
        Unverified::parse(token.expose_secret(), |typ| {
            jose::typ_matches(typ, ACCOUNT_LINK_TYP)
        })
        .map(Self)
    }

    /// The unverified `iss`: the downstream whose keys to verify with.
    pub fn issuer(&self) -> Result<&str, JwtError> {
        Ok(self.0.decoded.claims.issuer()?)
    }

    /// Issuer registered → `kid` pinned for it → signature →
    /// [`check_link_statement`] (`aud`, times, `sub`, `jti`; its single use is the
    /// caller's).
    pub fn verify(
        self,
        keys: Option<&Jwks>,
        expect: &AssertionExpectations<'_>,
    ) -> Result<AssertionClaims, JwtError> {
        let claims = self.0.verify(keys.ok_or(JwtError::UnknownIssuer)?)?;
        check_link_statement(&claims, expect.audience, expect.now, expect.leeway)?;
        Ok(claims)
    }
}

/// Size → parse → `typ` `at+jwt` → `alg` → `kid` pinned → signature.
fn verify_access_token(token: &AccessToken, keys: &Jwks) -> Result<AccessTokenClaims, JwtError> {
    Unverified::parse(token.expose_secret(), |typ| {
        jose::typ_matches(typ, ACCESS_TOKEN_TYP)
    })?
    .verify(keys)
}

/// Verifies an XYZ access token: size → parse → `typ` `at+jwt` → `alg` → `kid` pinned →
/// signature → [`AccessTokenClaims::check`] (issuer, audience, client, scope, expiry).
pub fn validate_access_token(
    token: &AccessToken,
    keys: &Jwks,
    expect: &AccessTokenExpectations<'_>,
    now: i64,
) -> Result<AccessTokenClaims, JwtError> {
    let claims = verify_access_token(token, keys)?;
    claims.check(expect, now, 0)?;
    Ok(claims)
}

/// Verifies the subject token of a token exchange: an XYZ access token (as
/// [`validate_access_token`]) addressed to one of the `audiences` the exchanging
/// client may receive. Returns the claims and the audience it was addressed to.
pub fn validate_subject_token<'a>(
    token: &AccessToken,
    keys: &Jwks,
    issuer: &str,
    audiences: &[&'a str],
    now: i64,
) -> Result<(AccessTokenClaims, &'a str), JwtError> {
    let claims = verify_access_token(token, keys)?;
    if claims.iss != issuer {
        return Err(ClaimError::WrongIssuer.into());
    }
    let audience = audiences
        .iter()
        .copied()
        .find(|a| claims.aud.is_exactly(a))
        .ok_or(ClaimError::WrongAudience)?;
    let expect = AccessTokenExpectations {
        issuer,
        audience,
        client_id: None,
        required_scope: None,
    };
    claims.check(&expect, now, 0)?;
    Ok((claims, audience))
}

#[cfg(test)]
mod tests;
