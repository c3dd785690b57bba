//! Property tests: parsers never panic on arbitrary input, and what they accept
//! round-trips through its serialisation.

use crosspass_protocol::rpc::{Call, HubMessage, Request, RequestId, TokenGetParams};
use crosspass_protocol::{Origin, OriginPattern, ScopeSet};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9-]{0,10}[a-z0-9])?"
}

fn canonical_origin() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http"), Just("https")],
        prop::collection::vec(label(), 1..4),
        prop::option::of(1u16..=65535),
    )
        .prop_filter_map("default port", |(scheme, labels, port)| {
            let default = if scheme == "http" { 80 } else { 443 };
            if port == Some(default) {
                return None;
            }
            let mut s = format!("{scheme}://{}", labels.join("."));
            if let Some(p) = port {
                s.push_str(&format!(":{p}"));
            }
            Some(s)
        })
}

proptest! {
    #[test]
    fn origin_parsers_never_panic(s in "\\PC{0,80}") {
        let _ = Origin::parse_serialized(&s);
        let _ = OriginPattern::parse(&s);
        #[cfg(feature = "url")]
        let _ = Origin::parse(&s);
    }

    #[test]
    fn origin_parsers_never_panic_on_origin_like_input(
        s in "(https?|ftp|null)?(://)?[a-zA-Z0-9.:@\\[\\]*/-]{0,40}"
    ) {
        let _ = Origin::parse_serialized(&s);
        let _ = OriginPattern::parse(&s);
        #[cfg(feature = "url")]
        let _ = Origin::parse(&s);
    }

    #[test]
    fn canonical_origins_round_trip(s in canonical_origin()) {
        let o = Origin::parse_serialized(&s).unwrap();
        prop_assert_eq!(o.to_string(), s.clone());
        #[cfg(feature = "url")]
        prop_assert_eq!(Origin::parse(&s).unwrap(), o);
    }

    #[cfg(feature = "url")]
    #[test]
    fn parse_output_is_canonical(s in "https?://[a-zA-Z0-9.-]{1,30}(:[0-9]{1,5})?") {
        if let Ok(o) = Origin::parse(&s) {
            prop_assert_eq!(Origin::parse_serialized(&o.to_string()).unwrap(), o);
        }
    }

    #[test]
    fn decoders_never_panic(s in "\\PC{0,200}") {
        let _ = Request::decode(&s);
        let _ = HubMessage::decode(&s);
    }

    #[test]
    fn decoders_never_panic_on_envelope_like_input(
        method in "(hello|token\\.get|session\\.begin|session\\.end|storage\\.status|x)",
        params in "\\{(\"[a-z_]{1,12}\":(\"[ -~]{0,12}\"|[0-9]{1,3}|null|\\[\\]|\\{\\}),?){0,3}\\}",
        version in 0u64..3,
    ) {
        let text = format!(r#"{{"crosspass":{version},"id":"p1","method":"{method}","params":{params}}}"#);
        let _ = Request::decode(&text);
        let _ = HubMessage::decode(&text);
    }

    #[test]
    fn token_get_round_trips(
        id in "[A-Za-z0-9._:-]{1,64}",
        scopes in prop::collection::vec("[a-z][a-z.]{0,10}", 1..4),
    ) {
        let scope = ScopeSet::parse(&scopes.join(" ")).unwrap();
        let req = Request {
            id: RequestId::new(id).unwrap(),
            call: Call::TokenGet(TokenGetParams { scope }),
        };
        prop_assert_eq!(Request::decode(&req.encode()).unwrap(), req);
    }
}
