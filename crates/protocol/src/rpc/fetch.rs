//! `fetch`: the request to XYZ's API a page asks the hub to make, and its answer.

use super::*;

/// Longest path `fetch` takes.
pub const MAX_FETCH_PATH_LEN: usize = 2048;
/// Most headers `fetch` takes or relays.
pub const MAX_FETCH_HEADERS: usize = 32;
/// The only paths `fetch` reaches: XYZ's API.
pub const FETCH_PATH_PREFIX: &str = "/api/";

/// An HTTP method `fetch` carries out (`GET` when none is named).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET`
    #[default]
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl HttpMethod {
    const ALL: [HttpMethod; 6] = [
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    /// The method's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// Looks a method up, ignoring case as `fetch` does for these names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }
}

crate::json_text_member!(
    HttpMethod,
    |s| HttpMethod::from_name(s).ok_or("one of GET, HEAD, POST, PUT, PATCH, DELETE"),
    as_str
);

/// Headers the page may not set on a `fetch` the hub carries out: the hub adds the
/// credential itself, and nothing else may claim to be one.
const FORBIDDEN_FETCH_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

fn header_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        && !FORBIDDEN_FETCH_HEADERS
            .iter()
            .any(|f| f.eq_ignore_ascii_case(name))
}

fn header_value_ok(value: &str) -> bool {
    value.len() <= 4096 && !value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

/// A JSON object of string members, each checked by `ok`, at most `max` of them.
fn string_pairs(
    v: Option<&Value>,
    what: &'static str,
    max: usize,
    ok: fn(&str, &str) -> bool,
) -> Result<Vec<(String, String)>, JsonError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let members = v
        .as_object()
        .ok_or(JsonError::Type(what, "an object of strings"))?;
    if members.len() > max {
        return Err(JsonError::Invalid(what, "too many members".into()));
    }
    members
        .iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .ok_or(JsonError::Type(what, "an object of strings"))?;
            if ok(k, v) {
                Ok((k.clone(), v.to_owned()))
            } else {
                Err(JsonError::Invalid(
                    what,
                    ["`", k, "` is not allowed"].concat(),
                ))
            }
        })
        .collect()
}

fn pairs_value(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// A JSON object of string members, each checked by `ok`, at most `max` of them.
macro_rules! string_pairs_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $ok:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name(pub Vec<(String, String)>);

        impl Member for $name {
            fn write(&self) -> Option<Value> {
                Some(pairs_value(&self.0))
            }
            fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
                string_pairs(value, name, $max, $ok).map($name)
            }
            fn ts() -> String {
                "Record<string, string>".into()
            }
        }
    };
}

string_pairs_type!(
    /// Headers of a `fetch` the page asks for: never a credential, no line breaks.
    RequestHeaders,
    MAX_FETCH_HEADERS,
    |k, v| header_name_ok(k) && header_value_ok(v)
);
string_pairs_type!(
    /// Headers of the API's answer, as the browser exposes them (lower-case names).
    ResponseHeaders,
    usize::MAX,
    |_, _| true
);
string_pairs_type!(
    /// `appearance` variables or `messages` of a form, by name.
    FormOptions,
    MAX_FORM_OPTIONS,
    |_, _| true
);

/// A path `fetch` reaches: under [`FETCH_PATH_PREFIX`], with its query, without dot
/// segments or backslashes, printable ASCII, at most [`MAX_FETCH_PATH_LEN`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchPath(String);

impl FetchPath {
    /// Checks `path`.
    pub fn parse(path: &str) -> Result<Self, &'static str> {
        let ok = path.len() <= MAX_FETCH_PATH_LEN
            && path.starts_with(FETCH_PATH_PREFIX)
            && !path
                .split(['/', '?', '#'])
                .any(|segment| segment == ".." || segment == "." || segment.contains('\\'))
            && path.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(path.to_owned()))
        } else {
            Err("a path under /api/ without dot segments")
        }
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::json_text_member!(FetchPath, FetchPath::parse, as_str);

/// `fetch` parameters: a request to XYZ's API on the hub's own origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchParams {
    /// The path, with its query.
    pub path: FetchPath,
    /// The method.
    pub method: HttpMethod,
    /// Request headers (never a credential: the hub adds the bearer token).
    pub headers: RequestHeaders,
    /// The body as text.
    pub body: Option<String>,
}

crate::json_object!(
    FetchParams,
    "params",
    deny_unknown {
        path,
        #[default]
        method,
        headers,
        body
    },
    check = FetchParams::check
);

impl FetchParams {
    fn check(&self) -> Result<(), JsonError> {
        if self.body.is_some() && matches!(self.method, HttpMethod::Get | HttpMethod::Head) {
            return Err(JsonError::Invalid("body", "GET and HEAD take none".into()));
        }
        Ok(())
    }
}

/// The result of `fetch`: the API's answer, relayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResult {
    /// HTTP status.
    pub status: u16,
    /// HTTP status text.
    pub status_text: String,
    /// Response headers the browser exposes (lower-case names).
    pub headers: ResponseHeaders,
    /// The body as text.
    pub body: String,
}

crate::json_object!(
    FetchResult,
    "result",
    deny_unknown {
        status,
        status_text,
        headers,
        body
    },
    check = FetchResult::check
);

impl FetchResult {
    fn check(&self) -> Result<(), JsonError> {
        if !(100..=599).contains(&self.status) {
            return Err(JsonError::Invalid("status", "an HTTP status".into()));
        }
        Ok(())
    }
}
