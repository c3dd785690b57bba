//! `crosspass service`: services that exchange users' tokens for downstream APIs.

use super::{err, read_input, to_json, unless_taken};
use clap::{Args, Subcommand};
use crosspass_protocol::{ClientId, DownstreamId};
use crosspass_server::audit::AuditEvent;
use crosspass_server::db::Db;
use crosspass_server::registry::ServiceInput;
use crosspass_server::util::now;
use crosspass_server::Config;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Register a service.
    Add(AddService),
    /// List services.
    List,
    /// Print one service as JSON.
    Show {
        /// Client id.
        client_id: String,
    },
    /// Remove a service.
    Remove {
        /// Client id.
        client_id: String,
    },
}

#[derive(Args)]
pub struct AddService {
    /// Client id, e.g. `records-sync`.
    #[arg(long)]
    client_id: String,
    /// JWKS file (or `-` for stdin) with its public keys for `private_key_jwt`. Leave
    /// it out for XYZ's own record sync, which never authenticates.
    #[arg(long)]
    jwks: Option<PathBuf>,
    /// An audience of the tokens it may exchange (the tokens addressed to it): XYZ's
    /// API audience or a downstream's; repeat for several.
    #[arg(long = "accepts", required = true)]
    accepts: Vec<String>,
    /// A downstream id it may obtain tokens for; repeat for several.
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
}

pub async fn run(config: &Config, db: &Db, command: ServiceCommand) -> Result<(), String> {
    match command {
        ServiceCommand::Add(a) => {
            let jwks = a.jwks.as_deref().map(read_input).transpose()?;
            let service = ServiceInput {
                client_id: a.client_id,
                jwks,
                accepts: a.accepts,
                targets: a.targets,
            }
            .validate(
                &config.api_audience(),
                &db.downstreams().await.map_err(err)?,
            )
            .map_err(|e| e.to_string())?;
            if db
                .partner(service.client_id.as_str())
                .await
                .map_err(err)?
                .is_some()
            {
                return Err("a partner with this client id already exists".into());
            }
            db.insert_service(&service, now())
                .await
                .map_err(unless_taken("a service with this client id already exists"))?;
            AuditEvent::cli("service.added")
                .client(service.client_id.as_str())
                .record(db)
                .await;
            println!("{}", to_json(&service.view())?);
            Ok(())
        }
        ServiceCommand::List => {
            for s in db.services().await.map_err(err)? {
                let targets: Vec<&str> = s.targets.iter().map(DownstreamId::as_str).collect();
                println!(
                    "{}\t{}\t{}",
                    s.client_id,
                    s.accepts.join(","),
                    targets.join(",")
                );
            }
            Ok(())
        }
        ServiceCommand::Show { client_id } => {
            let s = db
                .service(&client_id)
                .await
                .map_err(err)?
                .ok_or("no such service")?;
            println!("{}", to_json(&s.view())?);
            Ok(())
        }
        ServiceCommand::Remove { client_id } => {
            let id = ClientId::new(client_id).map_err(|e| e.to_string())?;
            if !db.remove_service(&id).await.map_err(err)? {
                return Err("no such service".into());
            }
            AuditEvent::cli("service.removed")
                .client(id.as_str())
                .record(db)
                .await;
            println!("removed {id}");
            Ok(())
        }
    }
}
