//! Opening the database (SQLite or PostgreSQL, from `DATABASE_URL`) with
//! its migrations applied, and the key that encrypts stored secrets.

use anyhow::Context;
use app::persistence::crypto::SecretCipher;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use secrecy::SecretString;
use std::time::Duration;

use crate::config::{self, Config};

/// Connects (SQLite or PostgreSQL, from the URL) and applies migrations. A
/// PostgreSQL server that does not answer yet is retried with backoff for
/// `EVENTURL_DB_START_TIMEOUT_SECS`; a SQLite file that cannot be opened
/// fails at once.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url()?;
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(config.db_max_connections)
        .connect_timeout(Duration::from_secs(config.db_connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(config.db_acquire_timeout_secs))
        // A connection cut by the server is noticed before use and replaced
        // (PostgreSQL; an SQLite file cannot be cut, and the ping would cost
        // a round trip to its worker thread on every query).
        .test_before_acquire(!url.starts_with("sqlite:"))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                // The server's writes wait for each other in the process
                // (the write gate); a lock is met only beside another
                // process (the command line, run while the server writes).
                // On a machine whose disk is busy a commit's fsync can take
                // seconds: the CLI failed with "database is locked" after
                // 5 s under CI's parallel builds, so it waits longer.
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    let retry_for = if url.starts_with("sqlite:") {
        Duration::ZERO
    } else {
        Duration::from_secs(config.db_start_timeout_secs)
    };
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    let mut attempt = 1u32;
    let db = loop {
        match Database::connect(options.clone()).await {
            Ok(db) => break db,
            Err(e) if started.elapsed() + delay < retry_for => {
                tracing::warn!(
                    attempt,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %e,
                    database = %config::redact_url(&url),
                    "database not reachable yet; retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(e) => {
                let tried = if retry_for.is_zero() {
                    String::new()
                } else {
                    format!(
                        " (tried {attempt} times over {} s; EVENTURL_DB_START_TIMEOUT_SECS sets how long)",
                        started.elapsed().as_secs()
                    )
                };
                return Err(anyhow::Error::new(e).context(format!(
                    "DATABASE_URL: cannot open the database at {}{tried}",
                    config::redact_url(&url)
                )));
            }
        }
    };
    Migrator::up(&db, None)
        .await
        .context("applying database migrations")?;
    Ok(db)
}

/// The secret-encryption key from `EVENTURL_SECRET_KEY` or the key file.
pub fn load_cipher(config: &Config) -> anyhow::Result<SecretCipher> {
    match &config.secret_key {
        Some(key) => SecretCipher::from_base64(&SecretString::from(key.clone()))
            .context("EVENTURL_SECRET_KEY is not usable"),
        None => SecretCipher::from_key_file(&config.data_dir.join("secret.key")),
    }
}
