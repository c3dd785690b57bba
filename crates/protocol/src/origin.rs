//! Web origins (scheme, host, port) and allowlists matched by exact equality.
//!
//! Two parsers: [`Origin::parse`] follows the URL standard (IDN to ASCII, default ports
//! dropped, host lower-cased) for input typed by people, such as registry entries;
//! [`Origin::parse_serialized`] accepts only the canonical ASCII serialisation a
//! browser puts in `MessageEvent.origin`, and needs no URL library, so the hub can
//! compare origins without shipping one.

use crate::text::{self, write_parts, Describe, Sink};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest origin accepted (scheme, host and port together).
pub const MAX_ORIGIN_LEN: usize = 300;

/// Why a string is not an acceptable origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginError {
    /// The opaque origin `null` (sandboxed frames, `file:`, `data:`), never trusted.
    Null,
    /// Longer than [`MAX_ORIGIN_LEN`].
    TooLong,
    /// Not `http` or `https`.
    Scheme,
    /// The string does not parse as a URL, or has no host.
    Syntax(&'static str),
    /// A path, query or fragment is present.
    HasPath,
    /// `user:pass@` is present.
    HasUserInfo,
    /// Valid, but not in canonical form (upper case, default port, non-ASCII, …).
    NotCanonical,
    /// A `*.` pattern whose parent domain is too broad (fewer than two labels).
    WildcardTooBroad,
}

impl Describe for OriginError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        match self {
            OriginError::Null => f.write_str("the opaque origin \"null\" is never allowed"),
            OriginError::TooLong => f.write_str("origin too long"),
            OriginError::Scheme => f.write_str("only http and https origins are supported"),
            OriginError::Syntax(why) => write_parts(f, &["not a valid origin: ", why]),
            OriginError::HasPath => f.write_str("an origin has no path, query or fragment"),
            OriginError::HasUserInfo => f.write_str("an origin has no user info"),
            OriginError::NotCanonical => f.write_str("origin is not in canonical serialised form"),
            OriginError::WildcardTooBroad => {
                f.write_str("a wildcard pattern needs a parent domain of at least two labels")
            }
        }
    }
}

crate::display_by_describe!(OriginError);

impl std::error::Error for OriginError {}

/// The scheme of an origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `http`
    Http,
    /// `https`
    Https,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A tuple origin: scheme, ASCII host and port (`None` when it is the scheme default).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    scheme: Scheme,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// Parses an origin per the URL standard: `https://Example.COM:443` becomes
    /// `https://example.com`, `https://bücher.example` becomes
    /// `https://xn--bcher-kva.example`. Paths (even `/`), queries, fragments, user
    /// info, schemes other than http(s) and `null` are rejected.
    #[cfg(feature = "url")]
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        precheck(input)?;
        // Reject before the URL parser strips it: "https://a.com " is not an origin.
        if input.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(OriginError::Syntax("whitespace or control character"));
        }
        let url = url::Url::parse(input).map_err(|_| OriginError::Syntax("not a URL"))?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(OriginError::Scheme),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(OriginError::HasUserInfo);
        }
        if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
            return Err(OriginError::HasPath);
        }
        // The URL parser reports "/" for both "https://a.com" and "https://a.com/".
        let after_scheme = input.split_once("://").map_or("", |(_, rest)| rest);
        if after_scheme.contains('/') {
            return Err(OriginError::HasPath);
        }
        let host = url
            .host_str()
            .ok_or(OriginError::Syntax("no host"))?
            .to_owned();
        // Registrations hold plain LDH, IPv4 or IPv6 hosts only, so that every accepted
        // origin is also accepted by `parse_serialized`.
        if !is_canonical_host(&host) {
            return Err(OriginError::Syntax(
                "host is not a plain DNS name or IP address",
            ));
        }
        Ok(Self::from_parts(scheme, host, url.port()))
    }

    /// Parses the canonical serialisation only (what browsers put in
    /// `MessageEvent.origin`): lower-case ASCII host, no default port, nothing after the
    /// port. Anything else is rejected rather than normalised, so comparing the result
    /// is comparing what the browser said.
    pub fn parse_serialized(input: &str) -> Result<Self, OriginError> {
        precheck(input)?;
        let (scheme, rest) = if let Some(rest) = input.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = input.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if find(input, "://").is_some() {
            return Err(OriginError::Scheme);
        } else {
            return Err(OriginError::Syntax("missing scheme"));
        };
        if rest.bytes().any(|b| matches!(b, b'/' | b'?' | b'#')) {
            return Err(OriginError::HasPath);
        }
        if rest.bytes().any(|b| b == b'@') {
            return Err(OriginError::HasUserInfo);
        }
        let (host, port) = split_host_port(rest)?;
        if !is_canonical_host(host) {
            return Err(OriginError::NotCanonical);
        }
        let port = match port {
            None => None,
            Some(p) => {
                let n = parse_port(p)?;
                if n == scheme.default_port() {
                    return Err(OriginError::NotCanonical);
                }
                Some(n)
            }
        };
        Ok(Self {
            scheme,
            host: host.to_owned(),
            port,
        })
    }

    #[cfg(feature = "url")]
    fn from_parts(scheme: Scheme, host: String, port: Option<u16>) -> Self {
        let port = port.filter(|p| *p != scheme.default_port());
        Self { scheme, host, port }
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The ASCII host (IPv6 addresses in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, or `None` for the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port, with the scheme default filled in.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// The canonical serialisation, e.g. `https://abc.example:8443`.
    pub fn serialize(&self) -> String {
        self.to_string()
    }
}

/// Byte offset of `needle` in `hay`. Inputs are short; a plain scan keeps the
/// general substring searcher out of browser bundles.
fn find(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

fn precheck(input: &str) -> Result<(), OriginError> {
    if input == "null" {
        return Err(OriginError::Null);
    }
    if input.len() > MAX_ORIGIN_LEN {
        return Err(OriginError::TooLong);
    }
    Ok(())
}

fn split_host_port(rest: &str) -> Result<(&str, Option<&str>), OriginError> {
    if rest.starts_with('[') {
        let end = rest
            .bytes()
            .position(|b| b == b']')
            .ok_or(OriginError::Syntax("unclosed IPv6 bracket"))?;
        // `]` is one byte, so both halves are on character boundaries.
        let (host, after) = (
            rest.get(..=end).unwrap_or_default(),
            rest.get(end + 1..).unwrap_or_default(),
        );
        match after.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(OriginError::Syntax("garbage after IPv6 host")),
        }
    } else {
        let mut parts = text::split_ascii(rest, b':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(host), None, _) => Ok((host, None)),
            (Some(host), Some(port), None) => Ok((host, Some(port))),
            // A second `:` can only make a bad port.
            _ => Err(OriginError::Syntax("bad port")),
        }
    }
}

fn parse_port(p: &str) -> Result<u16, OriginError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OriginError::Syntax("bad port"));
    }
    if p.len() > 1 && p.starts_with('0') {
        return Err(OriginError::NotCanonical);
    }
    text::digits_value(p)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or(OriginError::Syntax("port out of range"))
}

/// A lower-case LDH domain (labels of 1–63 characters, no leading or trailing
/// hyphen), a dotted IPv4 address, or a bracketed IPv6 address in lower-case hex.
fn is_canonical_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty()
            && inner.bytes().any(|b| b == b':')
            && inner.bytes().all(|b| {
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b':' || b == b'.'
            });
    }
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    // The URL standard reads a host whose last label is numeric as IPv4 ("http://0" is
    // "http://0.0.0.0"), so such a host is canonical only as a plain dotted quad.
    // By bytes: `rsplit` would link a reverse char searcher into the browser bundles.
    let last = match host.bytes().rposition(|b| b == b'.') {
        Some(dot) => host.get(dot + 1..).unwrap_or_default(),
        None => host,
    };
    if last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x") {
        return is_dotted_quad(host);
    }
    text::split_ascii(host, b'.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

fn is_dotted_quad(host: &str) -> bool {
    let parts: Vec<&str> = text::split_ascii(host, b'.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            p.len() <= 3
                && (p.len() == 1 || !p.starts_with('0'))
                && text::digits_value(p).is_some_and(|n| n <= 255)
        })
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_parts(f, &[self.scheme.as_str(), "://", &self.host])?;
        write_port(f, self.port)
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({self})")
    }
}

impl std::str::FromStr for Origin {
    type Err = OriginError;
    fn from_str(s: &str) -> Result<Self, OriginError> {
        Self::parse_serialized(s)
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Origin::parse_serialized(&s).map_err(serde::de::Error::custom)
    }
}

/// One allowlist entry: an exact origin, or an explicit subdomain pattern such as
/// `https://*.example.com` (matches `https://a.example.com` and
/// `https://a.b.example.com`, never `https://example.com` or
/// `https://badexample.com`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OriginPattern {
    /// Matches exactly one origin.
    Exact(Origin),
    /// Matches every strict subdomain of `parent` with this scheme and port.
    Subdomains {
        /// Scheme every match must have.
        scheme: Scheme,
        /// The parent domain, in canonical form, without the leading `*.`.
        parent: String,
        /// Port every match must have (`None` = scheme default).
        port: Option<u16>,
    },
}

impl OriginPattern {
    /// Parses an exact origin, or a `scheme://*.parent[:port]` pattern, from canonical
    /// serialised form.
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        const WILDCARD: &str = "://*.";
        let split = find(input, WILDCARD).map(|i| {
            (
                input.get(..i).unwrap_or_default(),
                input.get(i + WILDCARD.len()..).unwrap_or_default(),
            )
        });
        match split {
            Some((scheme, rest)) => {
                let base = Origin::parse_serialized(&[scheme, "://", rest].concat())?;
                if base.host.starts_with('[') || !base.host.contains('.') {
                    return Err(OriginError::WildcardTooBroad);
                }
                Ok(OriginPattern::Subdomains {
                    scheme: base.scheme,
                    parent: base.host,
                    port: base.port,
                })
            }
            None => Origin::parse_serialized(input).map(OriginPattern::Exact),
        }
    }

    /// True when `origin` is allowed by this entry.
    pub fn matches(&self, origin: &Origin) -> bool {
        match self {
            OriginPattern::Exact(o) => o == origin,
            OriginPattern::Subdomains {
                scheme,
                parent,
                port,
            } => {
                origin.scheme == *scheme
                    && origin.port == *port
                    && origin
                        .host
                        .strip_suffix(parent.as_str())
                        .and_then(|sub| sub.strip_suffix('.'))
                        .is_some_and(|sub| !sub.is_empty())
            }
        }
    }
}

/// `:port`, when there is one.
fn write_port(f: &mut fmt::Formatter<'_>, port: Option<u16>) -> fmt::Result {
    match port {
        Some(port) => write_parts(f, &[":", &text::decimal(i64::from(port))]),
        None => Ok(()),
    }
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginPattern::Exact(o) => o.fmt(f),
            OriginPattern::Subdomains {
                scheme,
                parent,
                port,
            } => {
                write_parts(f, &[scheme.as_str(), "://*.", parent])?;
                write_port(f, *port)
            }
        }
    }
}

impl Serialize for OriginPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OriginPattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OriginPattern::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The origins registered for one client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OriginAllowlist(Vec<OriginPattern>);

impl OriginAllowlist {
    /// Builds an allowlist from its entries.
    pub fn new(entries: Vec<OriginPattern>) -> Self {
        Self(entries)
    }

    /// True when some entry matches `origin`.
    pub fn allows(&self, origin: &Origin) -> bool {
        self.0.iter().any(|p| p.matches(origin))
    }

    /// Checks the browser-reported origin string of a message: `null`, non-canonical
    /// and unlisted origins are all refused.
    pub fn allows_serialized(&self, origin: &str) -> bool {
        Origin::parse_serialized(origin).is_ok_and(|o| self.allows(&o))
    }

    /// The entries.
    pub fn entries(&self) -> &[OriginPattern] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ser(s: &str) -> Origin {
        Origin::parse_serialized(s).unwrap()
    }

    #[cfg(feature = "url")]
    #[test]
    fn parse_normalises_per_url_standard() {
        let cases = [
            ("https://Example.COM", "https://example.com"),
            ("https://example.com:443", "https://example.com"),
            ("http://example.com:80", "http://example.com"),
            ("http://abc.localhost:8081", "http://abc.localhost:8081"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ];
        for (input, want) in cases {
            let o = Origin::parse(input).unwrap();
            assert_eq!(o.to_string(), want, "{input}");
            assert_eq!(Origin::parse_serialized(want).unwrap(), o);
        }
    }

    #[cfg(feature = "url")]
    #[test]
    fn parse_rejects_non_origins() {
        use OriginError::*;
        let cases = [
            ("null", Null),
            ("https://a.com/", HasPath),
            ("https://a.com/x", HasPath),
            ("https://a.com?q", HasPath),
            ("https://a.com#f", HasPath),
            ("https://u:p@a.com", HasUserInfo),
            ("ftp://a.com", Scheme),
            ("file:///etc/passwd", Scheme),
            ("javascript:alert(1)", Scheme),
            ("https://a.com ", Syntax("whitespace or control character")),
            ("a.com", Syntax("not a URL")),
        ];
        for (input, want) in cases {
            assert_eq!(Origin::parse(input), Err(want), "{input}");
        }
    }

    #[test]
    fn parse_serialized_accepts_only_canonical_form() {
        assert_eq!(ser("http://abc.localhost:8081").port(), Some(8081));
        assert_eq!(ser("https://a.com").port_or_default(), 443);
        use OriginError::*;
        for (input, want) in [
            ("https://A.com", NotCanonical),
            ("https://a.com:443", NotCanonical),
            ("http://a.com:080", NotCanonical),
            ("https://bücher.example", NotCanonical),
            ("https://a.com/", HasPath),
            ("https://u@a.com", HasUserInfo),
            ("null", Null),
            ("wss://a.com", Scheme),
            ("https://a.com:", Syntax("bad port")),
            ("https://a.com:99999", Syntax("port out of range")),
            ("https://", NotCanonical),
            ("https://-a.com", NotCanonical),
            ("https://a..com", NotCanonical),
            ("http://0", NotCanonical),
            ("http://1.2.3", NotCanonical),
            ("http://127.0.0.01", NotCanonical),
            ("http://0x7f.0.0.1", NotCanonical),
            ("http://a.0x1", NotCanonical),
        ] {
            assert_eq!(Origin::parse_serialized(input), Err(want), "{input}");
        }
    }

    #[test]
    fn exact_match_is_exact() {
        let list = OriginAllowlist::new(vec![
            OriginPattern::parse("http://abc.localhost:8081").unwrap()
        ]);
        assert!(list.allows_serialized("http://abc.localhost:8081"));
        for other in [
            "http://abc.localhost:8082",
            "https://abc.localhost:8081",
            "http://abc.localhost",
            "http://abc.localhost.evil.localhost:8081",
            "http://evilabc.localhost:8081",
            "http://x.abc.localhost:8081",
            "http://abc.localhost:8081/",
            "null",
            "HTTP://ABC.LOCALHOST:8081",
        ] {
            assert!(!list.allows_serialized(other), "{other}");
        }
    }

    #[test]
    fn subdomain_patterns_match_on_label_boundaries() {
        let p = OriginPattern::parse("https://*.example.com").unwrap();
        assert!(p.matches(&ser("https://a.example.com")));
        assert!(p.matches(&ser("https://a.b.example.com")));
        assert!(!p.matches(&ser("https://example.com")));
        assert!(!p.matches(&ser("https://badexample.com")));
        assert!(!p.matches(&ser("https://a.example.com.evil.com")));
        assert!(!p.matches(&ser("http://a.example.com")));
        assert!(!p.matches(&ser("https://a.example.com:8443")));
        assert_eq!(p.to_string(), "https://*.example.com");
        assert_eq!(
            OriginPattern::parse("https://*.com"),
            Err(OriginError::WildcardTooBroad)
        );
        assert_eq!(
            OriginPattern::parse("https://*.localhost"),
            Err(OriginError::WildcardTooBroad)
        );
    }

    #[test]
    fn serde_round_trip() {
        let list: OriginAllowlist =
            serde_json::from_str(r#"["http://abc.localhost:8081","https://*.abc.example"]"#)
                .unwrap();
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"["http://abc.localhost:8081","https://*.abc.example"]"#
        );
        assert!(serde_json::from_str::<OriginAllowlist>(r#"["null"]"#).is_err());
    }
}
