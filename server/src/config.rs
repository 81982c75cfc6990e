//! Settings, from environment variables (or the same-named flags). Bad
//! values stop the server at start with a message naming the setting.

use clap::{builder::BoolishValueParser, Args, ValueEnum};
use std::{net::SocketAddr, path::PathBuf};

#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: the
    /// SQLite file `eventurl.db` in the data folder, created when missing.
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Address and port the web app listens on.
    #[arg(
        long,
        env = "LEPTOS_SITE_ADDR",
        value_name = "LEPTOS_SITE_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub site_addr: SocketAddr,

    /// Folder for the default SQLite database and the generated key file.
    #[arg(
        long,
        env = "EVENTURL_DATA_DIR",
        value_name = "EVENTURL_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Key that encrypts stored webhook secrets: base64 of 32 random bytes
    /// (`openssl rand -base64 32`). Prefer the environment variable. When
    /// unset, the key file `secret.key` in the data folder is used, and
    /// created on first start.
    #[arg(
        long,
        env = "EVENTURL_SECRET_KEY",
        value_name = "EVENTURL_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<String>,

    /// Mark the session cookie `Secure` (set this when users reach the app
    /// over HTTPS; implied by an `https://` EVENTURL_PUBLIC_ORIGIN).
    #[arg(long, env = "EVENTURL_SECURE_COOKIE", value_name = "EVENTURL_SECURE_COOKIE", value_parser = BoolishValueParser::new(), default_value = "false", global = true)]
    pub secure_cookie: bool,

    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "EVENTURL_SESSION_IDLE_MINUTES", value_name = "EVENTURL_SESSION_IDLE_MINUTES", default_value_t = 480, value_parser = clap::value_parser!(u32).range(1..=10080), global = true)]
    pub session_idle_minutes: u32,

    /// The origin users reach the app at through a reverse proxy (e.g.
    /// `https://pbx-hooks.example.com`), accepted for form posts besides the
    /// request's own host.
    #[arg(
        long,
        env = "EVENTURL_PUBLIC_ORIGIN",
        value_name = "EVENTURL_PUBLIC_ORIGIN",
        global = true
    )]
    pub public_origin: Option<String>,

    /// Folder with the built site (`pkg/` with wasm, JS and CSS).
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        value_name = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: String,

    /// Address ranges that test events may reach although they are private,
    /// loopback or otherwise not public: comma-separated CIDRs such as
    /// `10.20.0.0/16,fd00::/8`, for on-premises PBXs whose receivers are on
    /// the LAN. Empty: public addresses only.
    #[arg(
        long,
        env = "EVENTURL_ALLOW_PRIVATE_TARGETS",
        value_name = "EVENTURL_ALLOW_PRIVATE_TARGETS",
        default_value = "",
        global = true
    )]
    pub allow_private_targets: String,

    /// Behind a reverse proxy: the request header in which it passes the
    /// client's address (e.g. `X-Forwarded-For`; its last entry is used),
    /// for sign-in throttling per address. Unset: the connection's address.
    #[arg(
        long,
        env = "EVENTURL_CLIENT_IP_HEADER",
        value_name = "EVENTURL_CLIENT_IP_HEADER",
        global = true
    )]
    pub client_ip_header: Option<String>,

    /// Test events each tenant may send per minute.
    #[arg(long, env = "EVENTURL_TEST_EVENTS_PER_MINUTE", value_name = "EVENTURL_TEST_EVENTS_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10000), global = true)]
    pub test_events_per_minute: u32,

    /// Requests each REST API token may make per minute (on each instance),
    /// in bursts of as many; over it, 429 with Retry-After.
    #[arg(long, env = "EVENTURL_API_REQUESTS_PER_MINUTE", value_name = "EVENTURL_API_REQUESTS_PER_MINUTE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=1_000_000), global = true)]
    pub api_requests_per_minute: u32,

    /// Events each ingest key may hand in per second (on each instance; a
    /// batch counts as its events), in bursts of a second's worth or one
    /// full batch; over it, 429 with Retry-After and nothing stored.
    #[arg(long, env = "EVENTURL_INGEST_EVENTS_PER_SECOND", value_name = "EVENTURL_INGEST_EVENTS_PER_SECOND", default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000), global = true)]
    pub ingest_events_per_second: u32,

    /// Seconds a request waits for a free database connection before it is
    /// answered "unavailable".
    #[arg(long, env = "EVENTURL_DB_ACQUIRE_TIMEOUT_SECS", value_name = "EVENTURL_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600), global = true)]
    pub db_acquire_timeout_secs: u64,

    /// Seconds one attempt to open a database connection may take.
    #[arg(long, env = "EVENTURL_DB_CONNECT_TIMEOUT_SECS", value_name = "EVENTURL_DB_CONNECT_TIMEOUT_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600), global = true)]
    pub db_connect_timeout_secs: u64,

    /// Seconds start-up keeps retrying (with backoff) a PostgreSQL server
    /// that does not answer yet, before giving up with an error.
    #[arg(long, env = "EVENTURL_DB_START_TIMEOUT_SECS", value_name = "EVENTURL_DB_START_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600), global = true)]
    pub db_start_timeout_secs: u64,

    /// Log format on stderr: `human` (one readable line per event) or
    /// `json` (one JSON object per line, for log collectors).
    #[arg(long, env = "EVENTURL_LOG_FORMAT", value_name = "EVENTURL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,

    /// On SIGTERM/SIGINT: seconds requests in flight may take to finish
    /// before the server stops anyway.
    #[arg(long, env = "EVENTURL_SHUTDOWN_GRACE_SECS", value_name = "EVENTURL_SHUTDOWN_GRACE_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=600), global = true)]
    pub shutdown_grace_secs: u64,

    /// Waits before each retry of a failed delivery (after the last, the
    /// event is given up): PortSIP's schedule by default.
    #[arg(
        long,
        env = "EVENTURL_RETRY_SCHEDULE",
        value_name = "EVENTURL_RETRY_SCHEDULE",
        default_value = "15s,1m,3m,8m,15m",
        global = true
    )]
    pub retry_schedule: app::delivery::RetrySchedule,

    /// The most delivery attempts in flight at once per endpoint, whatever
    /// its section's own "max concurrent requests" (1–64) says.
    #[arg(long, env = "EVENTURL_MAX_IN_FLIGHT_PER_ENDPOINT", value_name = "EVENTURL_MAX_IN_FLIGHT_PER_ENDPOINT", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    pub max_in_flight_per_endpoint: u32,

    /// Days delivered, given-up and skipped events are kept.
    #[arg(long, env = "EVENTURL_DELIVERY_RETENTION_DAYS", value_name = "EVENTURL_DELIVERY_RETENTION_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3650), global = true)]
    pub delivery_retention_days: u32,

    /// Seconds a worker's claim on an event lasts: an attempt cut short by
    /// a crash is made again after it.
    #[arg(long, env = "EVENTURL_DELIVERY_LEASE_SECS", value_name = "EVENTURL_DELIVERY_LEASE_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(11..=3600), global = true)]
    pub delivery_lease_secs: u64,

    /// Serve the web app without delivering events (run `eventurl deliver`
    /// elsewhere to deliver).
    #[arg(long = "no-deliver", env = "EVENTURL_NO_DELIVER", action = clap::ArgAction::SetTrue, value_parser = BoolishValueParser::new(), global = true)]
    pub no_deliver: bool,

    /// Serve `GET /metrics` (Prometheus) to requests with
    /// `Authorization: Bearer <this token>`; unset: not served.
    #[arg(
        long,
        env = "EVENTURL_METRICS_TOKEN",
        value_name = "EVENTURL_METRICS_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub metrics_token: Option<String>,

    /// `required`: every provider operator must have two-factor sign-in;
    /// one without it is sent to set it up (My account) before anything
    /// else. `optional`: each operator chooses.
    #[arg(long = "operator-2fa", env = "EVENTURL_OPERATOR_2FA", value_name = "EVENTURL_OPERATOR_2FA", value_enum, default_value_t = OperatorTwoFactor::Optional, global = true)]
    pub operator_two_factor: OperatorTwoFactor,

    /// Given-up events in a row that pause a section automatically (its
    /// admin enables it again); 0: never.
    #[arg(long, env = "EVENTURL_AUTO_PAUSE_AFTER", value_name = "EVENTURL_AUTO_PAUSE_AFTER", default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=1_000_000), global = true)]
    pub auto_pause_after: u32,

    /// Failed delivery attempts in a row that flag a section as failing
    /// (a banner on every page of its tenant); 0: never.
    #[arg(long, env = "EVENTURL_FAILING_AFTER", value_name = "EVENTURL_FAILING_AFTER", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=1_000_000), global = true)]
    pub failing_after: u32,

    /// Seconds a section's attempts must have failed, nothing delivered,
    /// before its administrators are emailed (and Activity records it);
    /// at most one alert email a section an hour.
    #[arg(long, env = "EVENTURL_ALERT_AFTER_SECONDS", value_name = "EVENTURL_ALERT_AFTER_SECONDS", default_value_t = 900, value_parser = clap::value_parser!(u32).range(1..=86_400), global = true)]
    pub alert_after_seconds: u32,

    /// Send email (invitations, password reset links, notices to
    /// administrators) through this SMTP server:
    /// `smtp://user:password@host:587?tls=required` (STARTTLS),
    /// `smtps://host:465`, or `smtp://host:25` (plain: a relay on this
    /// host). Unset: no email; reset links are not offered. Links in
    /// letters use EVENTURL_PUBLIC_ORIGIN, which must then be set unless
    /// the server listens on loopback only.
    #[arg(
        long,
        env = "EVENTURL_SMTP_URL",
        value_name = "EVENTURL_SMTP_URL",
        hide_env_values = true,
        global = true
    )]
    pub smtp_url: Option<String>,

    /// The sender of eventurl's letters.
    #[arg(
        long,
        env = "EVENTURL_SMTP_FROM",
        value_name = "EVENTURL_SMTP_FROM",
        default_value = "eventurl <eventurl@localhost>",
        global = true
    )]
    pub smtp_from: String,

    /// Database connection pool size.
    #[arg(long, env = "EVENTURL_DB_MAX_CONNECTIONS", value_name = "EVENTURL_DB_MAX_CONNECTIONS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    pub db_max_connections: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OperatorTwoFactor {
    Optional,
    Required,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

impl Config {
    /// When a section is flagged as failing, and paused.
    pub fn health(&self) -> app::delivery::health::HealthRules {
        app::delivery::health::HealthRules {
            failing_after: self.failing_after,
            auto_pause_after: self.auto_pause_after,
            alert_after: time::Duration::seconds(self.alert_after_seconds.into()),
        }
    }

    /// The delivery workers' settings.
    pub fn delivery(&self) -> app::delivery::DeliveryConfig {
        app::delivery::DeliveryConfig {
            schedule: self.retry_schedule.clone(),
            max_in_flight_per_endpoint: usize::try_from(self.max_in_flight_per_endpoint)
                .unwrap_or(8),
            lease: std::time::Duration::from_secs(self.delivery_lease_secs),
            retention: std::time::Duration::from_secs(
                u64::from(self.delivery_retention_days) * 24 * 3600,
            ),
            ..Default::default()
        }
    }

    /// `Secure` cookies when configured, or when the public origin is HTTPS.
    pub fn secure_cookie(&self) -> bool {
        self.secure_cookie
            || self
                .public_origin
                .as_deref()
                .is_some_and(|origin| origin.starts_with("https://"))
    }

    /// The database URL, defaulting to a SQLite file in the data folder.
    /// SQLite files (and their folder) are created when missing.
    pub fn database_url(&self) -> anyhow::Result<String> {
        let url = match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => format!("sqlite://{}", self.data_dir.join("eventurl.db").display()),
        };
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Ok(url);
            }
            let file = PathBuf::from(path);
            app::persistence::private_files::prepare_sqlite(&file).map_err(|e| {
                anyhow::anyhow!(
                    "DATABASE_URL: cannot create or secure the database file {}: {e}",
                    file.display()
                )
            })?;
            if !url.contains("mode=") {
                let sep = if url.contains('?') { '&' } else { '?' };
                return Ok(format!("{url}{sep}mode=rwc"));
            }
            Ok(url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(url)
        } else {
            anyhow::bail!(
                "DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
                redact_url(&url)
            )
        }
    }
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
