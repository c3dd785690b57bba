//! Small helpers: the clock and random identifiers.

use crosspass_protocol::jose;

/// Names that always resolve to this machine (RFC 6761 §6.3, RFC 1122): where plain
/// `http://` is acceptable, for the issuer and for partner origins alike.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `bytes` random bytes from the OS, base64url-encoded.
pub fn random_id(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut buf);
    jose::b64_encode(&buf)
}
