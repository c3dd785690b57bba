-- Whether a partner's pages may receive raw access tokens (`token.get`). Off by
-- default: partner pages reach the API through the hub's `fetch`, and the form renders
-- in XYZ's own frame.
ALTER TABLE partners ADD COLUMN expose_tokens BIGINT NOT NULL DEFAULT 0;
