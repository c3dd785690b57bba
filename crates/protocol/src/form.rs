//! Per-tenant form schemas and the validation of records against them.
//!
//! A schema is a small JSON-Schema-like list of fields the widget renders in order:
//!
//! ```json
//! {"title": "Company profile", "fields": [
//!   {"name": "company", "type": "string", "label": "Company", "required": true,
//!    "min_length": 2, "max_length": 80, "pattern": "[A-Za-z0-9 .,&-]+", "help": "Legal name"},
//!   {"name": "employees", "type": "number", "label": "Employees", "min": 1, "max": 100000, "integer": true},
//!   {"name": "newsletter", "type": "boolean", "label": "Newsletter"},
//!   {"name": "plan", "type": "enum", "label": "Plan", "options": ["free", "pro"]},
//!   {"name": "renewal", "type": "date", "label": "Renewal", "min": "2024-01-01"}
//! ]}
//! ```
//!
//! `pattern` must match the whole value; dates are `YYYY-MM-DD`.
//!
//! The types are here, one codec for both sides: the server parses and checks a schema
//! with them (its rules and the validation of records, with a regex engine, are in
//! `crosspass-form`), and the form frame reads the schema the API hands it with them.

use crate::json::{self, JsonError, Member, Value};

/// Most fields in one form: the server refuses a schema with more, and the form frame
/// renders no more than this.
pub const MAX_FIELDS: usize = 64;

/// A tenant's form.
#[derive(Clone, Debug, PartialEq)]
pub struct FormSchema {
    /// Heading shown above the form.
    pub title: Option<String>,
    /// The fields, in display order.
    pub fields: Vec<Field>,
}

crate::json_object!(FormSchema, "form schema", deny_unknown { title, fields });

/// One field: a type and the constraints that fit it.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Key in the record: `[a-z][a-z0-9_]*`.
    pub name: String,
    /// The value's type.
    pub kind: FieldType,
    /// Label shown to the user.
    pub label: String,
    /// Help text shown under the input.
    pub help: Option<String>,
    /// Whether a value is needed.
    pub required: bool,
    /// Fewest characters (string).
    pub min_length: Option<u32>,
    /// Most characters (string).
    pub max_length: Option<u32>,
    /// A regular expression the whole value must match (string).
    pub pattern: Option<String>,
    /// Smallest value (number) or earliest date (date).
    pub min: Option<Bound>,
    /// Largest value (number) or latest date (date).
    pub max: Option<Bound>,
    /// Whole numbers only (number).
    pub integer: bool,
    /// The allowed values (enum).
    pub options: Option<Vec<String>>,
}

crate::json_object!(Field, "field", deny_unknown {
    name, kind as "type", label, help, #[default] required, min_length, max_length,
    pattern, min, max, #[default] integer, options,
});

crate::error::wire_codes! {
    /// The type of a field.
    FieldType {
        /// Text.
        String => "string",
        /// A number.
        Number => "number",
        /// A checkbox.
        Boolean => "boolean",
        /// One of `options`.
        Enum => "enum",
        /// A calendar date, `YYYY-MM-DD`.
        Date => "date",
    }
}

crate::json_text_member!(
    FieldType,
    |s| FieldType::from_code(s).ok_or("one of string, number, boolean, enum, date"),
    as_str
);

/// A `min` or `max`: a number for number fields, a date for date fields.
#[derive(Clone, Debug, PartialEq)]
pub enum Bound {
    /// For number fields: the number as written (no floating point in the browser's
    /// code; the server reads it as one).
    Number(String),
    /// For date fields.
    Date(String),
}

impl Bound {
    /// The bound as an HTML attribute takes it.
    pub fn text(&self) -> &str {
        match self {
            Bound::Number(n) | Bound::Date(n) => n,
        }
    }
}

impl Member for Bound {
    fn write(&self) -> Option<Value> {
        Some(match self {
            Bound::Number(n) => Value::Number(n.clone()),
            Bound::Date(d) => d.as_str().into(),
        })
    }

    fn read(name: &'static str, value: Option<&Value>) -> Result<Self, JsonError> {
        match json::required(name, value)? {
            Value::Int(n) => Ok(Bound::Number(n.to_string())),
            Value::Number(n) => Ok(Bound::Number(n.clone())),
            Value::String(d) => Ok(Bound::Date(d.clone())),
            _ => Err(JsonError::Type(name, "a number or a date")),
        }
    }

    fn ts() -> String {
        "number | string".into()
    }
}

/// A user's record as the API answers it (`GET` and `PUT /api/v1/me/record`, and the
/// `current` record of a 412): the values by field name, and the version its ETag names.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionedRecord {
    /// The values, an object keyed by field name.
    pub data: Value,
    /// The version (the ETag is `"v<version>"`).
    pub version: i64,
}

crate::json_object!(VersionedRecord, "record", deny_unknown { data, version });
crate::serde_via_json!(VersionedRecord);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;

    #[test]
    fn one_form_for_the_server_and_the_frame() {
        let text = r#"{"title":"Profile","fields":[{"name":"employees","type":"number","label":"Employees","min":1,"max":1e5,"integer":true},{"name":"renewal","type":"date","label":"Renewal","min":"2024-01-01"},{"name":"plan","type":"enum","label":"Plan","options":["free","pro"]}]}"#;
        let schema = FormSchema::from_json(text).unwrap();
        let employees = &schema.fields[0];
        assert_eq!(employees.kind, FieldType::Number);
        assert_eq!(employees.min, Some(Bound::Number("1".into())));
        assert_eq!(employees.max.as_ref().map(Bound::text), Some("1e5"));
        assert!(employees.integer && !employees.required);
        assert_eq!(schema.fields[1].min, Some(Bound::Date("2024-01-01".into())));
        // Written back exactly (numbers as written), defaults left out.
        assert_eq!(schema.to_json(), text);
        for bad in [
            r#"{"fields":[{"name":"a","type":"color","label":"x"}]}"#,
            r#"{"fields":[{"name":"a","type":"string","label":"x","extra":1}]}"#,
            r#"{"fields":[{"name":"a","type":"string","label":"x","required":"yes"}]}"#,
            r#"{"fields":[{"name":"a","type":"number","label":"x","min":true}]}"#,
            r#"{"fields":[{"name":"a","type":"string","label":"x","max_length":-1}]}"#,
            r#"{"fields":{}}"#,
        ] {
            assert!(FormSchema::from_json(bad).is_err(), "{bad}");
        }
    }
}
