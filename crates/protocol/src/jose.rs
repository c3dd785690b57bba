//! Compact JWS handling that needs no cryptography: splitting, base64url, and reading
//! a header or claims *without* verifying them.
//!
//! The hub uses this to check an access token's binding (`iss`, `aud`, `client_id`,
//! `exp`) before storing it; it never trusts what it reads for anything else. The
//! server verifies signatures (`crosspass-jwt`) before it reads claims.

use crate::json;
use crate::text::{write_parts, Describe, Sink};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::fmt;

/// Largest compact JWS accepted anywhere, before any parsing.
pub const MAX_JWT_BYTES: usize = 8 * 1024;

/// Why a compact JWS could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoseError {
    /// Longer than [`MAX_JWT_BYTES`].
    TooLarge,
    /// Not three base64url segments separated by dots.
    Structure,
    /// A segment is not unpadded base64url.
    Base64,
    /// The header or claims are not the expected JSON.
    Json(String),
}

impl Describe for JoseError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        match self {
            JoseError::TooLarge => f.write_str("token too large"),
            JoseError::Structure => f.write_str("not a compact JWS"),
            JoseError::Base64 => f.write_str("invalid base64url"),
            JoseError::Json(why) => write_parts(f, &["malformed JSON: ", why]),
        }
    }
}

crate::display_by_describe!(JoseError);

impl std::error::Error for JoseError {}

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
    let mut it = crate::text::split_ascii(token, b'.');
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

/// Decodes unpadded base64url strictly: no padding, nothing outside the alphabet, no
/// stray bits in the last character (each byte string has one encoding).
///
/// For public data (JWS segments, JWK coordinates); it is not constant-time, and a few
/// lines instead of a generic codec keep the browser bundles small. Secrets go through
/// [`b64_decode_secret`].
pub fn b64_decode(s: &str) -> Result<Vec<u8>, JoseError> {
    if s.len() % 4 == 1 {
        return Err(JoseError::Base64);
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let six = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(JoseError::Base64),
        };
        acc = (acc << 6 | u32::from(six)) & 0xfff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if acc & ((1 << bits) - 1) != 0 {
        return Err(JoseError::Base64);
    }
    Ok(out)
}

/// Decodes unpadded base64url in constant time (key material).
pub fn b64_decode_secret(s: &str) -> Result<Vec<u8>, JoseError> {
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
    json::parse(text).map_err(|e| JoseError::Json(e.text()))
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
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn b64_decode_inverts_encode(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(b64_decode(&b64_encode(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn b64_decode_agrees_with_the_constant_time_decoder(s in "[A-Za-z0-9_=+/. -]{0,12}") {
            prop_assert_eq!(b64_decode(&s), b64_decode_secret(&s));
        }
    }

    #[test]
    fn b64_decode_refuses_stray_bits_padding_and_other_alphabets() {
        assert_eq!(b64_decode("QQ").unwrap(), b"A");
        for bad in ["QR", "QUF", "QQ==", "Q", "a+b/", "ab c"] {
            assert_eq!(b64_decode(bad), Err(JoseError::Base64), "{bad}");
        }
        assert_eq!(b64_decode("QUE").unwrap(), b"AA");
    }

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
