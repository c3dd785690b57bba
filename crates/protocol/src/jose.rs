//! Compact JWS handling that needs no cryptography: splitting, base64url, and reading
//! a header or claims *without* verifying them.
//!
//! The hub uses this to check an access token's binding (`iss`, `aud`, `client_id`,
//! `exp`) before storing it; it never trusts what it reads for anything else. The
//! server verifies signatures (see the `jws` feature) before it reads claims.

use crate::json;
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Largest compact JWS accepted anywhere, before any parsing.
pub const MAX_JWT_BYTES: usize = 8 * 1024;

/// Why a compact JWS could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Longer than [`MAX_JWT_BYTES`].
    #[error("token too large")]
    TooLarge,
    /// Not three base64url segments separated by dots.
    #[error("not a compact JWS")]
    Structure,
    /// A segment is not unpadded base64url.
    #[error("invalid base64url")]
    Base64,
    /// The header or claims are not the expected JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
}

/// The three segments of a compact JWS, still encoded.
#[derive(Clone, Copy, Debug)]
pub struct CompactParts<'a> {
    /// Encoded protected header.
    pub header: &'a str,
    /// Encoded payload.
    pub payload: &'a str,
    /// Encoded signature.
    pub signature: &'a str,
}

/// Splits `h.p.s`, enforcing the size cap and that no segment is empty.
pub fn split(token: &str) -> Result<CompactParts<'_>, JoseError> {
    if token.len() > MAX_JWT_BYTES {
        return Err(JoseError::TooLarge);
    }
    let mut it = token.split('.');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(header), Some(payload), Some(signature), None)
            if !header.is_empty() && !payload.is_empty() =>
        {
            Ok(CompactParts {
                header,
                payload,
                signature,
            })
        }
        _ => Err(JoseError::Structure),
    }
}

/// Decodes unpadded base64url.
pub fn b64_decode(s: &str) -> Result<Vec<u8>, JoseError> {
    Base64UrlUnpadded::decode_vec(s).map_err(|_| JoseError::Base64)
}

/// Encodes unpadded base64url.
pub fn b64_encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// The header fields Crosspass looks at. Others (`jku`, `jwk`, `x5u`, `x5c`, …) are
/// deliberately not read: keys come only from the pinned registry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct JwsHeader {
    /// Signature algorithm.
    pub alg: String,
    /// Key id.
    #[serde(default)]
    pub kid: Option<String>,
    /// Token type, e.g. `at+jwt`.
    #[serde(default)]
    pub typ: Option<String>,
}

/// Reads the header without verifying anything.
pub fn decode_header(token: &str) -> Result<JwsHeader, JoseError> {
    let parts = split(token)?;
    decode_json(parts.header)
}

/// Reads the claims without verifying the signature. Never trust the result for an
/// authorization decision on its own.
pub fn decode_claims_unverified<T: DeserializeOwned>(token: &str) -> Result<T, JoseError> {
    let parts = split(token)?;
    decode_json(parts.payload)
}

/// Decodes a base64url JSON segment into `T`.
pub fn decode_json<T: DeserializeOwned>(segment: &str) -> Result<T, JoseError> {
    let bytes = b64_decode(segment)?;
    serde_json::from_slice(&bytes).map_err(|e| JoseError::Json(e.to_string()))
}

/// Decodes a base64url JSON segment into a [`json::Value`] (browser code, which links
/// no `serde_json`).
pub fn segment_value(segment: &str) -> Result<json::Value, JoseError> {
    let bytes = b64_decode(segment)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| JoseError::Json("not UTF-8".into()))?;
    json::parse(text).map_err(|e| JoseError::Json(e.to_string()))
}

/// True when `typ` names `expected` in short (`at+jwt`) or media-type
/// (`application/at+jwt`) form, compared case-insensitively as RFC 7515 §4.1.9 says.
pub fn typ_matches(typ: Option<&str>, expected: &str) -> bool {
    typ.is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t == expected || t.strip_prefix("application/") == Some(expected)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_requires_three_nonempty_leading_segments() {
        assert!(split("a.b.c").is_ok());
        assert!(split("a.b.").is_ok());
        assert_eq!(split("a.b").unwrap_err(), JoseError::Structure);
        assert_eq!(split("a.b.c.d").unwrap_err(), JoseError::Structure);
        assert_eq!(split(".b.c").unwrap_err(), JoseError::Structure);
        assert_eq!(
            split(&"a".repeat(MAX_JWT_BYTES + 1)).unwrap_err(),
            JoseError::TooLarge
        );
    }

    #[test]
    fn header_round_trip() {
        let h = b64_encode(br#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt","jku":"https://evil"}"#);
        let token = format!("{h}.e30.sig");
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, "EdDSA");
        assert_eq!(header.kid.as_deref(), Some("k1"));
        assert_eq!(decode_header("!!.e30.x").unwrap_err(), JoseError::Base64);
    }

    #[test]
    fn typ_forms() {
        assert!(typ_matches(Some("at+jwt"), "at+jwt"));
        assert!(typ_matches(Some("application/AT+JWT"), "at+jwt"));
        assert!(!typ_matches(Some("JWT"), "at+jwt"));
        assert!(!typ_matches(None, "at+jwt"));
        assert!(!typ_matches(Some("application/oauth-id-jag+jwt"), "at+jwt"));
    }
}
