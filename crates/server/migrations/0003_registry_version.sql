-- One counter, bumped in the same transaction as every change to the registry
-- (partners, downstreams, services, IdPs): a replica keeps the entries it has read for
-- as long as the counter stands still, and reads only the counter to find out (once
-- per `registry_cache_secs`), however many entries there are.
CREATE TABLE registry_version (
    id      BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);
