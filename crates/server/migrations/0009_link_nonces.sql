-- Account-link nonces: XYZ issues one to a signed-in user for one downstream; the
-- downstream signs it back inside its link statement, so a statement links only the
-- XYZ user it was made for. Single use (redemption deletes the row); stored hashed.
CREATE TABLE link_nonces (
    nonce_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    downstream TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX link_nonces_expires_at ON link_nonces (expires_at);
