//! XYZ's reference backend: the authorization server that redeems partner assertions
//! for access tokens and exchanges them for downstream APIs, the data API behind the
//! embedded form, the registry, and static hosting of the hub page and the SDK.
//!
//! | route | what |
//! |---|---|
//! | `GET /health/live` (`/healthz`), `GET /health/ready` | liveness; readiness (database, schema version, keys) |
//! | `POST /oauth/token` | JWT bearer grant (ID-JAG from a partner or an enterprise IdP), optional `private_key_jwt` client auth ([`oauth`]); token exchange for downstream APIs ([`exchange`]) |
//! | `GET /.well-known/jwks.json`, `GET /.well-known/oauth-authorization-server` | XYZ's keys and RFC 8414 metadata |
//! | `POST /oauth/revoke` | RFC 7009 revocation: the token's sign-in session ends on every replica ([`revoke`]) |
//! | `PUT`/`DELETE /api/v1/partners/{client_id}/users/{external_id}` | user provisioning and deletion by a partner backend ([`users`]) |
//! | `POST /api/v1/embed-sessions` | a single-use session for one user, by a partner backend with its client secret or keys; redeemed by the hub at `/oauth/token` ([`embed`]) |
//! | `GET /api/v1/form`, `GET`/`PUT /api/v1/me/record` | the data API ([`api`]); a saved record goes on to linked downstreams ([`sync`]) |
//! | `GET`/`POST /api/v1/me/links`, `POST /api/v1/me/links/nonces`, `DELETE /api/v1/me/links/{downstream}` | account links to downstream APIs ([`links`]) |
//! | `GET /openapi.json` | the OpenAPI 3.1 description of all of the above (`openapi.json`, checked against the routes by `tests/openapi.rs`) |
//! | `POST`/`DELETE /hub/session`, `POST /hub/session/token` | XYZ's first-party browser session, for XYZ's own frames only: the storage ladder's cookie rung ([`browser_session`]) |
//! | `GET /hub`, `/embed/form`, `/hub/popup`, `/hub/{file}`, `/hub/pkg/{path}`, `/sdk/{path}` | XYZ's frame pages and static files ([`assets`]) |
//!
//! Registry changes and token issuances, refusals and revocations are written to an
//! audit trail ([`audit`]).
//!
//! Storage is one SQL database ([`db`]); everything else a replica holds in memory
//! (signing keys, recently read partners) is reloaded from it.
#![deny(missing_docs)]

pub mod api;
pub mod app;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod browser_session;
pub mod cache;
pub mod config;
pub mod db;
pub mod embed;
pub mod error;
pub mod exchange;
pub mod kek;
pub mod keys;
pub mod limits;
pub mod links;
pub mod metrics;
pub mod oauth;
pub mod registry;
pub mod revoke;
pub mod sync;
pub mod users;
pub mod util;

pub use app::{router, AppState, Server, StartError};
pub use config::Config;
