//! Small browser helpers: a clock and JavaScript's number text.

/// Unix seconds from the browser clock.
pub fn now_secs() -> i64 {
    // Whole seconds of a millisecond clock fit an i64 for the next 290 million years.
    (js_sys::Date::now() / 1000.0) as i64
}

/// A number as JavaScript writes it (`12`, `1.5`, `1e21`).
pub fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}
