//! How a type reads and writes its members: [`Members`], the [`Json`] and [`Member`]
//! traits, and `Member` for the leaf types.

use super::*;

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
