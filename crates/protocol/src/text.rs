//! Text without the formatting machinery.
//!
//! `write!` and `format!` link `core::fmt`'s interpreter, padding and integer printing
//! into every wasm bundle that reaches them. The Display impls and messages the hub
//! and the SDK use are built from these two helpers instead, so the bundles carry none
//! of it; native callers see the same text.

use std::fmt;

/// Writes `parts` one after another.
pub fn write_parts(f: &mut fmt::Formatter<'_>, parts: &[&str]) -> fmt::Result {
    parts.iter().try_for_each(|p| f.write_str(p))
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
    fn parts_are_written_in_order() {
        struct T;
        impl fmt::Display for T {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_parts(f, &["a", "", "bc"])
            }
        }
        assert_eq!(T.to_string(), "abc");
    }
}
