//! `crosspass`: run XYZ's server and manage its registry (partners, downstream APIs,
//! services, enterprise IdPs), keys and forms.

mod cli;

use clap::Parser;
use crosspass_server::{Config, Server};
use std::process::ExitCode;

async fn serve(config: Config) -> Result<(), String> {
    // Installed before the server says it listens: a signal that arrives right after is
    // a graceful shutdown, not the default instant kill.
    let stop = shutdown_signal().map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let server = Server::start(config).await.map_err(|e| e.to_string())?;
    stop.await;
    tracing::info!("shutting down");
    server.shutdown().await.map_err(|e| e.to_string())
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere); the handlers are in place on return.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Logs go to stderr: one JSON object per line with `CROSSPASS_LOG_FORMAT=json`,
/// readable text otherwise; `RUST_LOG` filters (default `info,sqlx=warn`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("CROSSPASS_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    match cli::run(cli::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crosspass: {e}");
            ExitCode::FAILURE
        }
    }
}
