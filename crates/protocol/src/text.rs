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

#[cfg(test)]
mod tests {
    use super::*;

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
