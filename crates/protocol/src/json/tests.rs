use super::*;

#[test]
fn parses_every_kind_of_value() {
    let v = parse(
        r#" {"a": [1, -0, 12.5, 1e3, -9223372036854775808, 99999999999999999999],
             "b": {"c": null, "d": true, "e": false}, "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"} "#,
    )
    .unwrap();
    assert_eq!(
        v.get("a"),
        Some(&Value::Array(vec![
            Value::Int(1),
            Value::Int(0),
            Value::Number("12.5".into()),
            Value::Number("1e3".into()),
            Value::Int(i64::MIN),
            Value::Number("99999999999999999999".into()),
        ]))
    );
    assert_eq!(
        v.get("b").and_then(|b| b.get("d")),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        v.get("s").and_then(Value::as_str),
        Some("x\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1F600}")
    );
}

#[test]
fn refuses_what_is_not_strict_json() {
    for text in [
        "",
        " ",
        "{",
        "{}x",
        "{} {}",
        "[1,]",
        "{\"a\":1,}",
        "{'a':1}",
        "{a:1}",
        "01",
        "1.",
        ".5",
        "1e",
        "+1",
        "-",
        "NaN",
        "Infinity",
        "tru",
        "nul",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\ud800\\u0041\"",
        "\"\\udc00\"",
        "\"a\nb\"",
        "\"unterminated",
        "[1 2]",
        "{\"a\" 1}",
    ] {
        assert!(matches!(parse(text), Err(JsonError::Syntax(_))), "{text:?}");
    }
    assert_eq!(
        parse(r#"{"a":1,"a":2}"#),
        Err(JsonError::Duplicate("a".into()))
    );
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(parse(&deep), Err(JsonError::TooDeep));
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(&ok).is_ok());
}

#[test]
fn writes_what_it_reads() {
    for text in [
        r#"{"a":[1,-5,12.5,1e3,true,false,null],"b":{},"c":[]}"#,
        r#""quote\" backslash\\ nl\n tab\t ctl\u0001 lt\u003c ls\u2028 é😀""#,
        "-9223372036854775808",
    ] {
        let v = parse(text).unwrap();
        assert_eq!(v.to_json(), text);
        assert_eq!(parse(&v.to_json()).unwrap(), v);
    }
    assert_eq!(Value::Int(i64::MAX).to_json(), "9223372036854775807");
    assert_eq!(Value::Int(0).to_json(), "0");
    assert_eq!(
        Value::object([
            ("a", Some(1i64.into())),
            ("b", None),
            ("c", Some("x".into()))
        ])
        .to_json(),
        r#"{"a":1,"c":"x"}"#
    );
}

#[test]
fn members_are_typed_and_complete() {
    let v = parse(r#"{"s":"x","n":3,"b":true,"z":null,"f":1.5}"#).unwrap();
    let mut m = Members::of(&v, "thing").unwrap();
    assert_eq!(m.str("s"), Ok("x"));
    assert_eq!(m.int("n"), Ok(3));
    assert_eq!(m.bool("b"), Ok(true));
    assert_eq!(m.opt_str("z"), Ok(None));
    assert_eq!(m.opt_str("absent"), Ok(None));
    assert_eq!(m.int("f"), Err(JsonError::Type("f", "an integer")));
    assert_eq!(m.str("n"), Err(JsonError::Type("n", "a string")));
    assert_eq!(m.required("gone"), Err(JsonError::Missing("gone")));
    assert!(m.finish().is_ok());
    assert_eq!(
        Members::of(&Value::Array(vec![]), "thing").unwrap_err(),
        JsonError::Type("thing", "an object")
    );
    let mut m = Members::of(&v, "thing").unwrap();
    assert_eq!(
        m.parsed("s", |s| s.parse::<u8>().map_err(|_| "not a small number"))
            .unwrap_err()
            .to_string(),
        "`s`: not a small number"
    );
    assert_eq!(m.finish(), Err(JsonError::Unknown("n".into())));
}
