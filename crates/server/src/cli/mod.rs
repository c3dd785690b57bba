//! The `crosspass` command line: one module per command group, each with its clap
//! arguments and its `run`. Private to the binary; the library never sees it.

mod audit;
mod downstream;
mod form;
mod idp;
mod keys;
mod partner;
mod service;
mod user;

use clap::{Parser, Subcommand};
use crosspass_server::db::{is_unique_violation, Db, DbError};
use crosspass_server::Config;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "crosspass",
    version,
    about = "XYZ's Crosspass server and admin tool"
)]
pub struct Cli {
    /// TOML config file; CROSSPASS_* environment variables override it.
    #[arg(long, global = true, env = "CROSSPASS_CONFIG")]
    config: Option<PathBuf>,
    /// The demo's defaults where nothing is configured (issuer http://sso.localhost:8080).
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server until SIGINT or SIGTERM.
    Serve,
    /// Bring the database's schema up to this binary's (admin commands never do).
    Migrate,
    /// Manage partner clients.
    #[command(subcommand)]
    Partner(partner::PartnerCommand),
    /// Manage downstream APIs that accept XYZ-issued tokens (token exchange).
    #[command(subcommand)]
    Downstream(downstream::DownstreamCommand),
    /// Manage services that exchange users' tokens for downstream APIs.
    #[command(subcommand)]
    Service(service::ServiceCommand),
    /// Manage enterprise IdPs trusted to issue ID-JAGs for a tenant.
    #[command(subcommand)]
    Idp(idp::IdpCommand),
    /// Manage XYZ's signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage per-tenant form schemas.
    #[command(subcommand)]
    Form(form::FormCommand),
    /// Manage XYZ users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Read the audit trail: registry changes, token issuances, refusals, revocations.
    Audit(audit::AuditQuery),
}

/// Runs one command line to its end.
pub async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::load(cli.config.as_deref(), cli.demo).map_err(|e| e.to_string())?;
    match cli.command {
        Command::Serve => return crate::serve(config).await,
        Command::Migrate => {
            let db = Db::connect(&config.database_url, config.database_max_connections)
                .await
                .map_err(|e| e.to_string())?;
            let (version, _) = db.schema_version().await.map_err(|e| e.to_string())?;
            db.close().await;
            println!("schema at version {version}");
            return Ok(());
        }
        _ => {}
    }
    let kek = crosspass_server::kek::Kek::configured(&config).map_err(|e| e.to_string())?;
    let db = Db::connect_current(&config.database_url, config.database_max_connections)
        .await
        .map_err(|e| e.to_string())?
        .with_key_encryption(kek);
    let result = admin(&config, &db, cli.command).await;
    db.close().await;
    result
}

/// The commands that work on the registry: the database is open and current.
async fn admin(config: &Config, db: &Db, command: Command) -> Result<(), String> {
    match command {
        Command::Serve | Command::Migrate => Ok(()),
        Command::Partner(c) => partner::run(config, db, c).await,
        Command::Downstream(c) => downstream::run(config, db, c).await,
        Command::Service(c) => service::run(config, db, c).await,
        Command::Idp(c) => idp::run(db, c).await,
        Command::Keys(c) => keys::run(config, db, c).await,
        Command::Form(c) => form::run(db, c).await,
        Command::User(c) => user::run(db, c).await,
        Command::Audit(q) => audit::run(db, q).await,
    }
}

/// A file's text, or standard input's for `-`.
fn read_input(path: &Path) -> Result<String, String> {
    if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"))
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|e| e.to_string())
}

fn err(e: DbError) -> String {
    e.to_string()
}

/// A failed insert: `taken` when the row collides with one already stored.
fn unless_taken(taken: &'static str) -> impl Fn(DbError) -> String {
    move |e| {
        if is_unique_violation(&e) {
            taken.to_owned()
        } else {
            e.to_string()
        }
    }
}
