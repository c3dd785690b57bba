-- Portable SQL: runs on SQLite and PostgreSQL alike (TEXT, BIGINT, ON CONFLICT).

CREATE TABLE partners (
    client_id           TEXT PRIMARY KEY,
    tenant              TEXT NOT NULL,
    issuer              TEXT NOT NULL UNIQUE,
    jwks                TEXT NOT NULL,
    origins             TEXT NOT NULL,
    scopes              TEXT NOT NULL,
    token_lifetime_secs BIGINT NOT NULL,
    jit_users           BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    alg           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    -- Set when a newer key takes over; the key stays published until then.
    publish_until BIGINT
);

-- Single use of assertion and client assertion ids, shared by every replica. The
-- primary key makes the insert itself the replay check.
CREATE TABLE used_jtis (
    namespace  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (namespace, jti)
);
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    profile     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (tenant, external_id)
);

CREATE TABLE records (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant     TEXT NOT NULL,
    data       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE forms (
    tenant     TEXT PRIMARY KEY,
    schema     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
