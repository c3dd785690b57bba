//! `crosspass user`: XYZ users of partner users.

use super::err;
use clap::Subcommand;
use crosspass_protocol::TenantId;
use crosspass_server::audit::AuditEvent;
use crosspass_server::db::Db;
use crosspass_server::util::now;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create (or find) the XYZ user for a partner user; prints its id.
    Provision {
        /// Tenant id.
        #[arg(long)]
        tenant: String,
        /// The partner's own user id.
        external_id: String,
    },
    /// Delete the XYZ user of a partner user, with their record, account links and
    /// sessions; their tokens stop working at once.
    Delete {
        /// Tenant id.
        #[arg(long)]
        tenant: String,
        /// The partner's own user id.
        external_id: String,
    },
}

pub async fn run(db: &Db, command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Provision {
            tenant,
            external_id,
        } => {
            let tenant = TenantId::new(tenant).map_err(|e| e.to_string())?;
            let user = db
                .upsert_user(
                    &tenant,
                    &external_id,
                    None,
                    &crosspass_server::oauth::new_user_id(),
                    now(),
                )
                .await
                .map_err(err)?;
            AuditEvent::cli("user.provisioned")
                .tenant(tenant.as_str())
                .user(&user.id)
                .detail(if user.created { "created" } else { "updated" })
                .record(db)
                .await;
            println!("{}", user.id);
            Ok(())
        }
        UserCommand::Delete {
            tenant,
            external_id,
        } => {
            let tenant = TenantId::new(tenant).map_err(|e| e.to_string())?;
            let user = db
                .delete_user(&tenant, &external_id)
                .await
                .map_err(err)?
                .ok_or("no such user")?;
            AuditEvent::cli("user.deleted")
                .tenant(tenant.as_str())
                .user(&user)
                .record(db)
                .await;
            println!("deleted {user}");
            Ok(())
        }
    }
}
