//! `crosspass audit`: reading the audit trail.

use super::err;
use clap::Args;
use crosspass_server::audit::{self, AuditEvent};
use crosspass_server::db::Db;

#[derive(Args)]
pub struct AuditQuery {
    /// Only events of this client.
    #[arg(long)]
    client: Option<String>,
    /// How far back: `90s`, `15m`, `1h`, `7d`.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    since: std::time::Duration,
    /// Most events printed.
    #[arg(long, default_value_t = 1000)]
    limit: i64,
    /// One JSON object per line instead of columns.
    #[arg(long)]
    json: bool,
}

pub async fn run(db: &Db, q: AuditQuery) -> Result<(), String> {
    let since = i64::try_from(q.since.as_millis()).unwrap_or(i64::MAX);
    let from = audit::now_ms().saturating_sub(since);
    for e in audit::events(db, q.client.as_deref(), from, q.limit.clamp(1, 100_000))
        .await
        .map_err(err)?
    {
        if q.json {
            println!("{}", serde_json::to_string(&e).map_err(|e| e.to_string())?);
        } else {
            println!("{}", audit_line(&e));
        }
    }
    Ok(())
}

/// One audit event as a line of tab-separated columns.
fn audit_line(e: &AuditEvent) -> String {
    let at = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(e.at_ms).unwrap_or_default());
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    [
        humantime::format_rfc3339_millis(at).to_string(),
        e.event.clone(),
        e.outcome.clone(),
        e.actor.clone(),
        dash(&e.client_id),
        dash(&e.tenant),
        dash(&e.user_id),
        dash(&e.grant_type),
        dash(&e.request_id),
        dash(&e.detail),
    ]
    .join("\t")
}
