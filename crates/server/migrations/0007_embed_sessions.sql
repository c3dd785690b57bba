-- Client secrets (client_secret_basic) and embed sessions. Both are stored only as
-- SHA-256 hashes of 256-bit random secrets.

-- A partner's secrets: the current one (expires_at NULL) and rotated ones still valid
-- until the end of their overlap window.
CREATE TABLE client_secrets (
    secret_hash TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES partners (client_id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT
);
CREATE INDEX client_secrets_client ON client_secrets (client_id);

-- Single-use sessions for one user and scope; redemption deletes the row.
CREATE TABLE embed_sessions (
    secret_hash TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES partners (client_id) ON DELETE CASCADE,
    tenant      TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX embed_sessions_expires_at ON embed_sessions (expires_at);
