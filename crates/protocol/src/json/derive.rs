//! The macros that derive a codec from a type's field list (exported at the crate's
//! root, as every `#[macro_export]` macro is).

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
