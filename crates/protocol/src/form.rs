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
//! The schema types and their checks are the server's, in `crosspass-form` (serde and a
//! regex engine, which the browser bundles do without); the limits are for both sides.

/// Most fields in one form: the server refuses a schema with more, and the form frame
/// renders no more than this.
pub const MAX_FIELDS: usize = 64;
