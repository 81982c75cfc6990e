//! The `eventurl` server: configuration, start-up (database, migrations,
//! encryption key, first-run setup) and the HTTP router around the Leptos
//! app. Feature code lives in the `app` crate; this crate wires it up.

pub mod assets;
pub mod cli;
pub mod config;
mod security;

use anyhow::Context;
use app::{
    accounts,
    auth::{routes as auth_routes, HOME},
    delivery::TargetPolicy,
    event_url::routes as event_url_routes,
    persistence::{crypto::SecretCipher, read_cache::Freshness, session_store::DbSessionStore},
    setup::{routes as setup_routes, SetupGate},
    shell,
    state::AppState,
    test_event::{routes as test_event_routes, service::delivery_for},
    App,
};
use axum::{
    extract::State,
    http::StatusCode,
    middleware,
    response::{IntoResponse, Redirect},
    routing::{get, post},
    Router,
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use secrecy::SecretString;
use std::{future::IntoFuture, net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tower_sessions::{cookie::SameSite, ExpiredDeletion, Expiry, SessionManagerLayer};

pub use config::Config;

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
                .busy_timeout(Duration::from_secs(5))
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

/// A server bound to its port, ready to serve.
pub struct Prepared {
    listener: TcpListener,
    router: Router,
    pub addr: SocketAddr,
    /// Present when the database has no tenant yet: the first-run link's token.
    pub setup_token: Option<String>,
    pub db: DatabaseConnection,
}

pub async fn prepare(config: Config) -> anyhow::Result<Prepared> {
    let db = connect(&config).await?;
    let cipher = load_cipher(&config)?;
    cipher.verify_against(&db).await?;

    let policy = TargetPolicy::from_allow_list(&config.allow_private_targets)?;
    if !policy.allowed_ranges().is_empty() {
        let ranges: Vec<String> = policy
            .allowed_ranges()
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::info!(ranges = %ranges.join(","), "test events may reach these private ranges");
    }
    let delivery = delivery_for(policy).context("building the HTTP client for test events")?;

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
    let freshness = Freshness::millis(config.read_cache_ms);
    let state = AppState::new(app::state::Shared {
        db: db.clone(),
        cipher,
        setup,
        hashing: app::auth::password::HashingPool::for_this_machine(),
        delivery,
        test_events_per_minute: config.test_events_per_minute,
        client_ip_header: config
            .client_ip_header
            .as_deref()
            .filter(|h| !h.trim().is_empty())
            .map(|h| http::HeaderName::from_bytes(h.trim().as_bytes()))
            .transpose()
            .context("EVENTURL_CLIENT_IP_HEADER is not a header name")?,
        leptos_options,
        admins: app::auth::session::admin_cache(freshness),
        settings: app::event_url::service::settings_cache(freshness),
    });

    let store = DbSessionStore::new(db.clone(), freshness);
    tokio::spawn(delete_expired_sessions(store.clone()));
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
    };

    let router = router(state)
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            origins,
            security::refuse_foreign_origin,
        ))
        // HSTS when users reach the app over HTTPS (said by the settings:
        // TLS ends at the reverse proxy).
        .layer(middleware::from_fn_with_state(
            config.secure_cookie(),
            security::security_headers,
        ))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .on_failure(()),
        )
        // Outermost: every request gets an id (or keeps the proxy's), which
        // its log lines carry and the response echoes.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));

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
    })
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let server_fns = {
        let context = context.clone();
        move |request| handle_server_fns_with_context(context.clone(), request)
    };
    Router::new()
        .route("/", get(|| async { Redirect::to(HOME) }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/login", post(auth_routes::login))
        .route("/logout", post(auth_routes::logout))
        .route("/setup", post(setup_routes::setup))
        .route("/company/event-url", post(event_url_routes::save_form))
        .route(
            "/company/event-url/delivery",
            post(event_url_routes::delivery_form),
        )
        .route(
            "/company/event-url/test-event",
            post(test_event_routes::send_form),
        )
        .route("/api/{*fn_name}", get(server_fns.clone()).post(server_fns))
        .nest_service(
            "/pkg",
            assets::routes(
                std::path::Path::new(state.leptos_options.site_root.as_ref()),
                state.leptos_options.hash_files,
            ),
        )
        .leptos_routes_with_context(&state, routes, context, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            app::event_url::page_cache::serve_kept,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth_routes::require_sign_in,
        ))
        .with_state(state)
}

/// Ready when the database answers and every migration is applied.
/// The span around each request: its id, method and path (no query
/// string, which may carry a receiver's token).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %request.uri().path()
    )
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if let Err(e) = state.db.ping().await {
        tracing::warn!(error = %e, "readiness check: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
    }
    match Migrator::get_pending_migrations(&state.db).await {
        Ok(pending) if pending.is_empty() => (StatusCode::OK, "ready"),
        Ok(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database migrations pending",
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: cannot read migrations");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

impl Prepared {
    /// Serves until SIGINT/SIGTERM, then stops accepting, lets requests in
    /// flight finish for up to `grace`, and closes the database pool.
    pub async fn serve(self, grace: Duration) -> anyhow::Result<()> {
        tracing::info!(addr = %self.addr, "eventurl is listening");
        let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
        let server = axum::serve(
            without_nagle(self.listener),
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stopping_tx.send(true);
        })
        .into_future();
        let deadline = async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            served = server => served.context("serving HTTP")?,
            () = deadline => tracing::warn!(
                grace_secs = grace.as_secs(),
                "requests still running after the grace period; stopping anyway"
            ),
        }
        self.db.close().await.context("closing the database")?;
        tracing::info!("eventurl stopped");
        Ok(())
    }

    /// Serves in the background (for tests); returns the address.
    pub fn spawn(self) -> SocketAddr {
        let addr = self.addr;
        tokio::spawn(async move {
            let _ = axum::serve(
                without_nagle(self.listener),
                self.router
                    .into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        addr
    }
}

/// Accepted connections send each write at once: with Nagle's algorithm
/// a response written in more than one piece (a file, a streamed body)
/// waited for the client's delayed ACK, 40 ms a response.
fn without_nagle(
    listener: TcpListener,
) -> axum::serve::TapIo<TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn no_delay(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    }
    listener.tap_io(no_delay as fn(&mut tokio::net::TcpStream))
}

/// Hourly clean-up of expired sessions; a failure is logged and retried
/// at the next tick instead of ending the task.
async fn delete_expired_sessions(store: DbSessionStore) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
