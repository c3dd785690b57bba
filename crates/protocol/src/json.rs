//! A small, strict JSON reader and writer (RFC 8259) for the messages browser code
//! exchanges: the hub RPC, the hub's configuration and stored sessions.
//!
//! It exists for size: the hub and the SDK are downloaded by every partner page, and a
//! generic serialisation framework costs them several times their own code. It is
//! stricter than most parsers: duplicate members, nesting deeper than [`MAX_DEPTH`],
//! lone surrogates and trailing data are errors. Numbers are kept as integers when they
//! are integers and as their source text otherwise, so no floating-point code is
//! linked in.

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

/// Reads the members of an object one by one, then refuses any it did not read.
///
/// ```
/// use crosspass_protocol::json::{parse, Members};
/// let v = parse(r#"{"a":"x","b":2}"#).unwrap();
/// let mut m = Members::of(&v, "message").unwrap();
/// assert_eq!(m.str("a").unwrap(), "x");
/// assert_eq!(m.finish().unwrap_err().to_string(), "unknown member `b`");
/// ```
#[derive(Debug)]
pub struct Members<'a> {
    members: &'a [(String, Value)],
    read: Vec<bool>,
}

impl<'a> Members<'a> {
    /// The members of `value`, which must be an object (`what` names it in the error).
    pub fn of(value: &'a Value, what: &'static str) -> Result<Self, JsonError> {
        let members = value
            .as_object()
            .ok_or(JsonError::Type(what, "an object"))?;
        Ok(Self {
            members,
            read: vec![false; members.len()],
        })
    }

    /// The member `name`; `null` counts as absent.
    pub fn take(&mut self, name: &str) -> Option<&'a Value> {
        let i = self.members.iter().position(|(k, _)| k == name)?;
        if let Some(r) = self.read.get_mut(i) {
            *r = true;
        }
        self.members
            .get(i)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Value::Null))
    }

    /// The member `name`, which must be present.
    pub fn required(&mut self, name: &'static str) -> Result<&'a Value, JsonError> {
        required(name, self.take(name))
    }

    /// A required string member.
    pub fn str(&mut self, name: &'static str) -> Result<&'a str, JsonError> {
        required_str(name, self.take(name))
    }

    /// An optional string member.
    pub fn opt_str(&mut self, name: &'static str) -> Result<Option<&'a str>, JsonError> {
        self.take(name)
            .map(|v| required_str(name, Some(v)))
            .transpose()
    }

    /// A required integer member.
    pub fn int(&mut self, name: &'static str) -> Result<i64, JsonError> {
        i64::read(name, self.take(name))
    }

    /// A required boolean member.
    pub fn bool(&mut self, name: &'static str) -> Result<bool, JsonError> {
        bool::read(name, self.take(name))
    }

    /// A required string member parsed by `parse` (its error becomes [`JsonError::Invalid`]).
    pub fn parsed<T, E: Describe>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, JsonError> {
        let s = self.str(name)?;
        parse(s).map_err(|e| JsonError::Invalid(name, e.text()))
    }

    /// An optional string member parsed by `parse`.
    pub fn opt_parsed<T, E: Describe>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, JsonError> {
        self.opt_str(name)?
            .map(|s| parse(s).map_err(|e| JsonError::Invalid(name, e.text())))
            .transpose()
    }

    /// Fails on the first member that was not read.
    pub fn finish(self) -> Result<(), JsonError> {
        match self
            .members
            .iter()
            .zip(&self.read)
            .find(|(_, read)| !**read)
        {
            Some(((name, _), _)) => Err(JsonError::Unknown(name.clone())),
            None => Ok(()),
        }
    }
}

/// A type with one JSON form.
pub trait Json: Sized {
    /// The value this encodes to.
    fn to_value(&self) -> Value;
    /// Decodes, refusing any other shape.
    fn from_value(value: &Value) -> Result<Self, JsonError>;

    /// The JSON text.
    fn to_json(&self) -> String {
        self.to_value().to_json()
    }

    /// Parses and decodes JSON text.
    fn from_json(text: &str) -> Result<Self, JsonError> {
        Self::from_value(&parse(text)?)
    }
}

/// How one member of an object reads and writes its value: the piece of a type's
/// codec that [`json_object!`](crate::json_object) repeats for every field.
pub trait Member: Sized {
    /// The member's value; `None` leaves the member out.
    fn write(&self) -> Option<Value>;
    /// Reads member `name` from `value` (`None`: absent or `null`).
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError>;
    /// The member's TypeScript type, for the SDK's generated types.
    fn ts() -> String;
    /// Whether the member may be absent (`name?:` in TypeScript).
    const OPTIONAL: bool = false;
}

/// Whether `value` is its type's default (a `#[default]` member is then left out).
pub fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `  name: type;` (or `name?:`, for an option or a member with a default) for the
/// member of `S` that `field` reaches.
pub fn ts_member<S, T: Member>(name: &str, has_default: bool, field: impl Fn(&S) -> &T) -> String {
    let _ = field;
    let colon = if T::OPTIONAL || has_default {
        "?: "
    } else {
        ": "
    };
    ["  ", name, colon, &T::ts(), ";\n"].concat()
}

/// A struct whose codec [`json_object!`](crate::json_object) derived: its TypeScript
/// interface, member for member.
pub trait JsonObject {
    /// `export interface Name { member: type; … }`.
    fn ts_interface() -> String;
}

/// The value of a member that must be present.
pub fn required<'a>(name: &'static str, value: Option<&'a Value>) -> Result<&'a Value, JsonError> {
    value.ok_or(JsonError::Missing(name))
}

/// The string of a member that must be a present string.
pub fn required_str<'a>(
    name: &'static str,
    value: Option<&'a Value>,
) -> Result<&'a str, JsonError> {
    required(name, value)?
        .as_str()
        .ok_or(JsonError::Type(name, "a string"))
}

impl Member for String {
    fn write(&self) -> Option<Value> {
        Some(self.as_str().into())
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        required_str(name, value).map(str::to_owned)
    }
    fn ts() -> String {
        "string".into()
    }
}

impl Member for i64 {
    fn write(&self) -> Option<Value> {
        Some((*self).into())
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        match required(name, value)? {
            Value::Int(n) => Ok(*n),
            _ => Err(JsonError::Type(name, "an integer")),
        }
    }
    fn ts() -> String {
        "number".into()
    }
}

impl Member for bool {
    fn write(&self) -> Option<Value> {
        Some((*self).into())
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        match required(name, value)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(JsonError::Type(name, "a boolean")),
        }
    }
    fn ts() -> String {
        "boolean".into()
    }
}

/// Absent (or `null`) reads as `None`; `None` is left out.
impl<T: Member> Member for Option<T> {
    fn write(&self) -> Option<Value> {
        self.as_ref().and_then(Member::write)
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        value.map(|v| T::read(name, Some(v))).transpose()
    }
    fn ts() -> String {
        T::ts()
    }
    const OPTIONAL: bool = true;
}

impl Member for u16 {
    fn write(&self) -> Option<Value> {
        Some(i64::from(*self).into())
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        u16::try_from(i64::read(name, value)?)
            .map_err(|_| JsonError::Type(name, "a 16-bit unsigned integer"))
    }
    fn ts() -> String {
        "number".into()
    }
}

impl Member for u32 {
    fn write(&self) -> Option<Value> {
        Some((*self).into())
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        u32::try_from(i64::read(name, value)?)
            .map_err(|_| JsonError::Type(name, "a 32-bit unsigned integer"))
    }
    fn ts() -> String {
        "number".into()
    }
}

/// An array, each item read as `T`.
impl<T: Member> Member for Vec<T> {
    fn write(&self) -> Option<Value> {
        Some(Value::Array(
            self.iter().filter_map(Member::write).collect(),
        ))
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        match required(name, value)? {
            Value::Array(items) => items.iter().map(|i| T::read(name, Some(i))).collect(),
            _ => Err(JsonError::Type(name, "an array")),
        }
    }
    fn ts() -> String {
        [&T::ts(), "[]"].concat()
    }
}

/// Any JSON value (a record's values, whose shape the form schema gives).
impl Member for Value {
    fn write(&self) -> Option<Value> {
        Some(self.clone())
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        required(name, value).cloned()
    }
    fn ts() -> String {
        "unknown".into()
    }
}

impl<T: Member> Member for Box<T> {
    fn write(&self) -> Option<Value> {
        T::write(self)
    }
    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        T::read(name, value).map(Box::new)
    }
    fn ts() -> String {
        T::ts()
    }
}

/// A member whose value is a string that `$parse` checks, written back by the
/// method `$text`; in TypeScript a `string`, or the generated union `$ts` names.
#[macro_export]
macro_rules! json_text_member {
    ($t:ty, $parse:expr, $text:ident) => {
        $crate::json_text_member!($t, $parse, $text, "string");
    };
    ($t:ty, $parse:expr, $text:ident, $ts:literal) => {
        impl $crate::json::Member for $t {
            fn write(&self) -> Option<$crate::json::Value> {
                Some(self.$text().into())
            }
            fn read(
                name: &'static str,
                value: Option<&$crate::json::Value>,
            ) -> Result<Self, $crate::json::JsonError> {
                let text = $crate::json::required_str(name, value)?;
                $parse(text).map_err(|e| {
                    $crate::json::JsonError::Invalid(name, $crate::text::Describe::text(&e))
                })
            }
            fn ts() -> String {
                $ts.into()
            }
        }
    };
}

/// The codec of a struct whose members are its fields, by the same names: its
/// [`Json`] impl (`what` names it in errors) and its [`Member`] impl as a nested
/// object. `deny_unknown` refuses members the struct does not have (messages between
/// Crosspass's own parts); `ignore_unknown` skips them (claims: RFC 7519 §4). A field
/// written `kind as "type"` has another member name; one marked `#[default]` may be
/// absent (its type's default) and is left out when it holds the default. A rule
/// across members goes last, `check = Type::check`, run on the decoded value.
///
/// ```
/// use crosspass_protocol::json::Json;
/// #[derive(Debug, PartialEq)]
/// struct Point { x: i64, label: Option<String> }
/// crosspass_protocol::json_object!(Point, "point", deny_unknown { x, label });
/// assert_eq!(Point { x: 1, label: None }.to_json(), r#"{"x":1}"#);
/// assert_eq!(Point::from_json(r#"{"x":2,"label":"b"}"#).unwrap().label.as_deref(), Some("b"));
/// assert_eq!(Point::from_json(r#"{"x":2,"y":3}"#).unwrap_err().to_string(), "unknown member `y`");
/// ```
#[macro_export]
macro_rules! json_object {
    ($t:ty, $what:literal, $unknown:ident {
        $($(#[$default:ident])? $field:ident $(as $json:literal)?),* $(,)?
    } $(, check = $check:path)?) => {
        impl $crate::json::Json for $t {
            fn to_value(&self) -> $crate::json::Value {
                $crate::json::Value::object([
                    $((
                        $crate::json_object!(@name $field $($json)?),
                        $crate::json_object!(@write self $field $($default)?),
                    ),)*
                ])
            }
            fn from_value(
                value: &$crate::json::Value,
            ) -> Result<Self, $crate::json::JsonError> {
                // Not mutated by a struct without members (`NoParams`).
                #[allow(unused_mut)]
                let mut members = $crate::json::Members::of(value, $what)?;
                let out = Self {
                    $($field: $crate::json_object!(
                        @read members ($crate::json_object!(@name $field $($json)?)) $($default)?
                    ),)*
                };
                $crate::json_object!(@$unknown members);
                $($check(&out)?;)?
                Ok(out)
            }
        }
        impl $crate::json::Member for $t {
            fn write(&self) -> Option<$crate::json::Value> {
                Some($crate::json::Json::to_value(self))
            }
            fn read(
                name: &'static str,
                value: Option<&$crate::json::Value>,
            ) -> Result<Self, $crate::json::JsonError> {
                $crate::json::Json::from_value($crate::json::required(name, value)?)
            }
            fn ts() -> String {
                stringify!($t).into()
            }
        }
        impl $crate::json::JsonObject for $t {
            fn ts_interface() -> String {
                let mut out = ["export interface ", stringify!($t), " {\n"].concat();
                $(
                    out.push_str(&$crate::json::ts_member(
                        $crate::json_object!(@name $field $($json)?),
                        $crate::json_object!(@has_default $($default)?),
                        |o: &$t| &o.$field,
                    ));
                )*
                out.push('}');
                out
            }
        }
    };
    (@name $field:ident) => {
        stringify!($field)
    };
    (@name $field:ident $json:literal) => {
        $json
    };
    (@write $self:ident $field:ident) => {
        $crate::json::Member::write(&$self.$field)
    };
    // `#[default]`: the member is left out at its type's default, and absent means it.
    (@write $self:ident $field:ident default) => {
        if $crate::json::is_default(&$self.$field) {
            None
        } else {
            $crate::json::Member::write(&$self.$field)
        }
    };
    (@read $members:ident ($name:expr)) => {
        $crate::json::Member::read($name, $members.take($name))?
    };
    (@read $members:ident ($name:expr) default) => {
        match $members.take($name) {
            None => Default::default(),
            value => $crate::json::Member::read($name, value)?,
        }
    };
    (@has_default) => {
        false
    };
    (@has_default default) => {
        true
    };
    (@deny_unknown $members:ident) => {
        $members.finish()?
    };
    (@ignore_unknown $members:ident) => {
        drop($members)
    };
}

/// The codec of a type whose wire form is another, derived type `$wire`: a Rust-side
/// view (an enum of alternatives) over a flat wire object. Writing goes through
/// `$wire: From<&$t>`, reading through `$t: TryFrom<$wire, Error = JsonError>`, which
/// is where the rule across members lives.
#[macro_export]
macro_rules! json_via {
    ($t:ty, $wire:ty) => {
        impl $crate::json::Json for $t {
            fn to_value(&self) -> $crate::json::Value {
                $crate::json::Json::to_value(&<$wire>::from(self))
            }
            fn from_value(value: &$crate::json::Value) -> Result<Self, $crate::json::JsonError> {
                <$wire as $crate::json::Json>::from_value(value)?.try_into()
            }
        }
    };
}

/// Serde support for a [`Json`] type, through its one codec: server code that speaks
/// serde (JWT signing and verification) reads and writes it exactly as the browser does.
#[macro_export]
macro_rules! serde_via_json {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&$crate::json::Json::to_value(self), s)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <$crate::json::Value as serde::Deserialize>::deserialize(d)?;
                $crate::json::Json::from_value(&value).map_err(serde::de::Error::custom)
            }
        }
    };
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(n) => s.serialize_i64(*n),
            // Only ever read from a text, never made by Crosspass's own types.
            Value::Number(text) => match text.parse::<f64>() {
                Ok(n) => s.serialize_f64(n),
                Err(_) => s.serialize_str(text),
            },
            Value::String(text) => s.serialize_str(text),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// As strict as [`parse`] about duplicate members, which it refuses; a number that is
/// not an `i64` becomes [`Value::Number`], which integer members refuse.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Int(n))
    }
    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(i64::try_from(n).map_or_else(|_| Value::Number(n.to_string()), Value::Int))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n.to_string()))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.iter().any(|(k, _)| *k == name) {
                return Err(serde::de::Error::custom(JsonError::Duplicate(name)));
            }
            let value = map.next_value()?;
            members.push((name, value));
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_value() {
        let v = parse(
            r#" {"a": [1, -0, 12.5, 1e3, -9223372036854775808, 99999999999999999999],
                 "b": {"c": null, "d": true, "e": false}, "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"} "#,
        )
        .unwrap();
        assert_eq!(
            v.get("a"),
            Some(&Value::Array(vec![
                Value::Int(1),
                Value::Int(0),
                Value::Number("12.5".into()),
                Value::Number("1e3".into()),
                Value::Int(i64::MIN),
                Value::Number("99999999999999999999".into()),
            ]))
        );
        assert_eq!(
            v.get("b").and_then(|b| b.get("d")),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            v.get("s").and_then(Value::as_str),
            Some("x\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1F600}")
        );
    }

    #[test]
    fn refuses_what_is_not_strict_json() {
        for text in [
            "",
            " ",
            "{",
            "{}x",
            "{} {}",
            "[1,]",
            "{\"a\":1,}",
            "{'a':1}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "1e",
            "+1",
            "-",
            "NaN",
            "Infinity",
            "tru",
            "nul",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\"",
            "\"a\nb\"",
            "\"unterminated",
            "[1 2]",
            "{\"a\" 1}",
        ] {
            assert!(matches!(parse(text), Err(JsonError::Syntax(_))), "{text:?}");
        }
        assert_eq!(
            parse(r#"{"a":1,"a":2}"#),
            Err(JsonError::Duplicate("a".into()))
        );
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep), Err(JsonError::TooDeep));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn writes_what_it_reads() {
        for text in [
            r#"{"a":[1,-5,12.5,1e3,true,false,null],"b":{},"c":[]}"#,
            r#""quote\" backslash\\ nl\n tab\t ctl\u0001 lt\u003c ls\u2028 é😀""#,
            "-9223372036854775808",
        ] {
            let v = parse(text).unwrap();
            assert_eq!(v.to_json(), text);
            assert_eq!(parse(&v.to_json()).unwrap(), v);
        }
        assert_eq!(Value::Int(i64::MAX).to_json(), "9223372036854775807");
        assert_eq!(Value::Int(0).to_json(), "0");
        assert_eq!(
            Value::object([
                ("a", Some(1i64.into())),
                ("b", None),
                ("c", Some("x".into()))
            ])
            .to_json(),
            r#"{"a":1,"c":"x"}"#
        );
    }

    #[test]
    fn members_are_typed_and_complete() {
        let v = parse(r#"{"s":"x","n":3,"b":true,"z":null,"f":1.5}"#).unwrap();
        let mut m = Members::of(&v, "thing").unwrap();
        assert_eq!(m.str("s"), Ok("x"));
        assert_eq!(m.int("n"), Ok(3));
        assert_eq!(m.bool("b"), Ok(true));
        assert_eq!(m.opt_str("z"), Ok(None));
        assert_eq!(m.opt_str("absent"), Ok(None));
        assert_eq!(m.int("f"), Err(JsonError::Type("f", "an integer")));
        assert_eq!(m.str("n"), Err(JsonError::Type("n", "a string")));
        assert_eq!(m.required("gone"), Err(JsonError::Missing("gone")));
        assert!(m.finish().is_ok());
        assert_eq!(
            Members::of(&Value::Array(vec![]), "thing").unwrap_err(),
            JsonError::Type("thing", "an object")
        );
        let mut m = Members::of(&v, "thing").unwrap();
        assert_eq!(
            m.parsed("s", |s| s.parse::<u8>().map_err(|_| "not a small number"))
                .unwrap_err()
                .to_string(),
            "`s`: not a small number"
        );
        assert_eq!(m.finish(), Err(JsonError::Unknown("n".into())));
    }
}
