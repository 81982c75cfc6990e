use clap::Parser;
use server::cli::{run_account_command, Cli, Command};
use std::{io::IsTerminal, process::ExitCode};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_sessions=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let result = match cli.command {
        None | Some(Command::Serve) => match server::prepare(cli.config).await {
            Ok(prepared) => prepared.serve().await,
            Err(e) => Err(e),
        },
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
