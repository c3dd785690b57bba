//! Wire types, origins, scopes, claim sets and validation rules shared by the
//! Crosspass hub, SDK and server.
//!
//! This crate has no I/O and no browser bindings, so it builds for native targets and
//! for `wasm32-unknown-unknown` alike. It holds no cryptography and no regex engine:
//! signing and signature verification are in `crosspass-jwt`, form schemas and record
//! validation in `crosspass-form`, both server side; the browser bundles need neither.
#![deny(missing_docs)]
#![warn(clippy::indexing_slicing)]

pub mod appearance;
pub mod claims;
pub mod error;
pub mod exchange;
pub mod form;
pub mod hub_config;
pub mod ids;
pub mod jose;
pub mod json;
pub mod oauth;
pub mod origin;
pub mod rpc;
pub mod scope;
pub mod secret;
pub mod text;
pub mod texts;

pub use error::{ErrorCode, RpcError};
pub use ids::{ClientId, DownstreamId, IdError, TenantId};
pub use origin::{Origin, OriginAllowlist, OriginError, OriginPattern};
pub use scope::{Scope, ScopeError, ScopeSet};
pub use secret::{AccessToken, Assertion};
