//! The `eventurl` command line: serve (the default) and the operator's
//! account commands, for scripts.

use anyhow::{bail, Context};
use app::accounts::{self, NewAdmin, NewTenant};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal};

use crate::Config;

#[derive(Parser, Debug)]
#[command(
    name = "eventurl",
    version,
    about = "Tenant administrators manage where their PBX posts its webhook events (Company → Event URL).",
    long_about = "Tenant administrators manage where their PBX posts its webhook events (Company → Event URL).\n\nWith no command, serves the web app. Every setting can also be given as the environment variable named in brackets. Logging follows RUST_LOG (default: info)."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Manage tenant administrators.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum TenantAction {
    /// Create a tenant (with its two endpoints, disabled).
    Create {
        /// The tenant's name, unique.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminAction {
    /// Create a tenant administrator. The password is read from standard
    /// input: prompted without echo on a terminal, else the first line.
    Create {
        /// Name of the tenant the administrator manages.
        #[arg(long)]
        tenant: String,
        /// Sign-in name, unique across tenants.
        #[arg(long)]
        username: String,
    },
}

fn read_password() -> anyhow::Result<SecretString> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .context("reading the password")?;
        let again =
            rpassword::prompt_password("Password again: ").context("reading the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        Ok(SecretString::from(first))
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        Ok(SecretString::from(
            line.trim_end_matches(['\r', '\n']).to_owned(),
        ))
    }
}

pub async fn run_account_command(config: &Config, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve => unreachable!("serve is handled by main"),
        Command::Tenant {
            action: TenantAction::Create { name },
        } => {
            let db = crate::connect(config).await?;
            let tenant = accounts::create_tenant(&db, NewTenant { name }).await?;
            println!("Created tenant {:?} (id {}).", tenant.name, tenant.id);
        }
        Command::Admin {
            action: AdminAction::Create { tenant, username },
        } => {
            let password = read_password()?;
            let db = crate::connect(config).await?;
            let admin =
                accounts::create_admin(&db, &tenant, NewAdmin { username, password }).await?;
            println!(
                "Created administrator {:?} for tenant {:?}.",
                admin.username, tenant
            );
        }
    }
    Ok(())
}
