use super::*;

#[test]
fn fetch_and_form_params_are_checked_as_they_are_read() {
    let ok = FetchParams::from_json(
        r#"{"path":"/api/v1/me/record?x=1","headers":{"If-Match":"\"v1\""},"body":null}"#,
    )
    .unwrap();
    assert_eq!(ok.method, HttpMethod::Get);
    assert_eq!(ok.path.as_str(), "/api/v1/me/record?x=1");
    assert_eq!(ok.headers.0, [("If-Match".to_owned(), "\"v1\"".to_owned())]);
    // Written back with GET and the absent body left out.
    assert_eq!(
        ok.to_json(),
        r#"{"path":"/api/v1/me/record?x=1","headers":{"If-Match":"\"v1\""}}"#
    );
    let put = r#"{"path":"/api/v1/me/record","method":"put","body":"{}"}"#;
    assert_eq!(FetchParams::from_json(put).unwrap().method, HttpMethod::Put);
    for bad in [
        r#"{"path":"/oauth/token"}"#,
        r#"{"path":"/api/v1/../admin"}"#,
        r#"{"path":"/api/./v1"}"#,
        r#"{"path":"/api/v1\\x"}"#,
        r#"{"path":"/api/v1 x"}"#,
        r#"{"path":"/api/v1","method":"TRACE"}"#,
        r#"{"path":"/api/v1","body":"x"}"#,
        r#"{"path":"/api/v1","method":"HEAD","body":""}"#,
        r#"{"path":"/api/v1","headers":{"Authorization":"Bearer x"}}"#,
        r#"{"path":"/api/v1","headers":{"x":"a\r\nb"}}"#,
        r#"{"path":"/api/v1","headers":["x"]}"#,
        r#"{"path":"/api/v1","extra":1}"#,
    ] {
        assert!(FetchParams::from_json(bad).is_err(), "{bad}");
    }
    let result = r#"{"status":204,"status_text":"No Content","headers":{},"body":""}"#;
    assert_eq!(FetchResult::from_json(result).unwrap().status, 204);
    assert!(FetchResult::from_json(&result.replace("204", "99")).is_err());
    assert!(FetchResult::from_json(&result.replace("204", "70000")).is_err());
    let form = FormParams::from_json(r#"{"appearance":{},"locale":"de-CH","messages":{}}"#);
    assert_eq!(form.unwrap().locale.as_deref(), Some("de-CH"));
    for bad in [
        r#"{"locale":""}"#,
        r#"{"locale":"de_CH"}"#,
        r#"{"messages":{"a":1}}"#,
    ] {
        assert!(FormParams::from_json(bad).is_err(), "{bad}");
    }
}

#[test]
fn decode_errors_read_as_one_sentence() {
    let invalid = DecodeError::InvalidParams {
        method: Method::TokenGet,
        reason: JsonError::Missing("scope"),
    };
    assert_eq!(
        invalid.to_string(),
        "invalid params for token.get: missing member `scope`"
    );
    assert_eq!(
        DecodeError::Malformed(JsonError::Syntax(7)).to_string(),
        "malformed message: invalid JSON at byte 7"
    );
    assert_eq!(
        DecodeError::TooLarge(70_000).to_string(),
        "message of 70000 bytes exceeds the cap"
    );
}

fn id(s: &str) -> RequestId {
    RequestId::new(s).unwrap()
}

fn decode_err(text: &str) -> DecodeFailure {
    Request::decode(text).unwrap_err()
}

#[test]
fn every_call_round_trips() {
    let calls = [
        Call::Hello(HelloParams {
            client_id: ClientId::new("abc").unwrap(),
            sdk_version: "0.1.0".into(),
        }),
        Call::TokenGet(TokenGetParams {
            scope: ScopeSet::parse("form.read").unwrap(),
        }),
        Call::SessionBegin(SignIn::Assertion {
            assertion: Assertion::new("a.b.c"),
            scope: Some(ScopeSet::parse("form.read form.write").unwrap()),
        }),
        Call::SessionBegin(SignIn::Assertion {
            assertion: Assertion::new("a.b.c"),
            scope: None,
        }),
        Call::SessionBegin(SignIn::AccessToken {
            access_token: AccessToken::new("x.y.z"),
        }),
        Call::SessionEnd,
        Call::StorageStatus,
        Call::StorageRequest,
    ];
    for call in calls {
        let req = Request {
            id: id("r-1"),
            call,
        };
        let text = req.encode();
        assert_eq!(Request::decode(&text).unwrap(), req, "{text}");
    }
}

#[test]
fn wire_shape_is_the_documented_one() {
    let req = Request {
        id: id("7"),
        call: Call::TokenGet(TokenGetParams {
            scope: ScopeSet::parse("form.read").unwrap(),
        }),
    };
    assert_eq!(
        req.encode(),
        r#"{"crosspass":2,"id":"7","method":"token.get","params":{"scope":"form.read"}}"#
    );
    let no_params = Request::decode(r#"{"crosspass":2,"id":"8","method":"session.end"}"#).unwrap();
    assert_eq!(no_params.call, Call::SessionEnd);
}

#[test]
fn refuses_bad_envelopes_with_typed_errors() {
    let big = format!(
        r#"{{"crosspass":2,"id":"1","method":"hello","params":{{"pad":"{}"}}}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    assert!(matches!(decode_err(&big).error, DecodeError::TooLarge(_)));

    let f = decode_err(r#"{"crosspass":1,"id":"1","method":"session.end"}"#);
    assert_eq!(f.error, DecodeError::UnsupportedVersion(1));
    assert_eq!(f.error.code(), ErrorCode::UnsupportedVersion);
    assert_eq!(f.id, Some(id("1")));

    let f = decode_err(r#"{"crosspass":2,"id":"2","method":"token.steal"}"#);
    assert_eq!(f.error, DecodeError::UnknownMethod);
    assert_eq!(f.error.code(), ErrorCode::InvalidRequest);
    assert_eq!(f.id, Some(id("2")));

    for text in [
        "",
        "null",
        "[]",
        "\"hello\"",
        r#"{"crosspass":2,"id":"3","method":"session.end","extra":true}"#,
        r#"{"crosspass":2,"id":"3","method":"session.end","__proto__":{"admin":true}}"#,
        r#"{"crosspass":"1","id":"3","method":"session.end"}"#,
        r#"{"crosspass":2,"id":3,"method":"session.end"}"#,
        r#"{"crosspass":2,"id":"3","method":"session.end","method":"token.get"}"#,
        r#"{"id":"3","method":"session.end"}"#,
    ] {
        assert!(
            matches!(decode_err(text).error, DecodeError::Malformed(_)),
            "{text}"
        );
    }

    for text in [
        r#"{"crosspass":2,"id":"","method":"session.end"}"#,
        r#"{"crosspass":2,"id":"a b","method":"session.end"}"#,
    ] {
        assert!(
            matches!(decode_err(text).error, DecodeError::Malformed(_)),
            "{text}"
        );
        assert_eq!(decode_err(text).id, None);
    }

    for text in [
        r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":1}}"#,
        r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":"a","x":1}}"#,
        r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":"a","__proto__":1}}"#,
        r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":["a"]}}"#,
        r#"{"crosspass":2,"id":"4","method":"token.get","params":{"scope":"a  b"}}"#,
        r#"{"crosspass":2,"id":"4","method":"session.end","params":{"x":1}}"#,
        r#"{"crosspass":2,"id":"4","method":"session.end","params":[]}"#,
        r#"{"crosspass":2,"id":"4","method":"session.begin","params":{}}"#,
        r#"{"crosspass":2,"id":"4","method":"session.begin","params":{"assertion":"a","access_token":"b"}}"#,
        r#"{"crosspass":2,"id":"4","method":"session.begin","params":{"access_token":"b","scope":"x"}}"#,
        r#"{"crosspass":2,"id":"4","method":"hello","params":{"client_id":"../abc","sdk_version":"1"}}"#,
    ] {
        let f = decode_err(text);
        assert!(
            matches!(f.error, DecodeError::InvalidParams { .. }),
            "{text}: {:?}",
            f.error
        );
        assert_eq!(f.id, Some(id("4")));
    }
}

#[test]
fn responses_and_events_round_trip() {
    let grant = TokenGrant {
        access_token: AccessToken::new("x.y.z"),
        token_type: "Bearer".into(),
        expires_at: 1_800_000_000,
        scope: ScopeSet::parse("form.read").unwrap(),
    };
    let text = Response::ok(id("9"), &grant).encode();
    match HubMessage::decode(&text).unwrap() {
        HubMessage::Response(r) => {
            assert_eq!(r.id, Some(id("9")));
            assert_eq!(r.into_result::<TokenGrant>().unwrap(), grant);
        }
        HubMessage::Event(_) => panic!("not an event"),
    }

    let err = RpcError::new(ErrorCode::LoginRequired, "sign in first");
    let text = Response::err(Some(id("10")), err.clone()).encode();
    assert_eq!(
        text,
        r#"{"crosspass":2,"id":"10","error":{"code":"login_required","message":"sign in first"}}"#
    );
    match HubMessage::decode(&text).unwrap() {
        HubMessage::Response(r) => assert_eq!(r.into_result::<TokenGrant>(), Err(err)),
        HubMessage::Event(_) => panic!("not an event"),
    }

    let ev = Event::SessionChanged(SessionChanged { signed_in: false });
    let text = ev.encode();
    assert_eq!(
        text,
        r#"{"crosspass":2,"event":"session.changed","data":{"signed_in":false}}"#
    );
    assert!(matches!(HubMessage::decode(&text).unwrap(), HubMessage::Event(e) if e == ev));
}

#[test]
fn every_event_round_trips_in_its_wire_form() {
    let cases = [
        (
            Event::FormState(FormStateChanged {
                state: FormState::SignedOut,
                code: Some(ErrorCode::LoginRequired),
            }),
            r#"{"crosspass":2,"event":"form.state","data":{"state":"signed_out","code":"login_required"}}"#,
        ),
        (
            Event::FormState(FormStateChanged {
                state: FormState::Ready,
                code: None,
            }),
            r#"{"crosspass":2,"event":"form.state","data":{"state":"ready"}}"#,
        ),
        (
            Event::FormChange(FormChange { dirty: true }),
            r#"{"crosspass":2,"event":"form.change","data":{"dirty":true}}"#,
        ),
        (
            Event::FormSaved,
            r#"{"crosspass":2,"event":"form.saved","data":{}}"#,
        ),
        (
            Event::FormConflict,
            r#"{"crosspass":2,"event":"form.conflict","data":{}}"#,
        ),
        (
            Event::FormError(RpcError::new(ErrorCode::ServerError, "HTTP 500")),
            r#"{"crosspass":2,"event":"form.error","data":{"code":"server_error","message":"HTTP 500"}}"#,
        ),
        (
            Event::FormResize(FormResize { height: 412 }),
            r#"{"crosspass":2,"event":"form.resize","data":{"height":412}}"#,
        ),
        (
            Event::SessionChanged(SessionChanged { signed_in: true }),
            r#"{"crosspass":2,"event":"session.changed","data":{"signed_in":true}}"#,
        ),
    ];
    for (event, text) in cases {
        assert_eq!(event.encode(), text);
        assert!(Event::NAMES.contains(&event.name()), "{}", event.name());
        assert!(
            matches!(HubMessage::decode(text).unwrap(), HubMessage::Event(e) if e == event),
            "{text}"
        );
    }
    for text in [
        r#"{"crosspass":2,"event":"form.state","data":{"state":"asleep"}}"#,
        r#"{"crosspass":2,"event":"form.state","data":{"state":"error","code":"nope"}}"#,
        r#"{"crosspass":2,"event":"form.change","data":{}}"#,
        r#"{"crosspass":2,"event":"form.saved","data":{"x":1}}"#,
        r#"{"crosspass":2,"event":"form.resize","data":{"height":-1}}"#,
        r#"{"crosspass":2,"event":"form.resize","data":{"height":4294967296}}"#,
        r#"{"crosspass":2,"event":"form.resize","data":{"height":10,"width":3}}"#,
    ] {
        assert!(HubMessage::decode(text).is_err(), "{text}");
    }
}

#[test]
fn refuses_bad_hub_messages() {
    for text in [
        r#"{"crosspass":2,"id":"1"}"#,
        r#"{"crosspass":2,"id":"1","result":{},"error":{"code":"timeout","message":""}}"#,
        r#"{"crosspass":2,"id":"1","result":{},"extra":1}"#,
        r#"{"crosspass":2,"event":"session.stolen","data":{"signed_in":true}}"#,
        r#"{"crosspass":2,"event":"session.changed","data":{"signed_in":"yes"}}"#,
        r#"{"id":"1","result":{}}"#,
        "[1]",
    ] {
        assert!(HubMessage::decode(text).is_err(), "{text}");
    }
    assert_eq!(
        HubMessage::decode(r#"{"crosspass":3,"id":"1","result":{}}"#).unwrap_err(),
        DecodeError::UnsupportedVersion(3)
    );
    let ok = Response::ok(id("1"), &NoParams {}).encode();
    let HubMessage::Response(r) = HubMessage::decode(&ok).unwrap() else {
        panic!()
    };
    assert!(r
        .into_result::<TokenGrant>()
        .unwrap_err()
        .message
        .starts_with("unexpected result"));
}
