//! The `crosspass` binary: registry management, keys, forms, users, and `serve` with
//! graceful shutdown on SIGTERM.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::Partner;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn crosspass(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crosspass"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("CROSSPASS_DATABASE_URL", "sqlite://data/x.db?mode=rwc")
        .env("CROSSPASS_ISSUER", "http://sso.localhost:18090")
        .env("RUST_LOG", "info")
        .output()
        .unwrap()
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
        crosspass(d, &args)
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
    fails(&add(&[]), "already exists");

    let bad = |args: &[&str], message: &str| fails(&crosspass(d, args), message);
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
    let list = ok(&crosspass(d, &["partner", "list"]));
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.starts_with("abc\tabc\thttp://abc.localhost:8081\t"));

    let rotated: Value = serde_json::from_str(&ok(&crosspass(
        d,
        &["partner", "rotate-key", "abc", "--jwks", "def.jwks.json"],
    )))
    .unwrap();
    assert_eq!(rotated["keys"][0]["kid"], "def-1");
    let shown: Value =
        serde_json::from_str(&ok(&crosspass(d, &["partner", "show", "abc"]))).unwrap();
    assert_eq!(shown["jwks"]["keys"][0]["crv"], "P-256");
    fails(
        &crosspass(d, &["partner", "show", "nope"]),
        "no such partner",
    );

    let first: Value = serde_json::from_str(&ok(&crosspass(d, &["keys", "list"]))).unwrap();
    assert_eq!(first["keys"].as_array().unwrap().len(), 1);
    assert!(ok(&crosspass(d, &["keys", "rotate"])).starts_with("new signing key xyz-"));
    let second: Value = serde_json::from_str(&ok(&crosspass(d, &["keys", "list"]))).unwrap();
    assert_eq!(second["keys"].as_array().unwrap().len(), 2);

    std::fs::write(
        d.join("form.json"),
        r#"{"fields": [{"name": "company", "type": "string", "label": "Company", "required": true}]}"#,
    )
    .unwrap();
    ok(&crosspass(
        d,
        &["form", "set", "--tenant", "abc", "form.json"],
    ));
    let form: Value =
        serde_json::from_str(&ok(&crosspass(d, &["form", "show", "--tenant", "abc"]))).unwrap();
    assert_eq!(form["fields"][0]["name"], "company");
    std::fs::write(
        d.join("bad-form.json"),
        r#"{"fields": [{"name": "A", "type": "string", "label": "x"}]}"#,
    )
    .unwrap();
    fails(
        &crosspass(d, &["form", "set", "--tenant", "abc", "bad-form.json"]),
        "field `A`",
    );

    let id = ok(&crosspass(
        d,
        &["user", "provision", "--tenant", "abc", "alice"],
    ));
    assert!(id.starts_with("u_"));
    assert_eq!(
        ok(&crosspass(
            d,
            &["user", "provision", "--tenant", "abc", "alice"]
        )),
        id
    );

    ok(&crosspass(d, &["partner", "remove", "abc"]));
    assert_eq!(ok(&crosspass(d, &["partner", "list"])), "");
    fails(
        &crosspass(d, &["partner", "remove", "abc"]),
        "no such partner",
    );
}

#[cfg(unix)]
#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crosspass"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("CROSSPASS_DATABASE_URL", "sqlite://data/x.db?mode=rwc")
        .env("CROSSPASS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let health: Value = rt.block_on(async {
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(health["status"], "ok");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    assert!(lines.any(|l| l.unwrap().contains("shutting down")));
}
