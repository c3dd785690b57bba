//! `crosspass form`: per-tenant form schemas.

use super::read_input;
use clap::Subcommand;
use crosspass_protocol::json::Json as _;
use crosspass_protocol::TenantId;
use crosspass_server::audit::AuditEvent;
use crosspass_server::db::Db;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum FormCommand {
    /// Validate and store the form schema of a tenant.
    Set {
        /// Tenant id.
        #[arg(long)]
        tenant: String,
        /// Schema JSON file (or `-` for stdin).
        file: PathBuf,
    },
    /// Print the form schema of a tenant.
    Show {
        /// Tenant id.
        #[arg(long)]
        tenant: String,
    },
}

pub async fn run(db: &Db, command: FormCommand) -> Result<(), String> {
    match command {
        FormCommand::Set { tenant, file } => {
            let tenant = TenantId::new(tenant).map_err(|e| e.to_string())?;
            let text = read_input(&file)?;
            crosspass_server::api::set_form(db, &tenant, &text)
                .await
                .map_err(|e| e.to_string())?;
            AuditEvent::cli("form.set")
                .tenant(tenant.as_str())
                .record(db)
                .await;
            println!("form of tenant {tenant} stored");
            Ok(())
        }
        FormCommand::Show { tenant } => {
            let tenant = TenantId::new(tenant).map_err(|e| e.to_string())?;
            let form = crosspass_server::api::get_form(db, &tenant)
                .await
                .map_err(|e| e.to_string())?;
            // The contract's codec: numbers exactly as the admin wrote them.
            match form {
                Some(form) => println!("{}", form.to_json()),
                None => println!("null"),
            }
            Ok(())
        }
    }
}
