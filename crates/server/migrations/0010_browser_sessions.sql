-- XYZ's first-party browser sessions (crates/server/src/browser_session.rs): the
-- sign-in a browser's `HttpOnly` cookie names, stored only as the SHA-256 hash of the
-- cookie's 256-bit random value. Deleting the user deletes them; revoking their `sid`
-- deletes them too.
CREATE TABLE browser_sessions (
    secret_hash TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sid         TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX browser_sessions_sid ON browser_sessions (sid);
CREATE INDEX browser_sessions_expires_at ON browser_sessions (expires_at);
