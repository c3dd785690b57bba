//! The `crosspass` binary: registry management, keys, forms, users, and `serve` with
//! graceful shutdown on SIGTERM.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::{fresh_database_url, Partner, Serve};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn crosspass(dir: &Path, db: &str, args: &[&str]) -> Output {
    common::crosspass(dir, db).args(args).output().unwrap()
}

/// A new database, migrated with `crosspass migrate` (admin commands never migrate).
fn fresh_database(dir: &Path) -> String {
    let db = unmigrated_database(dir);
    assert!(ok(&crosspass(dir, &db, &["migrate"])).starts_with("schema at version "));
    db
}

fn unmigrated_database(dir: &Path) -> String {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(fresh_database_url(dir))
}

#[test]
fn migrating_is_an_explicit_step_and_the_issuer_must_be_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = unmigrated_database(d);
    fails(
        &crosspass(d, &db, &["partner", "list"]),
        "run `crosspass migrate` first",
    );
    let out = ok(&crosspass(d, &db, &["migrate"]));
    assert!(out.starts_with("schema at version "), "{out}");
    assert_eq!(ok(&crosspass(d, &db, &["partner", "list"])), "");
    // Again: nothing to do, same version.
    assert_eq!(ok(&crosspass(d, &db, &["migrate"])), out);

    // No issuer named: refused, with the fix; --demo takes the demo's.
    let unnamed = common::crosspass(d, &db)
        .env_remove("CROSSPASS_ISSUER")
        .args(["partner", "list"])
        .output()
        .unwrap();
    fails(&unnamed, "issuer is not set");
    let demo = common::crosspass(d, &db)
        .env_remove("CROSSPASS_ISSUER")
        .args(["--demo", "partner", "list"])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let public_http = common::crosspass(d, &db)
        .env("CROSSPASS_ISSUER", "http://sso.example.com")
        .args(["partner", "list"])
        .output()
        .unwrap();
    fails(&public_http, "allow_http_issuer");
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn fails(out: &Output, message: &str) {
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(message), "{stderr}");
}

#[test]
fn partner_keys_form_and_user_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = fresh_database(d);
    std::fs::write(d.join("abc.jwks.json"), Partner::abc().jwks()).unwrap();
    std::fs::write(d.join("def.jwks.json"), Partner::def().jwks()).unwrap();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "partner",
            "add",
            "--client-id",
            "abc",
            "--tenant",
            "abc",
            "--issuer",
            "http://abc.localhost:8081",
            "--jwks",
            "abc.jwks.json",
            "--origin",
            "http://abc.localhost:8081",
            "--origin",
            "HTTP://Example2.localhost:8083",
        ];
        args.extend_from_slice(extra);
        crosspass(d, &db, &args)
    };
    let shown: Value = serde_json::from_str(&ok(&add(&["--jit-users"]))).unwrap();
    assert_eq!(shown["client_id"], "abc");
    assert_eq!(
        shown["origins"],
        serde_json::json!([
            "http://abc.localhost:8081",
            "http://example2.localhost:8083"
        ])
    );
    assert_eq!(shown["jit_users"], true);
    assert_eq!(shown["token_lifetime_secs"], 600);
    assert_eq!(shown["expose_tokens"], false);
    fails(&add(&[]), "already exists");

    // A partner without keys: a client secret, shown once, rotated with an overlap.
    let ghk: Value = serde_json::from_str(&ok(&crosspass(
        d,
        &db,
        &[
            "partner",
            "add",
            "--client-id",
            "ghk",
            "--tenant",
            "ghk",
            "--client-secret",
            "--origin",
            "http://ghk.localhost:8086",
        ],
    )))
    .unwrap();
    let first = ghk["client_secret"].as_str().unwrap().to_owned();
    assert!(first.starts_with("xpcs_"), "{ghk}");
    assert_eq!(ghk["issuer"], "urn:crosspass:client:ghk");
    assert_eq!(ghk["jwks"], serde_json::json!({"keys": []}));
    let shown: Value =
        serde_json::from_str(&ok(&crosspass(d, &db, &["partner", "show", "ghk"]))).unwrap();
    assert!(shown.get("client_secret").is_none());
    assert!(!ok(&crosspass(d, &db, &["partner", "show", "ghk"])).contains(&first));
    let rotated: Value = serde_json::from_str(&ok(&crosspass(
        d,
        &db,
        &[
            "partner",
            "secret",
            "rotate",
            "ghk",
            "--overlap-secs",
            "600",
        ],
    )))
    .unwrap();
    assert_ne!(rotated["client_secret"], ghk["client_secret"]);
    fails(
        &crosspass(d, &db, &["partner", "secret", "rotate", "nope"]),
        "no such partner",
    );
    fails(
        &crosspass(
            d,
            &db,
            &[
                "partner",
                "add",
                "--client-id",
                "x",
                "--tenant",
                "x",
                "--origin",
                "http://x.localhost",
            ],
        ),
        "--jwks",
    );

    // Token exposure is off unless asked for, and changes in place.
    let update = |value: &str| {
        crosspass(
            d,
            &db,
            &["partner", "update", "abc", "--expose-tokens", value],
        )
    };
    let shown: Value = serde_json::from_str(&ok(&update("true"))).unwrap();
    assert_eq!(shown["expose_tokens"], true);
    assert_eq!(shown["jit_users"], true);
    let shown: Value = serde_json::from_str(&ok(&update("false"))).unwrap();
    assert_eq!(shown["expose_tokens"], false);
    fails(&update("maybe"), "invalid value");
    fails(
        &crosspass(d, &db, &["partner", "update", "abc"]),
        "nothing to change",
    );
    fails(
        &crosspass(
            d,
            &db,
            &["partner", "update", "nope", "--expose-tokens", "true"],
        ),
        "no such partner",
    );

    let bad = |args: &[&str], message: &str| fails(&crosspass(d, &db, args), message);
    let base = [
        "partner",
        "add",
        "--client-id",
        "x",
        "--tenant",
        "x",
        "--issuer",
        "http://x",
    ];
    bad(
        &[
            &base[..],
            &[
                "--jwks",
                "abc.jwks.json",
                "--origin",
                "http://x.localhost/app",
            ],
        ]
        .concat(),
        "no path",
    );
    std::fs::write(
        d.join("private.json"),
        r#"{"kty":"OKP","crv":"Ed25519","x":"AAAA","d":"AAAA","kid":"k"}"#,
    )
    .unwrap();
    bad(
        &[
            &base[..],
            &["--jwks", "private.json", "--origin", "http://x.localhost"],
        ]
        .concat(),
        "private key material",
    );
    std::fs::write(
        d.join("rsa.json"),
        r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"r"}]}"#,
    )
    .unwrap();
    bad(
        &[
            &base[..],
            &["--jwks", "rsa.json", "--origin", "http://x.localhost"],
        ]
        .concat(),
        "only OKP/Ed25519 and EC/P-256",
    );
    let list = ok(&crosspass(d, &db, &["partner", "list"]));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.starts_with("abc\tabc\thttp://abc.localhost:8081\t"));
    assert!(
        list.contains("\nghk\tghk\turn:crosspass:client:ghk\t"),
        "{list}"
    );

    let rotated: Value = serde_json::from_str(&ok(&crosspass(
        d,
        &db,
        &["partner", "rotate-key", "abc", "--jwks", "def.jwks.json"],
    )))
    .unwrap();
    assert_eq!(rotated["keys"][0]["kid"], "def-1");
    let shown: Value =
        serde_json::from_str(&ok(&crosspass(d, &db, &["partner", "show", "abc"]))).unwrap();
    assert_eq!(shown["jwks"]["keys"][0]["crv"], "P-256");
    fails(
        &crosspass(d, &db, &["partner", "show", "nope"]),
        "no such partner",
    );

    let first: Value = serde_json::from_str(&ok(&crosspass(d, &db, &["keys", "list"]))).unwrap();
    assert_eq!(first["keys"].as_array().unwrap().len(), 1);
    assert!(ok(&crosspass(d, &db, &["keys", "rotate"])).starts_with("new signing key xyz-"));
    let second: Value = serde_json::from_str(&ok(&crosspass(d, &db, &["keys", "list"]))).unwrap();
    assert_eq!(second["keys"].as_array().unwrap().len(), 2);

    std::fs::write(
        d.join("form.json"),
        r#"{"fields": [{"name": "company", "type": "string", "label": "Company", "required": true}]}"#,
    )
    .unwrap();
    ok(&crosspass(
        d,
        &db,
        &["form", "set", "--tenant", "abc", "form.json"],
    ));
    let form: Value = serde_json::from_str(&ok(&crosspass(
        d,
        &db,
        &["form", "show", "--tenant", "abc"],
    )))
    .unwrap();
    assert_eq!(form["fields"][0]["name"], "company");
    std::fs::write(
        d.join("bad-form.json"),
        r#"{"fields": [{"name": "A", "type": "string", "label": "x"}]}"#,
    )
    .unwrap();
    fails(
        &crosspass(d, &db, &["form", "set", "--tenant", "abc", "bad-form.json"]),
        "field `A`",
    );

    let id = ok(&crosspass(
        d,
        &db,
        &["user", "provision", "--tenant", "abc", "alice"],
    ));
    assert!(id.starts_with("u_"));
    assert_eq!(
        ok(&crosspass(
            d,
            &db,
            &["user", "provision", "--tenant", "abc", "alice"]
        )),
        id
    );

    ok(&crosspass(d, &db, &["partner", "remove", "abc"]));
    ok(&crosspass(d, &db, &["partner", "remove", "ghk"]));
    assert_eq!(ok(&crosspass(d, &db, &["partner", "list"])), "");
    fails(
        &crosspass(d, &db, &["partner", "remove", "abc"]),
        "no such partner",
    );
}

#[test]
fn downstream_service_and_idp_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = fresh_database(d);
    let run = |args: &[&str]| crosspass(d, &db, args);
    std::fs::write(d.join("abc.jwks.json"), Partner::abc().jwks()).unwrap();
    std::fs::write(d.join("def.jwks.json"), Partner::def().jwks()).unwrap();
    ok(&run(&[
        "partner",
        "add",
        "--client-id",
        "abc",
        "--tenant",
        "abc",
        "--issuer",
        "http://abc.localhost:8081",
        "--jwks",
        "abc.jwks.json",
        "--origin",
        "http://abc.localhost:8081",
    ]));
    // `downstream add` with some flags replaced or added.
    let downstream = |extra: &[&str]| {
        let mut flags = vec![
            ("--id", "myhealth"),
            ("--audience", "http://myhealth.localhost:8084"),
            ("--issuer", "http://myhealth.localhost:8084"),
            ("--jwks", "def.jwks.json"),
            ("--scopes", "form.read"),
        ];
        for pair in extra.chunks(2) {
            flags.retain(|(f, _)| *f != pair[0]);
            flags.push((pair[0], pair[1]));
        }
        let mut args = vec!["downstream", "add"];
        args.extend(flags.iter().flat_map(|(f, v)| [*f, *v]));
        run(&args)
    };
    let bad = |args: &[&str], message: &str| fails(&run(args), message);

    // Refused downstreams write nothing.
    for (extra, message) in [
        (
            ["--sync-url", "https://myhealth.internal/xyz"],
            "must be an http:// URL",
        ),
        (["--sync-url", "not a url"], "must be an http:// URL"),
        (["--scopes", ""], "at least one scope"),
        (["--token-lifetime", "0"], "token lifetime"),
        (["--id", "my health"], "id: identifier may only contain"),
        (
            ["--audience", "http://sso.localhost:18080/api"],
            "the audience is XYZ's own",
        ),
        (["--jwks", "abc.jwks.json.missing"], "abc.jwks.json.missing"),
    ] {
        fails(&downstream(&extra), message);
    }
    assert_eq!(ok(&run(&["downstream", "list"])), "");
    let shown: Value = serde_json::from_str(&ok(&downstream(&[
        "--sync-url",
        "http://127.0.0.1:8084/xyz/record",
    ])))
    .unwrap();
    assert_eq!(shown["id"], "myhealth");
    assert_eq!(shown["sync_url"], "http://127.0.0.1:8084/xyz/record");
    assert_eq!(shown["token_lifetime_secs"], 300);
    fails(&downstream(&[]), "already exists");
    assert_eq!(
        ok(&run(&["downstream", "list"])),
        "myhealth\thttp://myhealth.localhost:8084\tform.read\thttp://127.0.0.1:8084/xyz/record\n"
    );

    let service = |extra: &[&str]| {
        let mut args = vec!["service", "add"];
        args.extend_from_slice(extra);
        run(&args)
    };
    let api = ["--accepts", "http://sso.localhost:18080/api"];
    for (args, message) in [
        (
            vec![
                "--client-id",
                "sync",
                "--accepts",
                "http://elsewhere",
                "--target",
                "myhealth",
            ],
            "accepted audience `http://elsewhere` is neither",
        ),
        (
            [&["--client-id", "sync"], &api[..], &["--target", "labs"]].concat(),
            "target `labs` is not a registered downstream",
        ),
        (
            [&["--client-id", "abc"], &api[..], &["--target", "myhealth"]].concat(),
            "a partner with this client id already exists",
        ),
        (
            [
                &["--client-id", "sync", "--jwks", "nope.json"],
                &api[..],
                &["--target", "myhealth"],
            ]
            .concat(),
            "nope.json",
        ),
    ] {
        fails(&service(&args), message);
    }
    assert_eq!(ok(&run(&["service", "list"])), "");
    let shown: Value = serde_json::from_str(&ok(&service(
        &[
            &["--client-id", "sync"],
            &api[..],
            &["--target", "myhealth"],
        ]
        .concat(),
    )))
    .unwrap();
    assert_eq!(shown["jwks"], Value::Null);
    assert_eq!(shown["targets"], serde_json::json!(["myhealth"]));
    ok(&service(
        &[
            &["--client-id", "mh-backend", "--jwks", "def.jwks.json"],
            &["--accepts", "http://myhealth.localhost:8084"][..],
            &["--target", "myhealth"],
        ]
        .concat(),
    ));
    fails(
        &service(
            &[
                &["--client-id", "sync"],
                &api[..],
                &["--target", "myhealth"],
            ]
            .concat(),
        ),
        "a service with this client id already exists",
    );
    bad(
        &[
            "partner",
            "add",
            "--client-id",
            "sync",
            "--tenant",
            "x",
            "--issuer",
            "http://x",
            "--jwks",
            "abc.jwks.json",
            "--origin",
            "http://x.localhost",
        ],
        "a service with this client id already exists",
    );
    let shown: Value = serde_json::from_str(&ok(&run(&["service", "show", "mh-backend"]))).unwrap();
    assert_eq!(shown["jwks"]["keys"][0]["kid"], "def-1");
    assert_eq!(ok(&run(&["service", "list"])).lines().count(), 2);
    ok(&run(&["service", "remove", "mh-backend"]));
    fails(
        &run(&["service", "remove", "mh-backend"]),
        "no such service",
    );

    let idp = |issuer: &str| {
        run(&[
            "idp",
            "add",
            "--issuer",
            issuer,
            "--tenant",
            "abc",
            "--jwks",
            "def.jwks.json",
        ])
    };
    fails(
        &idp("http://abc.localhost:8081"),
        "a partner with this issuer already exists",
    );
    assert_eq!(ok(&run(&["idp", "list"])), "");
    let shown: Value = serde_json::from_str(&ok(&idp("http://idp.localhost:8085"))).unwrap();
    assert_eq!(shown["tenant"], "abc");
    assert_eq!(shown["jwks"]["keys"][0]["kid"], "def-1");
    fails(&idp("http://idp.localhost:8085"), "already exists");
    bad(
        &[
            "partner",
            "add",
            "--client-id",
            "x",
            "--tenant",
            "x",
            "--issuer",
            "http://idp.localhost:8085",
            "--jwks",
            "abc.jwks.json",
            "--origin",
            "http://x.localhost",
        ],
        "an enterprise IdP with this issuer already exists",
    );
    assert_eq!(
        ok(&run(&["idp", "list"])),
        "http://idp.localhost:8085\tabc\n"
    );
    ok(&run(&["idp", "remove", "http://idp.localhost:8085"]));
    fails(
        &run(&["idp", "show", "http://idp.localhost:8085"]),
        "no such IdP",
    );

    ok(&run(&["downstream", "remove", "myhealth"]));
    fails(
        &run(&["downstream", "show", "myhealth"]),
        "no such downstream",
    );
}

#[cfg(unix)]
#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path());
    let serve = Serve::spawn(common::crosspass(dir.path(), &db));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let health: Value = rt.block_on(async {
        reqwest::get(serve.url("/healthz"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(health["status"], "ok");
    let (exit, log) = serve.terminate();
    assert!(exit.success(), "{log:#?}");
    assert!(log.iter().any(|l| l.contains("shutting down")), "{log:#?}");
}
