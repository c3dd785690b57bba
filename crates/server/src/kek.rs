//! The key-encryption key: XYZ's private signing keys are stored sealed with it
//! (XChaCha20-Poly1305, the key id as associated data, so a sealed key cannot be moved
//! to another row). It comes from `CROSSPASS_KEY_ENCRYPTION_KEY` (32 bytes, base64) or
//! from the file `key_encryption_key_file` names, and is never stored or logged.

use crate::config::Config;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use crosspass_protocol::jose;

/// Prefix of a sealed secret in `signing_keys.secret`; anything else is a key stored
/// before encryption was configured.
pub const SEALED_PREFIX: &str = "xc20p1:";
const NONCE_BYTES: usize = 24;

/// Why the key-encryption key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// Not 32 bytes of base64.
    #[error(
        "the key-encryption key must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)"
    )]
    Malformed,
    /// The file could not be read.
    #[error("key_encryption_key_file: {0}")]
    Read(std::io::Error),
    /// Sealing failed (only for messages beyond 256 GiB).
    #[error("a signing key could not be sealed")]
    Seal,
    /// A sealed key did not open: another key-encryption key, or a tampered row.
    #[error(
        "a signing key does not open with this key-encryption key (another key, or a tampered row)"
    )]
    Open,
}

/// The key-encryption key.
pub struct Kek(XChaCha20Poly1305);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

impl Kek {
    /// The key from its base64 text (standard or URL-safe alphabet).
    pub fn from_base64(text: &str) -> Result<Self, KekError> {
        let text = text.trim();
        let bytes = <base64ct::Base64 as base64ct::Encoding>::decode_vec(text)
            .ok()
            .or_else(|| jose::b64_decode_secret(text).ok())
            .ok_or(KekError::Malformed)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KekError::Malformed)?;
        Ok(Self(XChaCha20Poly1305::new(&key.into())))
    }

    /// The configured key, if any: `CROSSPASS_KEY_ENCRYPTION_KEY`, else the file.
    pub fn configured(config: &Config) -> Result<Option<Self>, KekError> {
        if let Ok(text) = std::env::var("CROSSPASS_KEY_ENCRYPTION_KEY") {
            return Self::from_base64(&text).map(Some);
        }
        match &config.key_encryption_key_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(KekError::Read)?;
                Self::from_base64(&text).map(Some)
            }
            None => Ok(None),
        }
    }

    /// Seals the private key `secret` of key `kid`.
    pub fn seal(&self, kid: &str, secret: &[u8]) -> Result<String, KekError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        let sealed = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: kid.as_bytes(),
                },
            )
            .map_err(|_| KekError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{SEALED_PREFIX}{}", jose::b64_encode(&out)))
    }

    /// Opens what [`Kek::seal`] made for `kid`.
    pub fn open(&self, kid: &str, stored: &str) -> Result<Vec<u8>, KekError> {
        let bytes = stored
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| jose::b64_decode_secret(b).ok())
            .ok_or(KekError::Open)?;
        if bytes.len() < NONCE_BYTES {
            return Err(KekError::Open);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| KekError::Open)?;
        self.0
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: kid.as_bytes(),
                },
            )
            .map_err(|_| KekError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn sealed_keys_open_only_with_their_kek_and_kid() {
        let kek = Kek::from_base64(KEY).unwrap();
        let sealed = kek.seal("xyz-1", &[7; 32]).unwrap();
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains(&jose::b64_encode(&[7; 32])));
        assert_eq!(kek.open("xyz-1", &sealed).unwrap(), vec![7; 32]);
        assert!(kek.open("xyz-2", &sealed).is_err());
        let other = Kek::from_base64(&jose::b64_encode(&[9; 32])).unwrap();
        assert!(other.open("xyz-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(kek.open("xyz-1", &tampered).is_err());
        assert!(Kek::from_base64("c2hvcnQ=").is_err());
        assert_eq!(format!("{kek:?}"), "Kek(..)");
    }
}
