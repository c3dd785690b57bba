use super::*;

const NOW: i64 = 1_800_000_000;

fn assertion() -> AssertionClaims {
    AssertionClaims {
        iss: Some("https://abc.example".into()),
        sub: Some("user-1".into()),
        aud: Some(Audience::One("https://sso.xyz".into())),
        client_id: Some("abc".into()),
        jti: Some("j1".into()),
        iat: Some(NOW - 10),
        exp: Some(NOW + 120),
        nbf: None,
        scope: Some(ScopeSet::parse("form.read").unwrap()),
        nonce: None,
    }
}

#[test]
fn the_claims_have_one_json_form_for_serde_and_the_browser() {
    let claims = AccessTokenClaims {
        aud: Audience::Many(vec!["https://sso.xyz/api".into()]),
        scope: ScopeSet::parse("form.write form.read").unwrap(),
        act: Some(Actor {
            sub: "records-sync".into(),
            act: Some(Box::new(Actor {
                sub: "abc".into(),
                act: None,
            })),
        }),
        ..access()
    };
    // The server signs with serde_json; the hub reads with the strict parser.
    let by_serde = serde_json::to_string(&claims).unwrap();
    assert_eq!(by_serde, claims.to_json());
    assert_eq!(AccessTokenClaims::from_json(&by_serde).unwrap(), claims);
    assert_eq!(
        serde_json::from_str::<AccessTokenClaims>(&by_serde).unwrap(),
        claims
    );
    // Absent options are left out; other claims are ignored (RFC 7519 §4).
    let plain = access().to_json();
    assert!(
        !plain.contains("\"act\"") && !plain.contains("\"sid\""),
        "{plain}"
    );
    let mut extra = serde_json::to_value(&claims).unwrap();
    extra["ext"] = serde_json::json!({"any": 1});
    assert_eq!(
        AccessTokenClaims::from_json(&extra.to_string()).unwrap(),
        claims
    );
    assert_eq!(
        serde_json::from_value::<AccessTokenClaims>(extra).unwrap(),
        claims
    );
    // A bad member is refused by both readers.
    for (member, bad) in [
        ("exp", serde_json::json!("1800000300")),
        ("exp", serde_json::json!(1.5)),
        ("iat", serde_json::Value::Null),
        ("aud", serde_json::json!(7)),
        ("client_id", serde_json::json!("a b")),
        ("tenant", serde_json::json!("")),
        ("scope", serde_json::json!(["form.read"])),
        ("iss", serde_json::json!(1)),
        ("act", serde_json::json!({"act": {"sub": "x"}})),
    ] {
        let mut v = serde_json::to_value(&claims).unwrap();
        v[member] = bad;
        assert!(AccessTokenClaims::from_json(&v.to_string()).is_err(), "{v}");
        assert!(serde_json::from_value::<AccessTokenClaims>(v).is_err());
    }
    // Duplicate members too, through serde as through the strict parser.
    let twice = by_serde.replacen('{', r#"{"exp":1,"#, 1);
    assert!(AccessTokenClaims::from_json(&twice).is_err());
    assert!(serde_json::from_str::<AccessTokenClaims>(&twice).is_err());
}

#[test]
fn each_access_token_rule_fails_alone() {
    // Read scope only, and five minutes to live: the scope and expiry cases below
    // depend on both.
    let claims = AccessTokenClaims {
        scope: ScopeSet::parse("form.read").unwrap(),
        exp: NOW + 300,
        ..access()
    };
    let abc = ClientId::new("abc").unwrap();
    let def = ClientId::new("def").unwrap();
    let read = ScopeSet::parse("form.read").unwrap();
    let write = ScopeSet::parse("form.write").unwrap();
    let expect = |issuer, audience, client_id, required_scope| AccessTokenExpectations {
        issuer,
        audience,
        client_id,
        required_scope,
    };
    let cases = [
        (
            expect(
                "https://sso.xyz",
                "https://sso.xyz/api",
                Some(&abc),
                Some(&read),
            ),
            NOW,
            Ok(()),
        ),
        (
            expect("https://other", "https://sso.xyz/api", None, None),
            NOW,
            Err(ClaimError::WrongIssuer),
        ),
        (
            expect("https://sso.xyz", "https://other/api", None, None),
            NOW,
            Err(ClaimError::WrongAudience),
        ),
        (
            expect("https://sso.xyz", "https://sso.xyz/api", Some(&def), None),
            NOW,
            Err(ClaimError::ClientIdMismatch),
        ),
        (
            expect("https://sso.xyz", "https://sso.xyz/api", None, Some(&write)),
            NOW,
            Err(ClaimError::Scope),
        ),
        (
            expect("https://sso.xyz", "https://sso.xyz/api", None, None),
            NOW + 280,
            Err(ClaimError::Expired),
        ),
        (
            expect("https://sso.xyz", "https://sso.xyz/api", None, None),
            NOW - 600,
            Err(ClaimError::IssuedInFuture),
        ),
    ];
    for (e, now, want) in cases {
        assert_eq!(claims.check(&e, now, 30), want);
    }
}

#[test]
fn a_good_assertion_passes_every_rule() {
    let a = assertion();
    assert_eq!(a.issuer(), Ok("https://abc.example"));
    assert_eq!(a.subject(), Ok("user-1"));
    a.check_audience("https://sso.xyz").unwrap();
    a.check_client_id(&ClientId::new("abc").unwrap()).unwrap();
    a.check_times(NOW, DEFAULT_LEEWAY_SECS).unwrap();
    assert_eq!(a.jti(), Ok("j1"));
    let allowed = ScopeSet::parse("form.read form.write").unwrap();
    assert_eq!(a.granted_scope(&allowed).unwrap().to_string(), "form.read");
}

#[test]
fn each_rule_fails_alone() {
    let abc = ClientId::new("abc").unwrap();
    let mut a = assertion();
    a.aud = Some(Audience::One("https://other".into()));
    assert_eq!(
        a.check_audience("https://sso.xyz"),
        Err(ClaimError::WrongAudience)
    );
    a.aud = Some(Audience::Many(vec![
        "https://sso.xyz".into(),
        "https://other".into(),
    ]));
    assert_eq!(
        a.check_audience("https://sso.xyz"),
        Err(ClaimError::WrongAudience)
    );
    a.aud = Some(Audience::Many(vec!["https://sso.xyz".into()]));
    assert_eq!(a.check_audience("https://sso.xyz"), Ok(()));
    a.aud = None;
    assert_eq!(
        a.check_audience("https://sso.xyz"),
        Err(ClaimError::Missing("aud"))
    );

    let mut a = assertion();
    a.client_id = Some("def".into());
    assert_eq!(a.check_client_id(&abc), Err(ClaimError::ClientIdMismatch));

    let mut a = assertion();
    a.exp = Some(NOW - DEFAULT_LEEWAY_SECS);
    a.iat = Some(NOW - 100);
    assert_eq!(
        a.check_times(NOW, DEFAULT_LEEWAY_SECS),
        Err(ClaimError::Expired)
    );

    let mut a = assertion();
    a.iat = Some(NOW);
    a.exp = Some(NOW + MAX_ASSERTION_LIFETIME_SECS + 1);
    assert_eq!(
        a.check_times(NOW, DEFAULT_LEEWAY_SECS),
        Err(ClaimError::LifetimeTooLong)
    );

    let mut a = assertion();
    a.iat = Some(NOW + DEFAULT_LEEWAY_SECS + 1);
    a.exp = Some(NOW + 200);
    assert_eq!(
        a.check_times(NOW, DEFAULT_LEEWAY_SECS),
        Err(ClaimError::IssuedInFuture)
    );

    let mut a = assertion();
    a.nbf = Some(NOW + 100);
    assert_eq!(
        a.check_times(NOW, DEFAULT_LEEWAY_SECS),
        Err(ClaimError::NotYetValid)
    );

    let mut a = assertion();
    a.jti = None;
    assert_eq!(a.jti(), Err(ClaimError::Missing("jti")));
    a.jti = Some("x".repeat(MAX_JTI_LEN + 1));
    assert_eq!(a.jti(), Err(ClaimError::Invalid("jti")));

    let mut a = assertion();
    a.scope = Some(ScopeSet::parse("form.read admin").unwrap());
    let allowed = ScopeSet::parse("form.read form.write").unwrap();
    assert_eq!(a.granted_scope(&allowed), Err(ClaimError::Scope));
    a.scope = None;
    assert_eq!(a.granted_scope(&allowed), Ok(allowed.clone()));

    let mut a = assertion();
    a.exp = None;
    assert_eq!(a.check_times(NOW, 0), Err(ClaimError::Missing("exp")));
    let mut a = assertion();
    a.iss = Some(String::new());
    assert_eq!(a.issuer(), Err(ClaimError::Invalid("iss")));
}

#[test]
fn wrong_json_types_and_duplicates_do_not_parse() {
    for bad in [
        r#"{"exp":"1800000000"}"#,
        r#"{"exp":1800000000.5}"#,
        r#"{"iat":1e9}"#,
        r#"{"sub":42}"#,
        r#"{"aud":[1]}"#,
        r#"{"scope":["form.read"]}"#,
        r#"{"exp":1,"exp":2}"#,
        r#"{"iss":"a","iss":"b"}"#,
    ] {
        assert!(
            serde_json::from_str::<AssertionClaims>(bad).is_err(),
            "{bad}"
        );
    }
    let extra: AssertionClaims =
        serde_json::from_str(r#"{"sub":"u","email":"u@abc.example"}"#).unwrap();
    assert_eq!(extra.sub.as_deref(), Some("u"));
}

fn access() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: "https://sso.xyz".into(),
        sub: "u_1".into(),
        aud: Audience::One("https://sso.xyz/api".into()),
        client_id: ClientId::new("abc").unwrap(),
        tenant: TenantId::new("abc-corp").unwrap(),
        scope: ScopeSet::parse("form.read form.write").unwrap(),
        jti: "t1".into(),
        iat: NOW,
        exp: NOW + 600,
        act: None,
        sid: None,
    }
}

#[test]
fn access_token_binding() {
    let abc = ClientId::new("abc").unwrap();
    let def = ClientId::new("def").unwrap();
    let read = ScopeSet::parse("form.read").unwrap();
    let admin = ScopeSet::parse("admin").unwrap();
    let expect = AccessTokenExpectations {
        issuer: "https://sso.xyz",
        audience: "https://sso.xyz/api",
        client_id: Some(&abc),
        required_scope: Some(&read),
    };
    let t = access();
    t.check(&expect, NOW, 30).unwrap();
    assert_eq!(t.check(&expect, NOW + 571, 30), Err(ClaimError::Expired));
    let e = AccessTokenExpectations {
        issuer: "https://evil",
        ..expect.clone()
    };
    assert_eq!(t.check(&e, NOW, 30), Err(ClaimError::WrongIssuer));
    let e = AccessTokenExpectations {
        audience: "https://other/api",
        ..expect.clone()
    };
    assert_eq!(t.check(&e, NOW, 30), Err(ClaimError::WrongAudience));
    let e = AccessTokenExpectations {
        client_id: Some(&def),
        ..expect.clone()
    };
    assert_eq!(t.check(&e, NOW, 30), Err(ClaimError::ClientIdMismatch));
    let e = AccessTokenExpectations {
        required_scope: Some(&admin),
        ..expect.clone()
    };
    assert_eq!(t.check(&e, NOW, 30), Err(ClaimError::Scope));
    let mut future = access();
    future.iat = NOW + 100;
    assert_eq!(
        future.check(&expect, NOW, 30),
        Err(ClaimError::IssuedInFuture)
    );
    // A year-3000 expiry is a forgery, whatever else the token says.
    let mut forever = access();
    forever.exp = 32_503_680_000;
    assert_eq!(
        forever.check(&expect, NOW, 30),
        Err(ClaimError::LifetimeTooLong)
    );
    let mut longest = access();
    longest.exp = NOW + MAX_ACCESS_TOKEN_LIFETIME_SECS;
    longest.check(&expect, NOW, 30).unwrap();
}
