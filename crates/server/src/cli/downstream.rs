//! `crosspass downstream`: downstream APIs that accept XYZ-issued tokens.

use super::{err, read_input, to_json, unless_taken};
use clap::{Args, Subcommand};
use crosspass_protocol::DownstreamId;
use crosspass_server::audit::AuditEvent;
use crosspass_server::db::{Db, DownstreamKey};
use crosspass_server::registry::DownstreamInput;
use crosspass_server::util::now;
use crosspass_server::Config;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum DownstreamCommand {
    /// Register a downstream API.
    Add(AddDownstream),
    /// List downstream APIs.
    List,
    /// Print one downstream as JSON.
    Show {
        /// Downstream id.
        id: String,
    },
    /// Remove a downstream API and every account link to it.
    Remove {
        /// Downstream id.
        id: String,
    },
}

#[derive(Args)]
pub struct AddDownstream {
    /// Downstream id, e.g. `myhealth`.
    #[arg(long)]
    id: String,
    /// `aud` of the tokens XYZ issues for it (what a token exchange names as
    /// `audience` or `resource`).
    #[arg(long)]
    audience: String,
    /// `iss` of the account-link statements it signs.
    #[arg(long)]
    issuer: String,
    /// JWKS file (or `-` for stdin) with the public keys of those statements.
    #[arg(long)]
    jwks: PathBuf,
    /// Scopes it accepts; exchanged tokens never carry others.
    #[arg(long)]
    scopes: String,
    /// Longest lifetime in seconds of the tokens issued for it.
    #[arg(long, default_value_t = 300)]
    token_lifetime: i64,
    /// An http:// URL where XYZ sends a linked user's record when it is saved.
    #[arg(long)]
    sync_url: Option<String>,
}

pub async fn run(config: &Config, db: &Db, command: DownstreamCommand) -> Result<(), String> {
    match command {
        DownstreamCommand::Add(a) => {
            let api = config.api_audience();
            let downstream = DownstreamInput {
                id: a.id,
                audience: a.audience,
                issuer: a.issuer,
                jwks: read_input(&a.jwks)?,
                scopes: a.scopes,
                token_lifetime_secs: a.token_lifetime,
                sync_url: a.sync_url,
            }
            .validate(&[config.issuer.as_str(), api.as_str()])
            .map_err(|e| e.to_string())?;
            db.insert_downstream(&downstream, now())
                .await
                .map_err(unless_taken(
                    "a downstream with this id, audience or issuer already exists",
                ))?;
            AuditEvent::cli("downstream.added")
                .detail(format!("{} ({})", downstream.id, downstream.audience))
                .record(db)
                .await;
            println!("{}", to_json(&downstream.view())?);
            Ok(())
        }
        DownstreamCommand::List => {
            for d in db.downstreams().await.map_err(err)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    d.id,
                    d.audience,
                    d.scopes,
                    d.sync_url.as_deref().unwrap_or("-")
                );
            }
            Ok(())
        }
        DownstreamCommand::Show { id } => {
            let d = db
                .downstream_by(DownstreamKey::Id, &id)
                .await
                .map_err(err)?
                .ok_or("no such downstream")?;
            println!("{}", to_json(&d.view())?);
            Ok(())
        }
        DownstreamCommand::Remove { id } => {
            let id = DownstreamId::new(id).map_err(|e| e.to_string())?;
            if !db.remove_downstream(&id).await.map_err(err)? {
                return Err("no such downstream".into());
            }
            AuditEvent::cli("downstream.removed")
                .detail(id.as_str())
                .record(db)
                .await;
            println!("removed {id}");
            Ok(())
        }
    }
}
