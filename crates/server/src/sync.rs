//! Record sync (chained delegation): once a user's record is saved, XYZ sends it to every
//! downstream the user linked that takes records (`sync_url`), on the user's behalf,
//! as the registered service named by `record_sync_service`, with a token exchanged
//! for that downstream in-process.
//!
//! It runs after the save has committed, in the background, with a timeout, so it
//! never delays or fails the save. Each outcome is logged (never a token) and noted on
//! the link. Calls carry the record's version, so a downstream that sees two saves out
//! of order keeps the newer one; a sync lost to a crash is made good by the next save.

use crate::app::AppState;
use crate::db::DownstreamKey;
use crate::exchange::exchange_for;
use crate::registry::{Downstream, Service};
use crate::util::now;
use axum::http::header;
use crosspass_protocol::claims::AccessTokenClaims;
use std::sync::Arc;
use std::time::Instant;

/// Starts the sync of a record just saved as `version` by the holder of `subject`.
pub fn after_save(
    state: &AppState,
    subject: Arc<AccessTokenClaims>,
    record: serde_json::Value,
    version: i64,
) {
    let Some(service) = state.config.record_sync_service.clone() else {
        return;
    };
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = sync(&state, &service, &subject, &record, version).await {
            tracing::warn!(error = %e, user = %subject.sub, "record sync failed");
        }
    });
}

async fn sync(
    state: &AppState,
    service: &str,
    subject: &AccessTokenClaims,
    record: &serde_json::Value,
    version: i64,
) -> Result<(), crate::db::DbError> {
    let Some(service) = state.service(service).await? else {
        tracing::warn!(
            service,
            "record_sync_service is not a registered service; nothing sent"
        );
        return Ok(());
    };
    let body = serde_json::json!({ "record": record, "version": version }).to_string();
    for link in state.db.links(&subject.sub).await? {
        let Some(target) = state
            .downstream(DownstreamKey::Id, link.downstream.as_str())
            .await?
        else {
            continue;
        };
        let Some(url) = target.sync_url.as_deref() else {
            continue;
        };
        let start = Instant::now();
        let status = send(state, &service, subject, &target, url, &body).await;
        let millis = start.elapsed().as_millis();
        if status == "ok" {
            tracing::info!(downstream = %target.id, user = %subject.sub, version, millis, "record synced");
        } else {
            tracing::warn!(downstream = %target.id, user = %subject.sub, version, millis, status, "record sync refused");
        }
        state
            .db
            .note_sync(&subject.sub, &target.id, &link.subject, now(), &status)
            .await?;
    }
    Ok(())
}

/// One call; its outcome in a few words: `ok`, `http 401`, `timeout`, …
async fn send(
    state: &AppState,
    service: &Service,
    subject: &AccessTokenClaims,
    target: &Downstream,
    url: &str,
    body: &str,
) -> String {
    let issued = match exchange_for(state, service, subject, target).await {
        Ok(issued) => issued,
        Err(e) => return format!("exchange refused: {}", e.status_and_code().1),
    };
    let sent = state
        .http
        .post(url)
        .bearer_auth(issued.token.expose_secret())
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => "ok".to_owned(),
        Ok(r) => format!("http {}", r.status().as_u16()),
        Err(e) if e.is_timeout() => "timeout".to_owned(),
        Err(e) if e.is_connect() => "unreachable".to_owned(),
        Err(_) => "failed".to_owned(),
    }
}
