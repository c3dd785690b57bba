//! Signature verification and signing (server side).
