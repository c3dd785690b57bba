//! Signature verification and signing (server side): partner and enterprise-IdP
//! assertions in the ID-JAG profile, client assertions (`private_key_jwt`, RFC 7523
//! §2.2), XYZ access tokens (RFC 9068) and the subject tokens of a token exchange
//! (RFC 8693), account-link statements, and the pinned JWK sets they are checked
//! against.
//!
//! Every check is a pure function of the token, the pinned keys and an injected clock,
//! and fails with exactly one [`JwtError`] per broken rule, in the order docs/design.md
//! gives. Claims are parsed here with the strict claim types of [`crate::claims`]
//! (integer times, no duplicate members); jwt-compact only does the cryptography.

use crate::claims::{
    AccessTokenClaims, AccessTokenExpectations, AssertionClaims, ClaimError, ACCESS_TOKEN_TYP,
    ID_JAG_TYP,
};
use crate::exchange::{check_link_statement, ACCOUNT_LINK_TYP};
use crate::ids::ClientId;
use crate::jose::{self, JoseError};
use crate::secret::{AccessToken, Assertion};
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
mod tests {
    use super::*;
    use crate::claims::{Audience, DEFAULT_LEEWAY_SECS, MAX_ASSERTION_LIFETIME_SECS};
    use crate::ids::TenantId;
    use crate::scope::ScopeSet;
    use jwt_compact::alg::{Hs256, Hs256Key};
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;
    const XYZ: &str = "https://sso.xyz";
    const ISS_A: &str = "https://abc.example";
    const ISS_B: &str = "https://def.example";

    struct Partner {
        key: SigningKey,
        keys: Jwks,
        client_id: ClientId,
    }

    fn partner(kid: &str, seed: u8, client: &str) -> Partner {
        let key = SigningKey::ed25519(kid, &[seed; 32]).unwrap();
        let keys = Jwks::new(vec![key.public_jwk()]).unwrap();
        Partner {
            key,
            keys,
            client_id: ClientId::new(client).unwrap(),
        }
    }

    fn ec_partner() -> Partner {
        let key = SigningKey::p256("ec1", &[7; 32]).unwrap();
        let keys = Jwks::new(vec![key.public_jwk()]).unwrap();
        Partner {
            key,
            keys,
            client_id: ClientId::new("abc").unwrap(),
        }
    }

    fn claims() -> serde_json::Value {
        json!({
            "iss": ISS_A, "sub": "user-1", "aud": XYZ, "client_id": "abc",
            "jti": "j1", "iat": NOW - 10, "exp": NOW + 120, "scope": "form.read",
        })
    }

    fn header(p: &Partner) -> serde_json::Value {
        json!({"alg": p.key.alg().as_str(), "kid": p.key.kid(), "typ": ID_JAG_TYP})
    }

    fn sign(p: &Partner, header: &serde_json::Value, claims: &serde_json::Value) -> Assertion {
        Assertion::new(p.key.sign_compact(&header.to_string(), &claims.to_string()))
    }

    const EXPECT: AssertionExpectations<'static> = AssertionExpectations {
        audience: XYZ,
        now: NOW,
        leeway: DEFAULT_LEEWAY_SECS,
    };

    /// Validates with `a` registered for ISS_A and `b` for ISS_B.
    fn check(a: &Partner, b: &Partner, token: &Assertion) -> Result<AssertionClaims, JwtError> {
        validate_assertion(
            token,
            |iss| match iss {
                ISS_A => Some(PinnedIssuer {
                    keys: &a.keys,
                    client_id: Some(&a.client_id),
                }),
                ISS_B => Some(PinnedIssuer {
                    keys: &b.keys,
                    client_id: Some(&b.client_id),
                }),
                _ => None,
            },
            &EXPECT,
        )
    }

    fn with(mut v: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
        v[key] = value;
        v
    }

    fn without(mut v: serde_json::Value, key: &str) -> serde_json::Value {
        if let Some(m) = v.as_object_mut() {
            m.remove(key);
        }
        v
    }

    fn unsigned(header: &serde_json::Value, claims: &serde_json::Value, sig: &[u8]) -> Assertion {
        Assertion::new(format!(
            "{}.{}.{}",
            jose::b64_encode(header.to_string().as_bytes()),
            jose::b64_encode(claims.to_string().as_bytes()),
            jose::b64_encode(sig)
        ))
    }

    #[test]
    fn good_assertions_verify_with_both_key_types() {
        let a = partner("a1", 1, "abc");
        let b = partner("b1", 2, "def");
        let got = check(&a, &b, &sign(&a, &header(&a), &claims())).unwrap();
        assert_eq!(got.sub.as_deref(), Some("user-1"));
        let typ = with(header(&a), "typ", json!("application/oauth-id-jag+jwt"));
        check(&a, &b, &sign(&a, &typ, &claims())).unwrap();
        let aud = with(claims(), "aud", json!([XYZ]));
        check(&a, &b, &sign(&a, &header(&a), &aud)).unwrap();

        let ec = ec_partner();
        check(&ec, &b, &sign(&ec, &header(&ec), &claims())).unwrap();
    }

    #[test]
    fn each_rule_fails_alone_with_its_own_error() {
        let a = partner("a1", 1, "abc");
        let b = partner("b1", 2, "def");
        let h = header(&a);
        let c = claims();
        let cases: Vec<(&str, Assertion, JwtError)> = vec![
            (
                "too large",
                Assertion::new("a".repeat(jose::MAX_JWT_BYTES + 1)),
                JwtError::TooLarge,
            ),
            (
                "two segments",
                Assertion::new("abc.def"),
                JwtError::Malformed("not a compact JWS"),
            ),
            (
                "header not JSON",
                Assertion::new(format!("{}.e30.AA", jose::b64_encode(b"nope"))),
                JwtError::Malformed("invalid header"),
            ),
            (
                "float exp",
                sign(&a, &h, &with(c.clone(), "exp", json!(1_800_000_120.5))),
                JwtError::Malformed("invalid claims"),
            ),
            (
                "string exp",
                sign(&a, &h, &with(c.clone(), "exp", json!("1800000120"))),
                JwtError::Malformed("invalid claims"),
            ),
            (
                "duplicate claim",
                Assertion::new(a.key.sign_compact(
                    &h.to_string(),
                    &format!(
                        r#"{{"iss":"{ISS_A}","iss":"{ISS_B}","sub":"u","aud":"{XYZ}","client_id":"abc","jti":"j","iat":{},"exp":{}}}"#,
                        NOW,
                        NOW + 60
                    ),
                )),
                JwtError::Malformed("invalid claims"),
            ),
            (
                "duplicate header member",
                Assertion::new(a.key.sign_compact(
                    r#"{"alg":"EdDSA","alg":"none","kid":"a1","typ":"oauth-id-jag+jwt"}"#,
                    &c.to_string(),
                )),
                JwtError::Malformed("invalid header"),
            ),
            (
                "crit header",
                sign(&a, &with(h.clone(), "crit", json!(["b64"])), &c),
                JwtError::Malformed("unsupported crit header"),
            ),
            (
                "missing typ",
                sign(&a, &without(h.clone(), "typ"), &c),
                JwtError::WrongTyp,
            ),
            (
                "typ JWT",
                sign(&a, &with(h.clone(), "typ", json!("JWT")), &c),
                JwtError::WrongTyp,
            ),
            (
                "typ at+jwt",
                sign(&a, &with(h.clone(), "typ", json!("at+jwt")), &c),
                JwtError::WrongTyp,
            ),
            (
                "alg none",
                unsigned(&with(h.clone(), "alg", json!("none")), &c, b""),
                JwtError::AlgNotAllowed,
            ),
            (
                "alg None",
                unsigned(&with(h.clone(), "alg", json!("None")), &c, b""),
                JwtError::AlgNotAllowed,
            ),
            ("HS256 with the public key as secret", hs256_forgery(&a), JwtError::AlgNotAllowed),
            (
                "ES256 header on an Ed25519 key",
                sign(&a, &with(h.clone(), "alg", json!("ES256")), &c),
                JwtError::AlgNotAllowed,
            ),
            (
                "missing kid",
                sign(&a, &without(h.clone(), "kid"), &c),
                JwtError::MissingKid,
            ),
            (
                "unknown iss",
                sign(&a, &h, &with(c.clone(), "iss", json!("https://evil.example"))),
                JwtError::UnknownIssuer,
            ),
            (
                "missing iss",
                sign(&a, &h, &without(c.clone(), "iss")),
                JwtError::Claim(ClaimError::Missing("iss")),
            ),
            (
                "unknown kid",
                sign(&a, &with(h.clone(), "kid", json!("a2")), &c),
                JwtError::UnknownKey,
            ),
            (
                "partner A's key with partner B's iss",
                sign(&a, &with(h.clone(), "kid", json!("b1")), &with(c.clone(), "iss", json!(ISS_B))),
                JwtError::BadSignature,
            ),
            (
                "stripped signature",
                unsigned(&h, &c, b""),
                JwtError::BadSignature,
            ),
            (
                "tampered claims",
                {
                    let good = sign(&a, &h, &c);
                    let sig = good.expose_secret().rsplit('.').next().unwrap_or_default().to_owned();
                    let forged = unsigned(&h, &with(c.clone(), "sub", json!("admin")), b"");
                    Assertion::new(format!("{}{sig}", forged.expose_secret()))
                },
                JwtError::BadSignature,
            ),
            (
                "aud wrong",
                sign(&a, &h, &with(c.clone(), "aud", json!("https://other"))),
                JwtError::Claim(ClaimError::WrongAudience),
            ),
            (
                "aud two elements",
                sign(&a, &h, &with(c.clone(), "aud", json!([XYZ, "https://other"]))),
                JwtError::Claim(ClaimError::WrongAudience),
            ),
            (
                "client_id mismatch",
                sign(&a, &h, &with(c.clone(), "client_id", json!("def"))),
                JwtError::Claim(ClaimError::ClientIdMismatch),
            ),
            (
                "expired",
                sign(
                    &a,
                    &h,
                    &with(with(c.clone(), "exp", json!(NOW - 31)), "iat", json!(NOW - 100)),
                ),
                JwtError::Claim(ClaimError::Expired),
            ),
            (
                "lifetime over 5 minutes",
                sign(
                    &a,
                    &h,
                    &with(c.clone(), "exp", json!(NOW - 10 + MAX_ASSERTION_LIFETIME_SECS + 1)),
                ),
                JwtError::Claim(ClaimError::LifetimeTooLong),
            ),
            (
                "iat in the future",
                sign(
                    &a,
                    &h,
                    &with(with(c.clone(), "iat", json!(NOW + 60)), "exp", json!(NOW + 120)),
                ),
                JwtError::Claim(ClaimError::IssuedInFuture),
            ),
        ];
        for (name, token, want) in cases {
            assert_eq!(check(&a, &b, &token).unwrap_err(), want, "{name}");
        }
    }

    fn hs256_forgery(p: &Partner) -> Assertion {
        use jwt_compact::{AlgorithmExt, Claims, Header};
        let PublicKey::Ed25519(public) = p.key.public_jwk().key else {
            unreachable!()
        };
        let secret = Hs256Key::new(public.as_bytes());
        let header = Header::empty()
            .with_key_id(p.key.kid())
            .with_token_type(ID_JAG_TYP);
        let token = Hs256
            .token(&header, &Claims::new(claims()), &secret)
            .unwrap();
        Assertion::new(token)
    }

    #[test]
    fn missing_jti_passes_signature_checks_and_is_left_to_the_caller() {
        let a = partner("a1", 1, "abc");
        let b = partner("b1", 2, "def");
        let got = check(&a, &b, &sign(&a, &header(&a), &without(claims(), "jti"))).unwrap();
        assert_eq!(got.jti(), Err(ClaimError::Missing("jti")));
    }

    #[test]
    fn attacker_keys_in_headers_are_ignored() {
        let a = partner("a1", 1, "abc");
        let b = partner("b1", 2, "def");
        let evil = SigningKey::ed25519("a1", &[9; 32]).unwrap();
        let h = json!({
            "alg": "EdDSA", "kid": "a1", "typ": ID_JAG_TYP,
            "jwk": evil.public_jwk().to_json(),
            "jku": "https://evil.example/jwks.json",
            "x5u": "https://evil.example/cert.pem",
            "x5c": ["MIIB"],
        });
        let forged = Assertion::new(evil.sign_compact(&h.to_string(), &claims().to_string()));
        assert_eq!(check(&a, &b, &forged).unwrap_err(), JwtError::BadSignature);
        let genuine = sign(&a, &h, &claims());
        check(&a, &b, &genuine).unwrap();
    }

    #[test]
    fn ecdsa_zero_signature_is_refused() {
        let ec = ec_partner();
        let b = partner("b1", 2, "def");
        let token = unsigned(&header(&ec), &claims(), &[0; 64]);
        assert_eq!(check(&ec, &b, &token).unwrap_err(), JwtError::BadSignature);
        let short = unsigned(&header(&ec), &claims(), &[1; 63]);
        assert_eq!(check(&ec, &b, &short).unwrap_err(), JwtError::BadSignature);
    }

    /// The identity point, which has order 1, and a signature that the cofactorless
    /// equation `R = [S]B - [k]A` accepts under it for every message: `S = 1`, `R = B`.
    const IDENTITY: [u8; 32] = {
        let mut p = [0; 32];
        p[0] = 1;
        p
    };
    const FORGED_UNDER_IDENTITY: [u8; 64] = {
        let mut sig = [0x66; 64];
        sig[0] = 0x58;
        let mut i = 32;
        while i < 64 {
            sig[i] = 0;
            i += 1;
        }
        sig[32] = 1;
        sig
    };

    #[test]
    fn weak_ed25519_keys_are_refused_and_never_verify() {
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "kid": "weak", "x": jose::b64_encode(&IDENTITY)});
        assert_eq!(
            Jwks::parse(&json!({ "keys": [jwk] }).to_string()),
            Err(JwkError::BadKey("weak".into()))
        );
        let weak = ed25519_dalek::VerifyingKey::from_bytes(&IDENTITY).unwrap();
        assert_eq!(
            Jwk::new("weak", PublicKey::Ed25519(weak)),
            Err(JwkError::BadKey("weak".into()))
        );
        // Even pinned past those checks, such a key verifies nothing.
        let keys = Jwks::new(vec![Jwk {
            kid: "weak".into(),
            key: PublicKey::Ed25519(weak),
        }])
        .unwrap();
        let a = Partner {
            key: SigningKey::ed25519("weak", &[1; 32]).unwrap(),
            keys,
            client_id: ClientId::new("abc").unwrap(),
        };
        let b = partner("b1", 2, "def");
        let forged = unsigned(&header(&a), &claims(), &FORGED_UNDER_IDENTITY);
        assert_eq!(check(&a, &b, &forged).unwrap_err(), JwtError::BadSignature);
    }

    #[test]
    fn client_assertions() {
        let a = partner("a1", 1, "abc");
        let c = json!({"iss": "abc", "sub": "abc", "aud": XYZ, "jti": "c1", "iat": NOW, "exp": NOW + 60});
        let h = json!({"alg": "EdDSA", "kid": "a1"});
        let run = |h: &serde_json::Value, c: &serde_json::Value| {
            let token = sign(&a, h, c);
            let u = UnverifiedClientAssertion::parse(&token)?;
            let client = (u.client_id()? == "abc").then_some((&a.client_id, &a.keys));
            u.verify(client, &EXPECT)
        };
        run(&h, &c).unwrap();
        run(&with(h.clone(), "typ", json!("JWT")), &c).unwrap();
        assert_eq!(
            run(&with(h.clone(), "typ", json!(ID_JAG_TYP)), &c).unwrap_err(),
            JwtError::WrongTyp
        );
        assert_eq!(
            run(&h, &with(c.clone(), "iss", json!("def"))).unwrap_err(),
            JwtError::UnknownIssuer
        );
        assert_eq!(
            run(&h, &with(c.clone(), "sub", json!("someone"))).unwrap_err(),
            JwtError::Claim(ClaimError::Invalid("sub"))
        );
        assert_eq!(
            run(
                &h,
                &with(c.clone(), "aud", json!("https://sso.xyz/oauth/token"))
            )
            .unwrap_err(),
            JwtError::Claim(ClaimError::WrongAudience)
        );
        assert_eq!(
            run(&h, &without(c.clone(), "jti")).unwrap_err(),
            JwtError::Claim(ClaimError::Missing("jti"))
        );
        assert_eq!(
            run(&h, &with(c.clone(), "exp", json!(NOW + 3600))).unwrap_err(),
            JwtError::Claim(ClaimError::LifetimeTooLong)
        );
    }

    fn access_claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: XYZ.into(),
            sub: "u_1".into(),
            aud: Audience::One(format!("{XYZ}/api")),
            client_id: ClientId::new("abc").unwrap(),
            tenant: TenantId::new("abc").unwrap(),
            scope: ScopeSet::parse("form.read form.write").unwrap(),
            jti: "t1".into(),
            iat: NOW,
            exp: NOW + 600,
            act: None,
            sid: None,
        }
    }

    #[test]
    fn access_tokens_round_trip_and_fail_per_rule() {
        let key = SigningKey::ed25519("xyz-1", &[3; 32]).unwrap();
        let keys = Jwks::new(vec![key.public_jwk()]).unwrap();
        let api = format!("{XYZ}/api");
        let read = ScopeSet::parse("form.read").unwrap();
        let expect = AccessTokenExpectations {
            issuer: XYZ,
            audience: &api,
            client_id: None,
            required_scope: Some(&read),
        };
        let token = key.sign_access_token(&access_claims()).unwrap();
        assert_eq!(
            jose::decode_header(token.expose_secret())
                .unwrap()
                .typ
                .as_deref(),
            Some("at+jwt")
        );
        let got = validate_access_token(&token, &keys, &expect, NOW).unwrap();
        assert_eq!(got, access_claims());

        assert_eq!(
            validate_access_token(&token, &keys, &expect, NOW + 600).unwrap_err(),
            JwtError::Claim(ClaimError::Expired)
        );
        let other = Jwks::new(vec![SigningKey::ed25519("xyz-2", &[4; 32])
            .unwrap()
            .public_jwk()])
        .unwrap();
        assert_eq!(
            validate_access_token(&token, &other, &expect, NOW).unwrap_err(),
            JwtError::UnknownKey
        );
        let admin = ScopeSet::parse("admin").unwrap();
        let wider = AccessTokenExpectations {
            required_scope: Some(&admin),
            ..expect.clone()
        };
        assert_eq!(
            validate_access_token(&token, &keys, &wider, NOW).unwrap_err(),
            JwtError::Claim(ClaimError::Scope)
        );
        let id_jag = AccessToken::new(key.sign(ID_JAG_TYP, &access_claims()).unwrap());
        assert_eq!(
            validate_access_token(&id_jag, &keys, &expect, NOW).unwrap_err(),
            JwtError::WrongTyp
        );
        let mut partial = serde_json::to_value(access_claims()).unwrap();
        partial.as_object_mut().unwrap().remove("tenant");
        let partial = AccessToken::new(key.sign(ACCESS_TOKEN_TYP, &partial).unwrap());
        assert_eq!(
            validate_access_token(&partial, &keys, &expect, NOW).unwrap_err(),
            JwtError::Malformed("invalid claims")
        );
    }

    #[test]
    fn fast_es256_agrees_with_the_p256_crate() {
        let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        let public = *key.verifying_key();
        for msg in [&b""[..], b"a.b", &[0xff; 1000]] {
            let sig = Es256.sign(&key, msg);
            assert!(FastEs256.verify_signature(&sig, &public, msg));
            assert!(!FastEs256.verify_signature(&sig, &public, b"other"));
            let sig = FastEs256.sign(&key, msg);
            assert!(Es256.verify_signature(&sig, &public, msg));
            let other = *p256::ecdsa::SigningKey::from_slice(&[8; 32])
                .unwrap()
                .verifying_key();
            assert!(!FastEs256.verify_signature(&sig, &other, msg));
        }
    }

    #[test]
    fn jwks_round_trip() {
        let ed = SigningKey::ed25519("ed", &[1; 32]).unwrap();
        let ec = SigningKey::p256("ec", &[2; 32]).unwrap();
        let set = Jwks::new(vec![ed.public_jwk(), ec.public_jwk()]).unwrap();
        let text = set.to_json().to_string();
        assert_eq!(Jwks::parse(&text).unwrap(), set);
        let single = ed.public_jwk().to_json().to_string();
        assert_eq!(Jwks::parse(&single).unwrap().keys().len(), 1);
        assert_eq!(
            SigningKey::ed25519("ed", &ed.secret_bytes())
                .unwrap()
                .public_jwk(),
            ed.public_jwk()
        );
        assert_eq!(
            SigningKey::p256("ec", &ec.secret_bytes())
                .unwrap()
                .public_jwk(),
            ec.public_jwk()
        );
        assert!(!format!("{ed:?}").contains(&jose::b64_encode(&ed.secret_bytes())));
    }

    #[test]
    fn jwks_refuses_bad_sets() {
        let ed = SigningKey::ed25519("ed", &[1; 32])
            .unwrap()
            .public_jwk()
            .to_json();
        let ec = SigningKey::p256("ec", &[2; 32])
            .unwrap()
            .public_jwk()
            .to_json();
        let set = |keys: Vec<serde_json::Value>| json!({ "keys": keys }).to_string();
        let cases = [
            (set(vec![]), JwkError::Empty),
            (
                set(vec![with(ed.clone(), "d", json!("AAAA"))]),
                JwkError::PrivateMember("ed".into()),
            ),
            (
                set(vec![with(ec.clone(), "d", json!("AAAA"))]),
                JwkError::PrivateMember("ec".into()),
            ),
            (
                set(vec![json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h"})]),
                JwkError::PrivateMember("h".into()),
            ),
            (
                set(vec![
                    json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r"}),
                ]),
                JwkError::Unsupported("r".into()),
            ),
            (
                set(vec![with(ec.clone(), "crv", json!("P-384"))]),
                JwkError::Unsupported("ec".into()),
            ),
            (set(vec![without(ed.clone(), "kid")]), JwkError::Kid),
            (
                set(vec![ed.clone(), ed.clone()]),
                JwkError::DuplicateKid("ed".into()),
            ),
            (
                set(vec![with(ed.clone(), "alg", json!("ES256"))]),
                JwkError::AlgMismatch("ed".into()),
            ),
            (
                set(vec![with(ed.clone(), "use", json!("enc"))]),
                JwkError::Use("ed".into()),
            ),
            (
                set(vec![with(ed.clone(), "x", json!("AAAA"))]),
                JwkError::BadKey("ed".into()),
            ),
            (
                set(vec![with(
                    ec.clone(),
                    "y",
                    json!(jose::b64_encode(&[1; 32])),
                )]),
                JwkError::BadKey("ec".into()),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Jwks::parse(&text).unwrap_err(), want, "{text}");
        }
        assert!(matches!(Jwks::parse("[]"), Err(JwkError::Json(_))));
        assert_eq!(
            Jwks::parse(&" ".repeat(MAX_JWKS_BYTES + 1)),
            Err(JwkError::TooLarge)
        );
    }
    #[test]
    fn an_issuer_that_may_not_speak_for_the_named_client_is_refused_after_the_signature() {
        let idp = partner("i1", 5, "abc");
        let token = sign(&idp, &header(&idp), &claims());
        let run = |keys: &Jwks, client_id: Option<&ClientId>| {
            UnverifiedAssertion::parse(&token)?
                .verify(Some(PinnedIssuer { keys, client_id }), &EXPECT)
        };
        let u = UnverifiedAssertion::parse(&token).unwrap();
        assert_eq!(u.client_id(), Some("abc"));
        run(&idp.keys, Some(&idp.client_id)).unwrap();
        assert_eq!(
            run(&idp.keys, None).unwrap_err(),
            JwtError::Claim(ClaimError::ClientIdMismatch)
        );
        let other = partner("i1", 6, "abc");
        assert_eq!(run(&other.keys, None).unwrap_err(), JwtError::BadSignature);
        let anonymous = sign(&idp, &header(&idp), &without(claims(), "client_id"));
        assert_eq!(
            UnverifiedAssertion::parse(&anonymous)
                .unwrap()
                .verify(
                    Some(PinnedIssuer {
                        keys: &idp.keys,
                        client_id: None
                    }),
                    &EXPECT
                )
                .unwrap_err(),
            JwtError::Claim(ClaimError::Missing("client_id"))
        );
    }

    #[test]
    fn link_statements() {
        let mh = partner("m1", 8, "myhealth");
        let h = json!({"alg": "EdDSA", "kid": "m1", "typ": ACCOUNT_LINK_TYP});
        let c = json!({"iss": "https://myhealth.example", "sub": "p-1001", "aud": XYZ,
                       "jti": "l1", "iat": NOW, "exp": NOW + 120});
        let run = |h: &serde_json::Value, c: &serde_json::Value, keys: Option<&Jwks>| {
            let token = sign(&mh, h, c);
            let u = UnverifiedLinkStatement::parse(&token)?;
            assert_eq!(u.issuer()?, "https://myhealth.example");
            u.verify(keys, &EXPECT)
        };
        assert_eq!(
            run(&h, &c, Some(&mh.keys)).unwrap().sub.as_deref(),
            Some("p-1001")
        );
        let cases = [
            (
                with(h.clone(), "typ", json!(ID_JAG_TYP)),
                c.clone(),
                Some(&mh.keys),
                JwtError::WrongTyp,
            ),
            (h.clone(), c.clone(), None, JwtError::UnknownIssuer),
            (
                h.clone(),
                c.clone(),
                Some(&partner("m1", 9, "x").keys),
                JwtError::BadSignature,
            ),
            (
                h.clone(),
                with(c.clone(), "aud", json!("https://other")),
                Some(&mh.keys),
                JwtError::Claim(ClaimError::WrongAudience),
            ),
            (
                h.clone(),
                with(c.clone(), "exp", json!(NOW - 60)),
                Some(&mh.keys),
                JwtError::Claim(ClaimError::Expired),
            ),
            (
                h.clone(),
                without(c.clone(), "jti"),
                Some(&mh.keys),
                JwtError::Claim(ClaimError::Missing("jti")),
            ),
        ];
        for (h, c, keys, want) in cases {
            assert_eq!(run(&h, &c, keys).unwrap_err(), want, "{h} {c}");
        }
    }

    #[test]
    fn subject_tokens_must_be_xyz_access_tokens_addressed_to_the_caller() {
        let key = SigningKey::ed25519("xyz-1", &[3; 32]).unwrap();
        let keys = Jwks::new(vec![key.public_jwk()]).unwrap();
        let api = format!("{XYZ}/api");
        let token = key.sign_access_token(&access_claims()).unwrap();
        let (claims, audience) =
            validate_subject_token(&token, &keys, XYZ, &["https://mh", &api], NOW).unwrap();
        assert_eq!((claims, audience), (access_claims(), api.as_str()));
        assert_eq!(
            validate_subject_token(&token, &keys, XYZ, &["https://mh"], NOW).unwrap_err(),
            JwtError::Claim(ClaimError::WrongAudience)
        );
        assert_eq!(
            validate_subject_token(&token, &keys, "https://evil", &[&api], NOW).unwrap_err(),
            JwtError::Claim(ClaimError::WrongIssuer)
        );
        assert_eq!(
            validate_subject_token(&token, &keys, XYZ, &[&api], NOW + 600).unwrap_err(),
            JwtError::Claim(ClaimError::Expired)
        );
        let id_jag = AccessToken::new(key.sign(ID_JAG_TYP, &access_claims()).unwrap());
        assert_eq!(
            validate_subject_token(&id_jag, &keys, XYZ, &[&api], NOW).unwrap_err(),
            JwtError::WrongTyp
        );
        let forged = SigningKey::ed25519("xyz-1", &[4; 32])
            .unwrap()
            .sign_access_token(&access_claims())
            .unwrap();
        assert_eq!(
            validate_subject_token(&forged, &keys, XYZ, &[&api], NOW).unwrap_err(),
            JwtError::BadSignature
        );
    }
}
