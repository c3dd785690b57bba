//! OAuth scopes (RFC 6749 §3.3) and sets of them.

use crate::text::{Describe, Sink};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest scope string accepted, to bound work on hostile input.
pub const MAX_SCOPE_LEN: usize = 1024;

/// Why a scope string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeError {
    /// A scope token is empty (leading, trailing or doubled space).
    Empty,
    /// A character RFC 6749 does not allow in a scope token.
    Charset,
    /// The whole string is longer than [`MAX_SCOPE_LEN`].
    TooLong,
}

impl Describe for ScopeError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        f.write_str(match self {
            ScopeError::Empty => "empty scope token",
            ScopeError::Charset => "invalid character in scope token",
            ScopeError::TooLong => "scope string too long",
        })
    }
}

crate::display_by_describe!(ScopeError);

impl std::error::Error for ScopeError {}

/// One scope token, e.g. `form.read`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(String);

impl Scope {
    /// Validates one token: `1*( %x21 / %x23-5B / %x5D-7E )`.
    pub fn new(s: impl Into<String>) -> Result<Self, ScopeError> {
        let s = s.into();
        if s.is_empty() {
            return Err(ScopeError::Empty);
        }
        if !s
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
        {
            return Err(ScopeError::Charset);
        }
        Ok(Self(s))
    }

    /// The token's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A set of scopes, written on the wire as space-separated tokens in sorted order.
///
/// Kept as a sorted `Vec`: sets hold a handful of scopes, and a tree (or a generic
/// sort) would be most of the code this type adds to a browser bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Parses `"a b c"`. The empty string is the empty set; repeated tokens collapse.
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        if s.len() > MAX_SCOPE_LEN {
            return Err(ScopeError::TooLong);
        }
        if s.is_empty() {
            return Ok(Self::default());
        }
        let mut set = Self::default();
        for token in crate::text::split_ascii(s, b' ') {
            set.insert(Scope::new(token)?);
        }
        Ok(set)
    }

    /// Adds `scope`, keeping the set sorted and free of repeats.
    pub fn insert(&mut self, scope: Scope) {
        if let Err(at) = self.0.binary_search(&scope) {
            self.0.insert(at, scope);
        }
    }

    /// True when every scope in `self` is also in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.0.binary_search(s).is_ok())
    }

    /// True when `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.as_str() == scope)
    }

    /// True for the empty set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = Self::default();
        for scope in iter {
            set.insert(scope);
        }
        set
    }
}

crate::json_text_member!(ScopeSet, ScopeSet::parse, text);

impl std::str::FromStr for ScopeSet {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, ScopeError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ScopeSet {
    type Error = ScopeError;
    fn try_from(s: String) -> Result<Self, ScopeError> {
        Self::parse(&s)
    }
}

impl From<ScopeSet> for String {
    fn from(s: ScopeSet) -> String {
        s.text()
    }
}

impl Describe for ScopeSet {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

crate::display_by_describe!(ScopeSet);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_dedups() {
        let s = ScopeSet::parse("form.write form.read form.write").unwrap();
        assert_eq!(s.to_string(), "form.read form.write");
        assert!(s.contains("form.read"));
        assert!(!s.contains("form"));
    }

    #[test]
    fn rejects_bad_tokens() {
        assert_eq!(ScopeSet::parse("a  b"), Err(ScopeError::Empty));
        assert_eq!(ScopeSet::parse(" a"), Err(ScopeError::Empty));
        assert_eq!(ScopeSet::parse("a\"b"), Err(ScopeError::Charset));
        assert_eq!(ScopeSet::parse("a\\b"), Err(ScopeError::Charset));
        assert_eq!(ScopeSet::parse("é"), Err(ScopeError::Charset));
        assert_eq!(ScopeSet::parse(&"a".repeat(2000)), Err(ScopeError::TooLong));
        assert!(ScopeSet::parse("").unwrap().is_empty());
    }

    #[test]
    fn subset() {
        let read = ScopeSet::parse("form.read").unwrap();
        let both = ScopeSet::parse("form.read form.write").unwrap();
        assert!(read.is_subset(&both));
        assert!(!both.is_subset(&read));
        assert!(ScopeSet::default().is_subset(&read));
    }

    #[test]
    fn serde_is_a_string() {
        let s: ScopeSet = serde_json::from_str("\"b a\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"a b\"");
        assert!(serde_json::from_str::<ScopeSet>("[\"a\"]").is_err());
    }
}
