-- Revocation (RFC 7009) and the audit trail.

-- Sign-in sessions whose tokens no longer work: every access token carries the `sid`
-- of the sign-in it came from (tokens made from it by a token exchange keep it), so
-- revoking one token ends the session it belongs to. Rows outlive the session's last
-- token and are then pruned.
CREATE TABLE revoked_sessions (
    sid        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);

-- Registry changes and token issuances and refusals. Never a token or a secret.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    request_id  TEXT,
    actor       TEXT NOT NULL,
    event       TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    client_id   TEXT,
    tenant      TEXT,
    user_id     TEXT,
    grant_type  TEXT,
    detail      TEXT
);
CREATE INDEX audit_events_at ON audit_events (at_ms);
CREATE INDEX audit_events_client ON audit_events (client_id, at_ms);
