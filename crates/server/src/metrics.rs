//! Prometheus metrics, served at `/metrics` on the admin listener (`admin_listen`),
//! never on the public port. Recorded with the `metrics` crate; labels are bounded:
//! routes are templates, clients are only verified ones, refusals go by error code.
//!
//! | metric | labels |
//! |---|---|
//! | `crosspass_http_requests_total` | `route`, `method`, `status` |
//! | `crosspass_http_request_duration_seconds` (histogram) | `route` |
//! | `crosspass_tokens_issued_total` | `client_id`, `grant` |
//! | `crosspass_tokens_refused_total` | `grant`, `error` |
//! | `crosspass_replays_refused_total` | `kind` |
//! | `crosspass_rate_limited_total` | `scope` |
//! | `crosspass_used_jtis` (gauge) | |
//! | `crosspass_db_pool_connections` (gauge) | `state` |

use crate::limits::Scope;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Latency buckets, in seconds: a token redemption takes about a millisecond.
const BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls share it) and returns the handle
/// that renders it. `None` when another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// A request answered.
pub fn request(route: &'static str, method: &str, status: u16, seconds: f64) {
    metrics::counter!(
        "crosspass_http_requests_total",
        "route" => route,
        "method" => method.to_owned(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!("crosspass_http_request_duration_seconds", "route" => route)
        .record(seconds);
}

/// A token issued to a verified client.
pub fn token_issued(client_id: &str, grant: &'static str) {
    metrics::counter!(
        "crosspass_tokens_issued_total",
        "client_id" => client_id.to_owned(),
        "grant" => grant
    )
    .increment(1);
}

/// A token request refused.
pub fn token_refused(grant: &'static str, error: &'static str) {
    metrics::counter!("crosspass_tokens_refused_total", "grant" => grant, "error" => error)
        .increment(1);
}

/// Counts a token endpoint's answer under `grant`: issued (by client) or refused (by
/// error code), as the response's extensions say.
pub fn token_answered(response: &axum::response::Response, grant: &'static str) {
    match (
        response.extensions().get::<crate::audit::Granted>(),
        response.extensions().get::<crate::error::Failure>(),
    ) {
        (Some(g), _) => token_issued(&g.client_id, grant),
        (None, Some(f)) => token_refused(grant, f.code),
        (None, None) => {}
    }
}

/// A single-use token presented again (`assertion`, `client_assertion`, `statement`).
pub fn replay_refused(kind: &'static str) {
    metrics::counter!("crosspass_replays_refused_total", "kind" => kind).increment(1);
}

/// A request refused by a rate limit.
pub fn rate_limited(scope: Scope) {
    metrics::counter!("crosspass_rate_limited_total", "scope" => scope.as_str()).increment(1);
}

/// Sizes read from the database and the pool, set before each scrape.
pub fn gauges(used_jtis: i64, pool_size: u32, pool_idle: usize) {
    metrics::gauge!("crosspass_used_jtis").set(used_jtis as f64);
    let idle = pool_idle as f64;
    metrics::gauge!("crosspass_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("crosspass_db_pool_connections", "state" => "in_use")
        .set((f64::from(pool_size) - idle).max(0.0));
}

/// The template of a route, for labels: never the path itself, which holds ids.
pub fn route_of(path: &str) -> &'static str {
    const EXACT: &[&str] = &[
        "/oauth/token",
        "/oauth/revoke",
        "/api/v1/form",
        "/api/v1/me/record",
        "/api/v1/me/links",
        "/api/v1/me/links/nonces",
        "/api/v1/embed-sessions",
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
        "/hub",
        "/hub/popup",
        "/hub/session",
        "/hub/session/token",
        "/embed/form",
        "/healthz",
        "/health/live",
        "/health/ready",
    ];
    if let Some(r) = EXACT.iter().find(|r| **r == path) {
        return r;
    }
    if path.starts_with("/api/v1/partners/") && path.contains("/users/") {
        "/api/v1/partners/{client_id}/users/{external_id}"
    } else if path.starts_with("/api/v1/me/links/") {
        "/api/v1/me/links/{downstream}"
    } else if path.starts_with("/hub/") {
        "/hub/{file}"
    } else if path.starts_with("/sdk/") {
        "/sdk/{path}"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_templates_and_paths_never_leak() {
        assert_eq!(route_of("/oauth/token"), "/oauth/token");
        assert_eq!(
            route_of("/api/v1/partners/abc/users/u-4711"),
            "/api/v1/partners/{client_id}/users/{external_id}"
        );
        assert_eq!(
            route_of("/api/v1/me/links/myhealth"),
            "/api/v1/me/links/{downstream}"
        );
        assert_eq!(route_of("/hub/pkg/crosspass_hub.js"), "/hub/{file}");
        assert_eq!(route_of("/wp-admin/secret-token-123"), "other");
    }
}
