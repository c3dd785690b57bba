//! Origin parsing on arbitrary text. `parse_serialized` accepts only what it would
//! itself print, so comparing parsed origins is comparing what the browser said; every
//! origin `parse` accepts (registrations) is one `parse_serialized` accepts (messages),
//! and an exact allowlist entry matches exactly its own serialisation.
#![no_main]

use crosspass_protocol::{Origin, OriginAllowlist, OriginPattern};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(origin) = Origin::parse_serialized(text) {
        assert_eq!(origin.serialize(), text);
    }
    if let Ok(origin) = Origin::parse(text) {
        let serialized = origin.serialize();
        assert_eq!(Origin::parse_serialized(&serialized).as_ref(), Ok(&origin));
        let list = OriginAllowlist::new(vec![OriginPattern::Exact(origin)]);
        assert!(list.allows_serialized(&serialized));
        assert_eq!(list.allows_serialized(text), text == serialized);
    }
    if let Ok(pattern) = OriginPattern::parse(text) {
        assert_eq!(
            OriginPattern::parse(&pattern.to_string()).as_ref(),
            Ok(&pattern)
        );
        if let OriginPattern::Subdomains { parent, .. } = &pattern {
            // A pattern never matches its parent, nor a host that merely ends with it.
            let base = text.replacen("://*.", "://", 1);
            let bare = Origin::parse_serialized(&base);
            assert!(bare.is_ok_and(|o| !pattern.matches(&o)));
            let glued = base.replacen(parent.as_str(), &format!("x{parent}"), 1);
            if let Ok(o) = Origin::parse_serialized(&glued) {
                assert!(!pattern.matches(&o), "{glued}");
            }
        }
    }
});
