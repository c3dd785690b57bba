//! A small, strict JSON reader and writer (RFC 8259) for the messages browser code
//! exchanges: the hub RPC, the hub's configuration and stored sessions.
//!
//! It exists for size: the hub and the SDK are downloaded by every partner page, and a
//! generic serialisation framework costs them several times their own code. It is
//! stricter than most parsers: duplicate members, nesting deeper than [`MAX_DEPTH`],
//! lone surrogates and trailing data are errors. Numbers are kept as integers when they
//! are integers and as their source text otherwise, so no floating-point code is
//! linked in.
//!
//! This file holds the values and the parser; `members.rs` how a type reads and writes
//! its members (the `Json` and `Member` traits), `derive.rs` the macros that derive a
//! type's codec from its field list, and `serde_bridge.rs` the bridge to serde for server code.

use crate::text::{self, write_parts, Describe, Sink};
use std::fmt;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 32;

/// A parsed JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number without fraction or exponent that fits an `i64`.
    Int(i64),
    /// Any other number, as its source text.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in source order (names are unique).
    Object(Vec<(String, Value)>),
}

/// Why a text is not acceptable JSON, or a value not the expected shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at this byte offset.
    Syntax(usize),
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An object names a member twice.
    Duplicate(String),
    /// A member the type does not have.
    Unknown(String),
    /// A required member is absent.
    Missing(&'static str),
    /// A value of the wrong JSON type.
    Type(&'static str, &'static str),
    /// A value of the right type that its type refuses.
    Invalid(&'static str, String),
}

impl Describe for JsonError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        match self {
            JsonError::Syntax(at) => {
                write_parts(f, &["invalid JSON at byte ", &text::decimal(*at as i64)])
            }
            JsonError::TooDeep => f.write_str("JSON nested too deeply"),
            JsonError::Duplicate(name) => write_parts(f, &["duplicate member `", name, "`"]),
            JsonError::Unknown(name) => write_parts(f, &["unknown member `", name, "`"]),
            JsonError::Missing(name) => write_parts(f, &["missing member `", name, "`"]),
            JsonError::Type(name, kind) => write_parts(f, &["`", name, "` must be ", kind]),
            JsonError::Invalid(name, why) => write_parts(f, &["`", name, "`: ", why]),
        }
    }
}

crate::display_by_describe!(JsonError);

impl std::error::Error for JsonError {}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The member `name` of an object (`None` for other values).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_object()?
            .iter()
            .find_map(|(k, v)| (k == name).then_some(v))
    }

    /// An object from `(name, value)` pairs; pairs whose value is `None` are left out.
    pub fn object<const N: usize>(members: [(&str, Option<Value>); N]) -> Value {
        // One copy of the loop for every N: only the move into a Vec is per size.
        Value::object_of(Vec::from(members))
    }

    fn object_of(members: Vec<(&str, Option<Value>)>) -> Value {
        let mut out = Vec::with_capacity(members.len());
        for (k, v) in members {
            if let Some(v) = v {
                out.push((k.to_owned(), v));
            }
        }
        Value::Object(out)
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(n) => text::push_decimal(*n, out),
            Value::Number(text) => out.push_str(text),
            Value::String(s) => write_string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(name, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Int(i64::from(n))
    }
}

fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // U+2028/2029 are escaped too, so the text is safe inside a <script>.
            c if c < ' ' || c == '\u{2028}' || c == '\u{2029}' || c == '<' => {
                let n = c as usize;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    let digit = HEX.get((n >> shift) & 0xf).copied().unwrap_or(b'0');
                    out.push(char::from(digit));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses one JSON text (surrounding whitespace allowed, nothing else).
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(JsonError::Syntax(p.pos));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn error<T>(&self) -> Result<T, JsonError> {
        Err(JsonError::Syntax(self.pos))
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            self.error()
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, JsonError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            self.error()
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                let depth = nested(depth)?;
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth)?);
                    self.skip_ws();
                    match self.bump() {
                        Some(b',') => {}
                        Some(b']') => return Ok(Value::Array(items)),
                        _ => return Err(JsonError::Syntax(self.pos.saturating_sub(1))),
                    }
                }
            }
            Some(b'{') => {
                let depth = nested(depth)?;
                self.pos += 1;
                let mut members: Vec<(String, Value)> = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                loop {
                    self.skip_ws();
                    let name = self.string()?;
                    if members.iter().any(|(k, _)| *k == name) {
                        return Err(JsonError::Duplicate(name));
                    }
                    self.skip_ws();
                    self.expect(b':')?;
                    let value = self.value(depth)?;
                    members.push((name, value));
                    self.skip_ws();
                    match self.bump() {
                        Some(b',') => {}
                        Some(b'}') => return Ok(Value::Object(members)),
                        _ => return Err(JsonError::Syntax(self.pos.saturating_sub(1))),
                    }
                }
            }
            _ => self.error(),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.error(),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if self.digits() == 0 {
                return self.error();
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.error();
            }
        }
        // The bytes are ASCII digits and signs, so this slice is valid UTF-8.
        let text = std::str::from_utf8(self.bytes.get(start..self.pos).unwrap_or_default())
            .unwrap_or_default();
        Ok(match integer.then(|| int_value(text)).flatten() {
            Some(n) => Value::Int(n),
            None => Value::Number(text.to_owned()),
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.bump() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(JsonError::Syntax(self.pos.saturating_sub(1))),
            };
            n = n * 16 + u32::from(d);
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err(JsonError::Syntax(at)),
                Some(b'"') => break,
                Some(b'\\') => {
                    let c = match self.bump() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                // A high surrogate must be followed by an escaped low one.
                                if self.bump() != Some(b'\\') || self.bump() != Some(b'u') {
                                    return Err(JsonError::Syntax(at));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(JsonError::Syntax(at));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or(JsonError::Syntax(at))?
                        }
                        _ => return Err(JsonError::Syntax(at)),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(b) if b < 0x20 => return Err(JsonError::Syntax(at)),
                Some(b) => out.push(b),
            }
        }
        // The input is a &str and escapes produce whole characters, so this holds.
        String::from_utf8(out).map_err(|_| JsonError::Syntax(self.pos))
    }
}

/// `-?[0-9]+` as an `i64`, or `None` when it does not fit (a few lines where
/// `str::parse` would link a general radix parser).
fn int_value(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        Some(digits) => 0i64.checked_sub_unsigned(text::digits_value(digits)?),
        None => i64::try_from(text::digits_value(text)?).ok(),
    }
}

fn nested(depth: usize) -> Result<usize, JsonError> {
    if depth >= MAX_DEPTH {
        Err(JsonError::TooDeep)
    } else {
        Ok(depth + 1)
    }
}

mod derive;
mod members;
mod serde_bridge;
#[cfg(test)]
mod tests;

pub use members::*;
