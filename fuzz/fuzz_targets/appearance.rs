//! The form's appearance on arbitrary variables and values (they come from partner
//! pages). Whatever is accepted is safe to set as a CSS custom property: no character
//! that could end the declaration, open a block, a comment, a string escape or a URL,
//! and the accepted set is stable (parsing what was accepted accepts the same).
#![no_main]

use crosspass_protocol::appearance::Appearance;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `name=value` lines.
    let pairs: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let Ok(appearance) = Appearance::parse(&pairs) else {
        return;
    };
    for (variable, value) in appearance.variables() {
        assert!(
            !value.contains([';', '{', '}', '\\', '<', '>', '@', '/', '*', '\'', ':']),
            "{}: {value}",
            variable.name()
        );
        // No function but the colour ones: `url(`, `expression(`, `var(`, `calc(` never pass
        // (a family name may still contain the letters "url", as in "Curlz MT").
        assert!(!value.contains('(') || value.starts_with("rgb"), "{value}");
    }
    let again: Vec<(String, String)> = appearance
        .variables()
        .iter()
        .map(|(v, value)| (v.name().to_owned(), value.clone()))
        .collect();
    assert_eq!(Appearance::parse(&again).as_ref(), Ok(&appearance));
});
