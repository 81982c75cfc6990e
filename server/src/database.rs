//! Opening the database (SQLite or PostgreSQL, from `DATABASE_URL`) with
//! its migrations applied, and the key that encrypts stored secrets.

use anyhow::Context;
use app::persistence::crypto::SecretCipher;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use secrecy::SecretString;
use std::time::Duration;

use crate::config::{self, Config};

/// How long a SQLite connection serves before it is replaced (the renewals
/// do not show in the page's p99: README, "Patched, and why"): the bound on
/// a connection whose worker thread died, since it is not tested when
/// released.
const SQLITE_CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

/// Connects (SQLite or PostgreSQL, from the URL) and applies migrations. A
/// PostgreSQL server that does not answer yet is retried with backoff for
/// `EVENTURL_DB_START_TIMEOUT_SECS`; a SQLite file that cannot be opened
/// fails at once.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url()?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
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
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        })
        // A released SQLite connection goes straight back to the pool,
        // without sqlx's test on release (a ping: a task spawned and a round
        // trip to the connection's worker thread after every query); one in
        // a transaction (a dropped one's rollback queued) is still tested.
        // The worker runs commands in order, so nothing a cancelled query
        // left reaches the next user. A connection whose worker thread died,
        // which that ping caught, leaves at its lifetime's end instead.
        // vendor/sqlx-core/PATCHED.md says why; PostgreSQL keeps the test.
        .map_sqlx_sqlite_pool_opts(move |pool| {
            let pool = pool.test_on_release(false);
            // An in-memory database would vanish with its last connection:
            // it keeps sqlx's default lifetime (30 minutes).
            if in_memory {
                pool
            } else {
                pool.max_lifetime(SQLITE_CONNECTION_LIFETIME)
            }
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
