//! `crosspass idp`: enterprise IdPs trusted to issue ID-JAGs for a tenant.

use super::{err, read_input, to_json, unless_taken};
use clap::Subcommand;
use crosspass_server::audit::AuditEvent;
use crosspass_server::db::Db;
use crosspass_server::registry::IdpInput;
use crosspass_server::util::now;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum IdpCommand {
    /// Register an enterprise IdP for a tenant.
    Add {
        /// `iss` of its ID-JAGs.
        #[arg(long)]
        issuer: String,
        /// The tenant whose clients it may speak for.
        #[arg(long)]
        tenant: String,
        /// JWKS file (or `-` for stdin) with its public keys.
        #[arg(long)]
        jwks: PathBuf,
    },
    /// List enterprise IdPs.
    List,
    /// Print one IdP as JSON.
    Show {
        /// Issuer.
        issuer: String,
    },
    /// Remove an enterprise IdP.
    Remove {
        /// Issuer.
        issuer: String,
    },
}

pub async fn run(db: &Db, command: IdpCommand) -> Result<(), String> {
    match command {
        IdpCommand::Add {
            issuer,
            tenant,
            jwks,
        } => {
            let idp = IdpInput {
                issuer,
                tenant,
                jwks: read_input(&jwks)?,
            }
            .validate()
            .map_err(|e| e.to_string())?;
            if db
                .partner_by_issuer(&idp.issuer)
                .await
                .map_err(err)?
                .is_some()
            {
                return Err("a partner with this issuer already exists".into());
            }
            db.insert_idp(&idp, now()).await.map_err(unless_taken(
                "an enterprise IdP with this issuer already exists",
            ))?;
            AuditEvent::cli("idp.added")
                .tenant(idp.tenant.as_str())
                .detail(&idp.issuer)
                .record(db)
                .await;
            println!("{}", to_json(&idp)?);
            Ok(())
        }
        IdpCommand::List => {
            for idp in db.idps().await.map_err(err)? {
                println!("{}\t{}", idp.issuer, idp.tenant);
            }
            Ok(())
        }
        IdpCommand::Show { issuer } => {
            let idp = db.idp(&issuer).await.map_err(err)?.ok_or("no such IdP")?;
            println!("{}", to_json(&idp)?);
            Ok(())
        }
        IdpCommand::Remove { issuer } => {
            if !db.remove_idp(&issuer).await.map_err(err)? {
                return Err("no such IdP".into());
            }
            AuditEvent::cli("idp.removed")
                .detail(&issuer)
                .record(db)
                .await;
            println!("removed {issuer}");
            Ok(())
        }
    }
}
