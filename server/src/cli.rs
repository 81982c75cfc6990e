//! The `eventurl` command line: serve (the default) and the operator's
//! account commands, for scripts.

use anyhow::{bail, Context};
use app::{
    accounts::{self, NewAdmin, NewTenant},
    domain::Role,
};
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
    /// Manage the provider's operators (the Tenants console).
    #[command(alias = "provider-admin")]
    Operator {
        #[command(subcommand)]
        action: OperatorAction,
    },
    /// Manage the keys PBXs hand events in with.
    IngestKey {
        #[command(subcommand)]
        action: IngestKeyAction,
    },
    /// Manage tenants' REST API tokens.
    ApiToken {
        #[command(subcommand)]
        action: ApiTokenAction,
    },
    /// Only deliver events (no web app); `serve --no-deliver` is the other half.
    Deliver,
}

#[derive(Subcommand, Debug)]
pub enum IngestKeyAction {
    /// Create a key for the tenants it may post for; it is printed once
    /// (only its hash is stored).
    Create {
        /// A name for the PBX that will use it, e.g. pbx-1.
        #[arg(long)]
        name: String,
        /// A tenant (by name) the key may post events for; repeat for more.
        #[arg(long = "tenant", value_name = "TENANT", conflicts_with = "all_tenants")]
        tenants: Vec<String>,
        /// The key may post for every tenant (a PBX serving them all).
        #[arg(long)]
        all_tenants: bool,
    },
    /// List the keys: name, tenants, created, last used, revoked.
    List,
    /// Revoke a key at once.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiTokenAction {
    /// Create a tenant's API token for a script; it is printed once (only
    /// its hash is stored). It acts in the name of the tenant's
    /// administrator (--admin when there are several).
    Create {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// A name for the script that will use it, e.g. ci.
        #[arg(long)]
        name: String,
        /// read, or write (read and write).
        #[arg(long, default_value = "read")]
        scope: String,
        /// Days until it expires: 30, 90 or 365; none for never.
        #[arg(long, default_value = "90")]
        expires: String,
        /// The administrator in whose name it acts.
        #[arg(long)]
        admin: Option<String>,
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
    /// List the tenants: id (for the ingest URL) and name.
    List,
}

#[derive(Subcommand, Debug)]
pub enum OperatorAction {
    /// Create a provider operator: signs in at /login and manages every
    /// tenant (create, suspend, reactivate), never a tenant's settings.
    /// The password is read as for `admin create`.
    Create {
        /// Sign-in name, unique across operators and tenants' members.
        #[arg(long)]
        username: String,
    },
    /// List the operators: username, created, last sign-in, two-factor.
    List,
    /// Remove an operator: their sessions end at once.
    Remove {
        #[arg(long)]
        username: String,
    },
    /// Set an operator's password (read as for `admin create`): every
    /// session of theirs ends.
    SetPassword {
        #[arg(long)]
        username: String,
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
        /// `administrator` (changes everything) or `viewer` (only reads).
        #[arg(long, default_value = "administrator", value_parser = parse_role)]
        role: Role,
        /// Their email address, for password reset links and notices.
        #[arg(long)]
        email: Option<String>,
    },
}

async fn run_operator_command(config: &Config, action: OperatorAction) -> anyhow::Result<()> {
    use app::provider::operators;
    match action {
        OperatorAction::Create { username } => {
            let password = read_password()?;
            let db = crate::connect(config).await?;
            let operator = accounts::create_operator(&db, &username, password).await?;
            println!("Created provider operator {:?}.", operator.username);
        }
        OperatorAction::List => {
            let db = crate::connect(config).await?;
            let when = |t: Option<time::OffsetDateTime>| {
                t.map_or("-".to_owned(), |t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                })
            };
            println!("USERNAME\tCREATED\tLAST SIGN-IN\tTWO-FACTOR");
            for o in operators::list(&db).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    o.username,
                    when(Some(o.created_at)),
                    when(o.last_signed_in_at),
                    if o.two_factor { "on" } else { "off" }
                );
            }
        }
        OperatorAction::Remove { username } => {
            let db = crate::connect(config).await?;
            let ended = operators::remove(&db, &username).await?;
            println!(
                "Removed operator {:?}; {ended} session(s) ended.",
                username.trim()
            );
        }
        OperatorAction::SetPassword { username } => {
            let password = read_password()?;
            let db = crate::connect(config).await?;
            let ended = operators::set_password(&db, &username, password).await?;
            println!(
                "Set the password of operator {:?}; {ended} session(s) ended.",
                username.trim()
            );
        }
    }
    Ok(())
}

fn parse_role(input: &str) -> Result<Role, String> {
    Role::parse(input).ok_or_else(|| "use `administrator` or `viewer`".to_owned())
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
        Command::Serve | Command::Deliver => unreachable!("serve and deliver are handled by main"),
        Command::Tenant {
            action: TenantAction::List,
        } => {
            use sea_orm::{EntityTrait, QueryOrder};
            let db = crate::connect(config).await?;
            let tenants = app::persistence::entities::tenant::Entity::find()
                .order_by_asc(app::persistence::entities::tenant::Column::Id)
                .all(&db)
                .await
                .context("listing tenants")?;
            println!("ID\tNAME");
            for tenant in tenants {
                println!("{}\t{}", tenant.id, tenant.name);
            }
        }
        Command::IngestKey { action } => {
            use app::delivery::keys;
            let db = crate::connect(config).await?;
            match action {
                IngestKeyAction::Create {
                    name,
                    tenants,
                    all_tenants,
                } => {
                    let scope = keys::KeyScope::from_flags(tenants, all_tenants)?;
                    let key = keys::create(&db, &name, &scope).await?;
                    println!("{key}");
                    let scope = match scope {
                        keys::KeyScope::AllTenants => "every tenant".to_owned(),
                        keys::KeyScope::Tenants(names) => names.join(", "),
                    };
                    eprintln!("Created ingest key {name:?} for {scope}. It is shown only now: give it to the PBX as `Authorization: Bearer <key>`.");
                }
                IngestKeyAction::List => {
                    println!("NAME\tTENANTS\tCREATED\tLAST USED\tREVOKED");
                    let when = |t: Option<time::OffsetDateTime>| {
                        t.map_or("-".to_owned(), |t| {
                            t.format(&time::format_description::well_known::Rfc3339)
                                .unwrap_or_default()
                        })
                    };
                    for keys::ListedKey { key, tenants } in keys::list(&db).await? {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            key.name,
                            tenants.map_or("(all)".to_owned(), |names| names.join(",")),
                            when(Some(key.created_at)),
                            when(key.last_used_at),
                            when(key.revoked_at)
                        );
                    }
                }
                IngestKeyAction::Revoke { name } => {
                    keys::revoke(&db, &name).await?;
                    println!("Revoked ingest key {name:?}.");
                }
            }
        }
        Command::ApiToken {
            action:
                ApiTokenAction::Create {
                    tenant,
                    name,
                    scope,
                    expires,
                    admin,
                },
        } => {
            let new = app::api_tokens::NewToken::parse(&name, &scope, &expires)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = crate::connect(config).await?;
            let writes =
                app::persistence::write_gate::WriteGate::for_backend(db.get_database_backend());
            let token = app::api_tokens::service::create_from_cli(
                &db,
                &writes,
                &tenant,
                admin.as_deref(),
                &new,
            )
            .await?;
            println!("{token}");
            eprintln!(
                "Created API token {:?} for tenant {tenant:?} ({}). It is shown only now; store it in your secret manager.",
                new.name,
                new.scope.label()
            );
        }
        Command::Tenant {
            action: TenantAction::Create { name },
        } => {
            let db = crate::connect(config).await?;
            // The server's key (checked against the database): the new
            // sections' signing secrets are sealed with it.
            let cipher = crate::load_cipher(config)?;
            cipher.verify_against(&db).await?;
            let tenant = accounts::create_tenant(&db, &cipher, NewTenant { name }).await?;
            println!("Created tenant {:?} (id {}).", tenant.name, tenant.id);
        }
        Command::Operator { action } => run_operator_command(config, action).await?,
        Command::Admin {
            action:
                AdminAction::Create {
                    tenant,
                    username,
                    role,
                    email,
                },
        } => {
            let email = email.as_deref().map(accounts::parse_email).transpose()?;
            let password = read_password()?;
            let db = crate::connect(config).await?;
            let new = NewAdmin {
                username,
                password,
                role,
            };
            let admin = accounts::create_admin(&db, &tenant, new).await?;
            if email.is_some() {
                accounts::set_email(&db, admin.id, email).await?;
            }
            println!(
                "Created {} {:?} for tenant {:?}.",
                role.label().to_lowercase(),
                admin.username,
                tenant
            );
        }
    }
    Ok(())
}
