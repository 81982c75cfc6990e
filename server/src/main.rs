use clap::Parser;
use server::{
    cli::{run_account_command, Cli, Command},
    config::LogFormat,
};
use std::{io::IsTerminal, process::ExitCode};
use tracing_subscriber::EnvFilter;

/// Requests allocate many short-lived buffers across threads (Tokio's
/// workers, SQLite's connection threads); mimalloc serves them with less
/// contention than glibc's malloc (see README, Benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_sessions=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.config.log_format {
        // Each line carries the request span (and its id) it belongs to.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Human => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    let result = match cli.command {
        None | Some(Command::Serve) => match server::prepare(cli.config.clone()).await {
            Ok(prepared) => {
                prepared
                    .serve(std::time::Duration::from_secs(
                        cli.config.shutdown_grace_secs,
                    ))
                    .await
            }
            Err(e) => Err(e),
        },
        Some(Command::Deliver) => {
            // No web app: its port is not taken (an ephemeral one is bound
            // and never served).
            let mut config = cli.config.clone();
            config.site_addr = "127.0.0.1:0".parse().expect("a valid address");
            config.no_deliver = false;
            match server::prepare(config).await {
                Ok(prepared) => {
                    prepared
                        .deliver_only(std::time::Duration::from_secs(
                            cli.config.shutdown_grace_secs,
                        ))
                        .await
                }
                Err(e) => Err(e),
            }
        }
        Some(command) => run_account_command(&cli.config, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eventurl: {e:#}");
            ExitCode::FAILURE
        }
    }
}
