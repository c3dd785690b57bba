//! `GET /openapi.json` describes the server as it is: every documented operation is a
//! route the server has, answering an anonymous request with a status the document
//! lists, and every route of the route table in `src/lib.rs` outside the frame pages is
//! documented.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use serde_json::Value;

const METHODS: [&str; 4] = ["get", "put", "post", "delete"];

/// The documented path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{client_id}", "abc")
        .replace("{external_id}", "alice")
        .replace("{downstream}", "myhealth")
}

#[tokio::test]
async fn every_documented_operation_is_served_and_answers_as_documented() {
    let t = TestServer::start().await;
    let served: Value = get_json(&t.http, &t.url("/openapi.json")).await;
    let file: Value = serde_json::from_str(crosspass_server::app::OPENAPI).unwrap();
    assert_eq!(served, file);
    assert_eq!(served["openapi"], "3.1.0");

    let mut operations = 0;
    for (path, item) in served["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            operations += 1;
            let url = t.url(&concrete(path));
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut req = t.http.request(m, url);
            match op["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.keys().next().cloned())
            {
                Some(kind) if kind == "application/json" => req = req.json(&serde_json::json!({})),
                Some(_) => req = req.form(&[("x", "y")]),
                None => {}
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert!(
                status != 405 && body["error_description"] != "no such route",
                "{method} {path}: the server has no such route ({status} {body})"
            );
            assert!(
                op["responses"].get(status.to_string()).is_some(),
                "{method} {path}: answered {status}, not documented ({body})"
            );
        }
    }
    assert!(operations >= 16, "{operations}");
    t.stop().await;
}

#[test]
fn every_route_of_the_route_table_is_documented() {
    let spec: Value = serde_json::from_str(crosspass_server::app::OPENAPI).unwrap();
    let lib = include_str!("../src/lib.rs");
    let mut checked = 0;
    for line in lib.lines().filter(|l| l.starts_with("//! | `")) {
        for segment in line.split('`').skip(1).step_by(2) {
            let Some(path) = segment.split_whitespace().find(|w| w.starts_with('/')) else {
                continue;
            };
            let public = ["/oauth/", "/api/", "/.well-known/", "/health/", "/openapi"];
            if !public.iter().any(|p| path.starts_with(p)) {
                continue;
            }
            checked += 1;
            assert!(
                spec["paths"].get(path).is_some(),
                "{path} is in the route table of src/lib.rs but not in openapi.json"
            );
        }
    }
    assert!(checked >= 12, "{checked}");
}
