//! `crosspass-bench seed`: fills a Crosspass SQLite database for the load tests.

use clap::{Parser, Subcommand};
use crosspass_bench::{seed_partners, seed_users};
use crosspass_server::db::Db;
use crosspass_server::util::now;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "crosspass-bench",
    about = "Fixtures of the Crosspass benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Adds partners and users until the database holds `--partners` and `--users`
    /// (names in the crate docs); migrates a new database first.
    Seed {
        /// `sqlite://…` URL, as the server's `CROSSPASS_DATABASE_URL`.
        #[arg(long)]
        database_url: String,
        /// Partners wanted in total.
        #[arg(long)]
        partners: u64,
        /// Users wanted in total.
        #[arg(long)]
        users: u64,
        /// JWKS file every seeded partner pins.
        #[arg(long)]
        jwks: PathBuf,
    },
}

async fn run(cli: Cli) -> Result<(), String> {
    let Command::Seed {
        database_url,
        partners,
        users,
        jwks,
    } = cli.command;
    let jwks = std::fs::read_to_string(&jwks).map_err(|e| format!("{}: {e}", jwks.display()))?;
    let db = Db::connect(&database_url, 2)
        .await
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let result = async {
        let added_partners = seed_partners(&db, partners, &jwks, now()).await?;
        let added_users = seed_users(&db, users, partners, now()).await?;
        Ok::<_, crosspass_bench::SeedError>((added_partners, added_users))
    }
    .await;
    db.close().await;
    let (added_partners, added_users) = result.map_err(|e| e.to_string())?;
    println!(
        "partners {partners} (+{added_partners}), users {users} (+{added_users}) in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crosspass-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
