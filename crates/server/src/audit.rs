//! The audit trail: every registry change and every token issuance, refusal and
//! revocation becomes a row of `audit_events` and a line of the structured log (target
//! `audit`). Rows name client, tenant, user, grant, outcome and request id; never a
//! token or a secret. `crosspass audit` reads them.

use crate::db::{Db, DbError};
use crate::error::Failure;
use crate::util::random_id;
use axum::response::Response;
use serde::Serialize;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

/// Longest value kept in a column: refused requests name clients and grants that were
/// only claimed, so their length is the caller's choice.
const MAX_FIELD: usize = 256;

/// The id of one HTTP request: the caller's `X-Request-Id` when it is 1 to 64 of
/// `A-Z a-z 0-9 . _ -` (a proxy's, to follow a request across hops), else one the
/// server makes. Returned as `X-Request-Id` and written with every log line and audit
/// row of the request.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

impl RequestId {
    /// A fresh id.
    pub fn new() -> Self {
        Self(random_id(12))
    }

    /// The caller's id, when it is well-formed.
    pub fn accept(value: &axum::http::HeaderValue) -> Option<Self> {
        let v = value.to_str().ok()?;
        let ok = (1..=64).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        ok.then(|| Self(v.to_owned()))
    }
}

/// Where the request's proven client is left for the access log (the API's bearer
/// extractor fills it).
#[derive(Clone, Debug, Default)]
pub struct ClientSeen(pub std::sync::Arc<std::sync::OnceLock<String>>);

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

/// What a successful grant issued, left on the response for the audit.
#[derive(Clone, Debug)]
pub struct Granted {
    /// The client the token was issued to.
    pub client_id: String,
    /// Its tenant.
    pub tenant: String,
    /// The XYZ user.
    pub user: String,
}

/// One audit event.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AuditEvent {
    /// Unix milliseconds.
    pub at_ms: i64,
    /// The request, for events made by one.
    pub request_id: Option<String>,
    /// Who did it: `cli:<user>`, `client:<id>`, or `anonymous` for refused requests.
    pub actor: String,
    /// What happened, e.g. `token.issued`, `partner.updated`.
    pub event: String,
    /// `ok`, or the stable error code of the refusal.
    pub outcome: String,
    /// The client concerned (as claimed, on a refusal).
    pub client_id: Option<String>,
    /// The tenant concerned.
    pub tenant: Option<String>,
    /// The XYZ user concerned.
    pub user_id: Option<String>,
    /// The grant type of a token request.
    pub grant_type: Option<String>,
    /// What changed, or why it was refused.
    pub detail: Option<String>,
}

fn bounded(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD)
        .collect()
}

impl AuditEvent {
    /// An event done by `actor`, outcome `ok`.
    pub fn new(actor: &str, event: &str) -> Self {
        Self {
            at_ms: now_ms(),
            actor: bounded(actor),
            event: event.to_owned(),
            outcome: "ok".to_owned(),
            ..Self::default()
        }
    }

    /// An event of a registry change made with the CLI by the OS user running it.
    pub fn cli(event: &str) -> Self {
        let who = std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "unknown".into());
        Self::new(&format!("cli:{who}"), event)
    }

    /// Sets the request id.
    pub fn request(mut self, id: &RequestId) -> Self {
        self.request_id = Some(id.0.clone());
        self
    }

    /// Sets the client.
    pub fn client(mut self, id: impl AsRef<str>) -> Self {
        self.client_id = Some(bounded(id.as_ref()));
        self
    }

    /// Sets the tenant.
    pub fn tenant(mut self, t: impl AsRef<str>) -> Self {
        self.tenant = Some(bounded(t.as_ref()));
        self
    }

    /// Sets the user.
    pub fn user(mut self, u: impl AsRef<str>) -> Self {
        self.user_id = Some(bounded(u.as_ref()));
        self
    }

    /// Sets the grant type.
    pub fn grant(mut self, g: impl AsRef<str>) -> Self {
        self.grant_type = Some(bounded(g.as_ref()));
        self
    }

    /// Sets the detail.
    pub fn detail(mut self, d: impl AsRef<str>) -> Self {
        self.detail = Some(bounded(d.as_ref()));
        self
    }

    /// Takes outcome and detail from a response: `ok`, or the error code and its
    /// description; a [`Granted`] on it fills client, tenant and user.
    pub fn outcome_of(mut self, response: &Response) -> Self {
        if let Some(f) = response.extensions().get::<Failure>() {
            self.outcome = f.code.to_owned();
            self = self.detail(&f.description);
        }
        if let Some(g) = response.extensions().get::<Granted>() {
            self = self.client(&g.client_id).tenant(&g.tenant).user(&g.user);
        }
        self
    }

    /// The event of a request that issues (or revokes) something, finished with its
    /// answer: outcome and detail from the response; on a refusal the event is renamed
    /// `refused`; on success an anonymous caller is named by the client it proved to be.
    pub fn answered(self, response: &Response, refused: &str) -> Self {
        let mut e = self.outcome_of(response);
        if e.outcome != "ok" {
            e.event = refused.to_owned();
        } else if e.actor == "anonymous" {
            if let Some(c) = &e.client_id {
                e.actor = format!("client:{c}");
            }
        }
        e
    }

    /// Writes the event to the log and to the table at once (the CLI's way). A
    /// storage failure is logged and does not fail what the event records.
    pub async fn record(self, db: &Db) {
        self.log();
        if let Err(e) = insert(db, &self).await {
            tracing::error!(error = %e, event = %self.event, "audit event not stored");
        }
    }

    /// Writes the event to the log now and hands it to the server's writer, which
    /// stores what is queued in one transaction (a token request then costs the
    /// database no write of its own for its audit row).
    pub async fn send(self, sink: &AuditSink, db: &Db) {
        match sink.tx.try_send(Msg::Event(Box::new(self))) {
            Ok(()) => {}
            // A full queue (or no writer): stored right here instead, never dropped.
            Err(mpsc::error::TrySendError::Full(Msg::Event(e)))
            | Err(mpsc::error::TrySendError::Closed(Msg::Event(e))) => e.record(db).await,
            Err(_) => {}
        }
    }

    fn log(&self) {
        tracing::info!(
            target: "audit",
            event = %self.event,
            outcome = %self.outcome,
            actor = %self.actor,
            client_id = self.client_id.as_deref().unwrap_or(""),
            tenant = self.tenant.as_deref().unwrap_or(""),
            user = self.user_id.as_deref().unwrap_or(""),
            grant = self.grant_type.as_deref().unwrap_or(""),
            request_id = self.request_id.as_deref().unwrap_or(""),
            detail = self.detail.as_deref().unwrap_or(""),
        );
    }
}

/// Events queued for the writer, or a request to say once everything sent before it
/// is stored.
#[derive(Debug)]
enum Msg {
    Event(Box<AuditEvent>),
    Flush(oneshot::Sender<()>),
}

/// Events queued before senders store them themselves.
const QUEUE: usize = 8192;
/// Most events stored in one transaction.
const BATCH: usize = 4096;
/// How long the writer waits for a batch to fill once an event arrives.
const GATHER: std::time::Duration = std::time::Duration::from_millis(50);

/// The server's audit writer: events are logged when they happen and stored in
/// batches, in order, by one task. [`AuditSink::flush`] waits until everything sent so
/// far is stored; the server flushes on shutdown, so an orderly stop loses nothing.
#[derive(Debug)]
pub struct AuditSink {
    tx: mpsc::Sender<Msg>,
    rx: std::sync::Mutex<Option<mpsc::Receiver<Msg>>>,
}

impl Default for AuditSink {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        Self {
            tx,
            rx: std::sync::Mutex::new(Some(rx)),
        }
    }
}

impl AuditSink {
    /// Starts the writer (once) on `db`.
    pub fn start(&self, db: Db) -> Option<tokio::task::JoinHandle<()>> {
        let mut rx = self.rx.lock().unwrap_or_else(|p| p.into_inner()).take()?;
        Some(tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                // A moment for more to arrive: on SQLite every write transaction takes
                // the one write lock that token redemptions need too, so fewer, larger
                // batches leave it free more of the time.
                if matches!(first, Msg::Event(_)) {
                    tokio::time::sleep(GATHER).await;
                }
                let mut batch = Vec::new();
                let mut flushes = Vec::new();
                let mut next = Some(first);
                while let Some(msg) = next.take() {
                    match msg {
                        Msg::Event(e) => batch.push(*e),
                        Msg::Flush(done) => flushes.push(done),
                    }
                    if batch.len() < BATCH {
                        next = rx.try_recv().ok();
                    }
                }
                if let Err(e) = insert_batch(&db, &batch).await {
                    tracing::error!(error = %e, events = batch.len(), "audit events not stored");
                }
                for done in flushes {
                    let _ = done.send(());
                }
            }
        }))
    }

    /// Returns once every event sent before the call is stored (or the writer is
    /// gone).
    pub async fn flush(&self) {
        let (done, stored) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = stored.await;
        }
    }
}

async fn insert_batch(db: &Db, events: &[AuditEvent]) -> Result<(), DbError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut tx = db.pool().begin().await?;
    for e in events {
        insert_one(&mut tx, e).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn insert(db: &Db, e: &AuditEvent) -> Result<(), DbError> {
    let mut conn = db.pool().acquire().await?;
    insert_one(&mut conn, e).await
}

async fn insert_one(conn: &mut sqlx::AnyConnection, e: &AuditEvent) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_events (id, at_ms, request_id, actor, event, outcome, client_id, \
         tenant, user_id, grant_type, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(random_id(12))
    .bind(e.at_ms)
    .bind(e.request_id.as_deref())
    .bind(&e.actor)
    .bind(&e.event)
    .bind(&e.outcome)
    .bind(e.client_id.as_deref())
    .bind(e.tenant.as_deref())
    .bind(e.user_id.as_deref())
    .bind(e.grant_type.as_deref())
    .bind(e.detail.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Events since `since_ms`, oldest first, of one client when `client` is given, at
/// most `limit`.
pub async fn events(
    db: &Db,
    client: Option<&str>,
    since_ms: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, DbError> {
    let rows = sqlx::query(
        "SELECT at_ms, request_id, actor, event, outcome, client_id, tenant, user_id, \
         grant_type, detail FROM audit_events \
         WHERE at_ms >= $1 AND ($2 = '' OR client_id = $2) ORDER BY at_ms, id LIMIT $3",
    )
    .bind(since_ms)
    .bind(client.unwrap_or(""))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEvent {
                at_ms: r.try_get("at_ms")?,
                request_id: r.try_get("request_id")?,
                actor: r.try_get("actor")?,
                event: r.try_get("event")?,
                outcome: r.try_get("outcome")?,
                client_id: r.try_get("client_id")?,
                tenant: r.try_get("tenant")?,
                user_id: r.try_get("user_id")?,
                grant_type: r.try_get("grant_type")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_request_id_is_taken_only_when_well_formed() {
        let take = |v: &str| RequestId::accept(&axum::http::HeaderValue::from_str(v).unwrap());
        assert_eq!(take("req-1.a_B").map(|r| r.0).as_deref(), Some("req-1.a_B"));
        for bad in ["", "a b", "a\"b", "x".repeat(65).as_str(), "<script>"] {
            assert!(take(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn claimed_values_are_bounded_and_printable() {
        let e = AuditEvent::new("anonymous", "token.refused")
            .client("a\nb".repeat(500))
            .grant("g\u{7}");
        assert_eq!(e.client_id.as_deref().map(str::len), Some(MAX_FIELD));
        assert!(!e.client_id.unwrap_or_default().contains('\n'));
        assert_eq!(e.grant_type.as_deref(), Some("g"));
    }
}
