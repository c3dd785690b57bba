//! `crosspass keys`: XYZ's signing keys.

use super::{err, to_json};
use clap::Subcommand;
use crosspass_server::audit::AuditEvent;
use crosspass_server::db::Db;
use crosspass_server::{keys, Config};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Add a new signing key; older ones stay published until their tokens expire.
    Rotate,
    /// Emergency: unpublish a key at once, so every token it signed is refused (a
    /// current key is replaced by a new one first). Users sign in again.
    Revoke {
        /// The key's `kid`, as `keys list` shows it.
        kid: String,
    },
    /// Print the published JWKS.
    List,
}

pub async fn run(config: &Config, db: &Db, command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Rotate => {
            let key = keys::rotate(db, config.clock_skew_secs)
                .await
                .map_err(err)?;
            AuditEvent::cli("keys.rotated")
                .detail(key.kid())
                .record(db)
                .await;
            println!("new signing key {}", key.kid());
            Ok(())
        }
        KeysCommand::Revoke { kid } => {
            let current = keys::revoke(db, &kid, config.clock_skew_secs)
                .await
                .map_err(|e| e.to_string())?;
            AuditEvent::cli("keys.revoked")
                .detail(format!("{kid} removed; {current} signs"))
                .record(db)
                .await;
            println!("revoked {kid}; signing key {current}");
            Ok(())
        }
        KeysCommand::List => {
            let set = keys::KeyStore::load(db).await.map_err(err)?;
            println!("{}", to_json(&set.get().public.to_json())?);
            Ok(())
        }
    }
}
