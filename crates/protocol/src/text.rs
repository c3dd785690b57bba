//! Text without the formatting machinery.
//!
//! `write!`, `format!` and `to_string` link `core::fmt`'s interpreter, padding and
//! integer printing into every wasm bundle that reaches them. The messages the hub and
//! the SDK use are written through [`Describe`] and the helpers here instead, so the
//! bundles carry none of it; native callers see the same text through `Display`.

use std::fmt;

/// Where [`Describe`] writes: a `String` or a `Formatter`. Not `fmt::Write`, whose
/// vtable would carry `write_fmt` and with it `core::fmt::write`.
pub trait Sink {
    /// Appends `s`.
    fn write_str(&mut self, s: &str) -> fmt::Result;
}

impl Sink for String {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

impl Sink for fmt::Formatter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        fmt::Formatter::write_str(self, s)
    }
}

/// Text written piece by piece into a [`Sink`]. The errors the hub and the SDK report
/// implement it and their `Display` calls it; [`Describe::text`] writes into a
/// `String` directly, where `to_string` would go through `core::fmt::write`.
pub trait Describe {
    /// Writes the text.
    fn describe(&self, out: &mut dyn Sink) -> fmt::Result;

    /// The text.
    fn text(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.describe(&mut out);
        out
    }
}

/// `Display` for types that implement [`Describe`]: the same text, one definition.
#[macro_export]
macro_rules! display_by_describe {
    ($($t:ty),+ $(,)?) => {$(
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::text::Describe::describe(self, f)
            }
        }
    )+};
}

impl Describe for &str {
    fn describe(&self, out: &mut dyn Sink) -> fmt::Result {
        out.write_str(self)
    }
}

/// Writes `parts` one after another.
pub fn write_parts(out: &mut dyn Sink, parts: &[&str]) -> fmt::Result {
    parts.iter().try_for_each(|p| out.write_str(p))
}

/// Appends `n` in decimal to `out`.
pub fn push_decimal(n: i64, out: &mut String) {
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n.unsigned_abs();
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (rest % 10) as u8;
        }
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for d in digits.iter().take(len).rev() {
        out.push(char::from(*d));
    }
}

/// `n` in decimal.
pub fn decimal(n: i64) -> String {
    let mut out = String::new();
    push_decimal(n, &mut out);
    out
}

/// The pieces of `s` between occurrences of the ASCII byte `sep`, as `s.split(sep)`
/// gives them, without linking the char searcher. An ASCII byte never occurs inside a
/// multi-byte character, so every piece lies on character boundaries.
pub fn split_ascii(s: &str, sep: u8) -> SplitAscii<'_> {
    SplitAscii { rest: Some(s), sep }
}

/// The iterator of [`split_ascii`].
#[derive(Clone, Debug)]
pub struct SplitAscii<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for SplitAscii<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|b| b == self.sep) {
            Some(at) => {
                self.rest = rest.get(at + 1..);
                rest.get(..at)
            }
            None => self.rest.take(),
        }
    }
}

/// The value of a string of 1 to 19 ASCII digits; `None` for anything else.
pub fn digits_value(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.bytes().try_fold(0u64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_ascii_matches_str_split() {
        for s in ["", ".", "a", "a.b", ".a.", "a..b", "ü.é.x", "..", "abc"] {
            let ours: Vec<&str> = split_ascii(s, b'.').collect();
            let std: Vec<&str> = s.split('.').collect();
            assert_eq!(ours, std, "{s:?}");
        }
    }

    #[test]
    fn digits_value_reads_plain_digits_only() {
        assert_eq!(digits_value("0"), Some(0));
        assert_eq!(digits_value("65535"), Some(65535));
        assert_eq!(
            digits_value("9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        for bad in ["", "-1", "+1", "1a", " 1", "١", "99999999999999999999"] {
            assert_eq!(digits_value(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn decimal_matches_display() {
        for n in [0, 7, -7, 10, 99, 100, 65_536, i64::MAX, i64::MIN] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn text_is_what_display_shows() {
        use crate::claims::ClaimError;
        use crate::jose::JoseError;
        use crate::json::JsonError;
        use crate::rpc::{DecodeError, InvalidId, Method};
        use crate::{IdError, OriginError, ScopeError, ScopeSet};
        fn same(d: &(impl Describe + fmt::Display)) {
            assert!(!d.text().is_empty());
            assert_eq!(d.text(), d.to_string());
        }
        same(&JsonError::Syntax(12));
        same(&JsonError::Invalid("scope", "empty scope token".into()));
        same(&DecodeError::InvalidParams {
            method: Method::TokenGet,
            reason: JsonError::Missing("scope"),
        });
        same(&DecodeError::TooLarge(70_000));
        same(&ClaimError::Missing("exp"));
        same(&JoseError::Json("x".into()));
        same(&OriginError::Syntax("bad port"));
        same(&IdError::Charset);
        same(&ScopeError::Empty);
        same(&InvalidId);
        same(&ScopeSet::parse("b a").unwrap_or_default());
    }

    #[test]
    fn parts_are_written_in_order() {
        struct T;
        impl Describe for T {
            fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
                write_parts(f, &["a", "", "bc"])
            }
        }
        assert_eq!(T.text(), "abc");
    }
}
