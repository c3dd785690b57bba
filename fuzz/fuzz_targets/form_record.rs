//! Form schemas and records: `schema\nrecord`. A schema that parses survives being
//! stored (serialised and parsed again, as `crosspass form set` and the API do), every
//! `pattern` is a regular expression on its own (so anchoring it cannot change its
//! meaning), and a record the schema accepts has only known fields, every required
//! one, each of the right JSON type.
#![no_main]

// The form schema lives in a crate of its own (crosspass-form): instrumenting the
// whole server (axum, sqlx, tokio) for the fuzzer would multiply the build.
use crosspass_form::{FieldType, FormSchema, SchemaRules};
use crosspass_protocol::json::Json;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (schema, record) = text.split_once('\n').unwrap_or((text, "{}"));
    let Ok(schema) = FormSchema::parse(schema) else {
        return;
    };
    let stored = schema.to_json();
    assert_eq!(FormSchema::parse(&stored).unwrap(), schema);
    for pattern in schema.fields.iter().filter_map(|f| f.pattern.as_deref()) {
        assert!(regex_lite::Regex::new(pattern).is_ok(), "{pattern}");
    }
    let Ok(Value::Object(record)) = serde_json::from_str::<Value>(record) else {
        return;
    };
    if schema.validate(&record).is_err() {
        return;
    }
    for (name, value) in &record {
        let field = schema.fields.iter().find(|f| &f.name == name).unwrap();
        let typed = match field.kind {
            FieldType::String | FieldType::Enum | FieldType::Date => value.is_string(),
            FieldType::Number => value.is_number(),
            FieldType::Boolean => value.is_boolean(),
        };
        assert!(typed || value.is_null(), "{name}: {value}");
    }
    for field in schema.fields.iter().filter(|f| f.required) {
        assert!(record.get(&field.name).is_some_and(|v| !v.is_null()));
    }
});
