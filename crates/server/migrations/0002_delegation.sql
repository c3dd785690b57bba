-- Chained delegation (flow F) and enterprise IdPs (flow G). Portable SQL, as 0001.

-- An API outside XYZ that accepts XYZ-issued tokens: the `aud` they carry, the scopes
-- it accepts, and the pinned keys of the statements it signs about its own users.
CREATE TABLE downstreams (
    id                  TEXT PRIMARY KEY,
    audience            TEXT NOT NULL UNIQUE,
    issuer              TEXT NOT NULL UNIQUE,
    jwks                TEXT NOT NULL,
    scopes              TEXT NOT NULL,
    token_lifetime_secs BIGINT NOT NULL,
    -- Where XYZ sends a user's record when it is saved (NULL: never).
    sync_url            TEXT,
    created_at          BIGINT NOT NULL
);

-- A confidential client that exchanges tokens addressed to it (`accepts`, JSON array
-- of audiences) for tokens to downstreams (`targets`, JSON array of downstream ids).
-- Without keys it cannot authenticate at the token endpoint: that is XYZ's own record
-- sync, which exchanges in-process.
CREATE TABLE services (
    client_id  TEXT PRIMARY KEY,
    jwks       TEXT,
    accepts    TEXT NOT NULL,
    targets    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- An XYZ user's account at a downstream, made only from a statement the downstream
-- signed. One account per user and downstream, one user per downstream account.
CREATE TABLE links (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    downstream  TEXT NOT NULL REFERENCES downstreams (id) ON DELETE CASCADE,
    subject     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    -- The last record sync: when, and how it ended.
    synced_at   BIGINT,
    sync_status TEXT,
    PRIMARY KEY (user_id, downstream),
    UNIQUE (downstream, subject)
);

-- An enterprise IdP trusted to issue ID-JAGs for the clients of one tenant.
CREATE TABLE idps (
    issuer     TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    jwks       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
