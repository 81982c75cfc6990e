//! Start-up: the database, the key, the HTTP sender and the first-run
//! gate, then the app state, the session layer and the router, bound to
//! its port.

use anyhow::Context;
use app::{
    accounts,
    auth::password::HashingPool,
    delivery::DeliveryCore,
    persistence::{session_store::DbSessionStore, write_gate::WriteGate},
    router_state::RouterState,
    sender::TargetPolicy,
    setup::SetupGate,
    state::{AppConfig, AppState, Shared},
    test_event::service::sender_for,
};
use axum::Router;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::{net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

use crate::{
    assets,
    cleanup::hourly_cleanup,
    config::Config,
    database::{connect, load_cipher},
    routes, security,
};

/// A server bound to its port, ready to serve.
pub struct Prepared {
    pub(crate) listener: TcpListener,
    pub(crate) router: Router,
    pub addr: SocketAddr,
    /// Present when the database has no tenant yet: the first-run link's token.
    pub setup_token: Option<String>,
    pub db: DatabaseConnection,
    pub(crate) state: AppState,
    pub(crate) core: DeliveryCore,
    /// The delivery workers' settings; `None` with `--no-deliver`.
    pub(crate) delivery: Option<app::delivery::DeliveryConfig>,
}

/// Shortest `EVENTURL_METRICS_TOKEN` accepted: 32 characters (about 190
/// bits when random), so that it cannot be guessed over the network.
const MIN_METRICS_TOKEN_CHARS: usize = 32;

/// The metrics token, if set; a short one stops the start (it guards the
/// queue's figures, and one guess per request is all an attacker needs).
fn metrics_token(config: &Config) -> anyhow::Result<Option<String>> {
    let Some(token) = config
        .metrics_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    if token.chars().count() < MIN_METRICS_TOKEN_CHARS {
        anyhow::bail!(
            "EVENTURL_METRICS_TOKEN is {} characters long: use at least {MIN_METRICS_TOKEN_CHARS} random ones (e.g. `openssl rand -hex 32`)",
            token.chars().count()
        );
    }
    Ok(Some(token.to_owned()))
}

pub async fn prepare(config: Config) -> anyhow::Result<Prepared> {
    let metrics_token = metrics_token(&config)?;
    let db = connect(&config).await?;
    let cipher = load_cipher(&config)?;
    cipher.verify_against(&db).await?;
    // Endpoints made before signing existed get their signing secret (the
    // key is the server's, so this is the migration's second half).
    let given = app::persistence::signing::give_missing(&db, &cipher).await?;
    if given > 0 {
        tracing::info!(
            endpoints = given,
            "gave endpoints their Standard Webhooks signing secrets"
        );
    }

    let policy = TargetPolicy::from_allow_list(&config.allow_private_targets)?;
    if !policy.allowed_ranges().is_empty() {
        let ranges: Vec<String> = policy
            .allowed_ranges()
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::info!(ranges = %ranges.join(","), "test events may reach these private ranges");
    }
    let sender = sender_for(policy).context("building the HTTP client for test events")?;

    let setup = SetupGate::default();
    let setup_token = if accounts::tenant_count(&db).await? == 0 {
        Some(setup.open())
    } else {
        None
    };

    let listener = TcpListener::bind(config.site_addr)
        .await
        .with_context(|| format!("LEPTOS_SITE_ADDR: cannot listen on {}", config.site_addr))?;
    let addr = listener.local_addr()?;

    let hash_file = assets::hash_file(std::path::Path::new(&config.site_root));
    assets::check_bundle(
        std::path::Path::new(&config.site_root),
        hash_file.as_deref(),
    )?;
    let leptos_options = LeptosOptions::builder()
        .output_name("eventurl")
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .hash_files(hash_file.is_some())
        .hash_file(Arc::from(
            hash_file
                .as_deref()
                .map_or("hash.txt".into(), |path| path.to_string_lossy()),
        ))
        .site_addr(addr)
        .build();
    let outbox = mail(&config, &db, &cipher, addr)?;
    let writes = Arc::new(WriteGate::for_backend(db.get_database_backend()));
    let core = DeliveryCore::start(
        db.clone(),
        Arc::clone(&writes),
        config.health(),
        outbox.clone(),
        config.ingest_events_per_second,
    );
    let state = AppState::new(Shared {
        db: db.clone(),
        outbox,
        writes,
        cipher,
        sender,
        hashing: HashingPool::for_this_machine(),
        config: AppConfig {
            test_events_per_minute: config.test_events_per_minute,
            client_ip_header: config
                .client_ip_header
                .as_deref()
                .filter(|h| !h.trim().is_empty())
                .map(|h| http::HeaderName::from_bytes(h.trim().as_bytes()))
                .transpose()
                .context("EVENTURL_CLIENT_IP_HEADER is not a header name")?,
            metrics_token,
            operator_two_factor_required: config.operator_two_factor
                == crate::config::OperatorTwoFactor::Required,
        },
    });
    let bundle = app::BundleNames::new(
        "eventurl",
        hash_file
            .as_deref()
            .map(std::fs::read_to_string)
            .transpose()
            .context("reading the bundle's hash.txt")?
            .as_deref(),
    );

    let store = DbSessionStore::new(db.clone());
    tokio::spawn(hourly_cleanup(store.clone(), db.clone()));
    let sessions = SessionManagerLayer::new(store)
        .with_name("eventurl_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookie())
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(
            config.session_idle_minutes,
        ))));
    let origins = security::AllowedOrigins {
        public_origin: config.public_origin.as_deref().map(Arc::from),
        own_scheme: if config.secure_cookie() {
            "https"
        } else {
            "http"
        },
    };

    let router = routes::with_layers(
        routes::router(RouterState::new(
            state.clone(),
            core.clone(),
            app::rest::ApiLimiter::per_minute(config.api_requests_per_minute),
            setup,
            leptos_options,
            bundle,
        )),
        sessions,
        origins,
        config.secure_cookie(),
    );

    if let Some(token) = &setup_token {
        tracing::warn!(
            "first run: no tenant exists yet. Open http://{addr}/setup?token={token} to create the first tenant and its administrator (the link works once), or use `eventurl tenant create` and `eventurl admin create`"
        );
    }
    Ok(Prepared {
        listener,
        router,
        addr,
        setup_token,
        db,
        state,
        core,
        delivery: (!config.no_deliver).then(|| config.delivery()),
    })
}

/// With EVENTURL_SMTP_URL: mail on, its worker started (sending what any
/// instance queued); links point at EVENTURL_PUBLIC_ORIGIN, which must be
/// set unless this server listens on loopback only (a developer's
/// machine: links then point at its own address). TLS is as the URL says
/// (lettre's rules: `smtp://` plain, `?tls=opportunistic` or `required`
/// for STARTTLS, `smtps://`); plain is warned of. Without: mail off.
fn mail(
    config: &Config,
    db: &DatabaseConnection,
    cipher: &app::persistence::crypto::SecretCipher,
    addr: SocketAddr,
) -> anyhow::Result<app::mail::Outbox> {
    let Some(url) = config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return Ok(app::mail::Outbox::off());
    };
    let url = url.trim();
    if url.starts_with("smtp://") && !url.contains("tls=") {
        tracing::warn!(
            "EVENTURL_SMTP_URL sends in the clear (reset links included): add ?tls=required (or use smtps://) unless the SMTP server is on this host or a trusted network"
        );
    }
    let transport = app::mail::transport::MailTransport::new(url, &config.smtp_from)?;
    let origin = match config
        .public_origin
        .as_deref()
        .filter(|o| !o.trim().is_empty())
    {
        Some(origin) => origin.trim().to_owned(),
        None if addr.ip().is_loopback() => {
            tracing::warn!(
                "EVENTURL_SMTP_URL is set without EVENTURL_PUBLIC_ORIGIN: links in letters point at http://{addr}"
            );
            format!("http://{addr}")
        }
        None => anyhow::bail!(
            "EVENTURL_SMTP_URL needs EVENTURL_PUBLIC_ORIGIN (the address users reach this server at): letters carry links"
        ),
    };
    tokio::spawn(app::mail::outbox::run(
        db.clone(),
        cipher.clone(),
        transport,
    ));
    tracing::info!(from = %config.smtp_from, "email on");
    Ok(app::mail::Outbox::on(cipher.clone(), &origin))
}
