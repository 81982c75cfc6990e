//! The router: every path, the sign-in guard, and the layers around it
//! (sessions, CSRF origin check, security headers, compression, tracing,
//! request ids), outermost last.

use app::{
    account::routes as account_routes,
    api_tokens::routes as api_tokens_routes,
    auth::{guard, routes as auth_routes},
    deliveries::routes as deliveries_routes,
    delivery::ingest,
    event_url::routes as event_url_routes,
    members::routes as members_routes,
    password_reset::routes as password_reset_routes,
    paths,
    persistence::session_store::DbSessionStore,
    provider::routes as provider_routes,
    router_state::RouterState,
    setup::routes as setup_routes,
    state::AppState,
    test_event::routes as test_event_routes,
    two_factor::routes as two_factor_routes,
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
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use migrations::{Migrator, MigratorTrait};
use tower_http::{
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tower_sessions::SessionManagerLayer;

use crate::{assets, security};

/// The app's routes: pages, form posts, server functions, files.
pub fn router(state: RouterState) -> Router {
    let routes = generate_route_list(App);
    let context = state.context();
    let server_fns = {
        let context = context.clone();
        move |request| handle_server_fns_with_context(context.clone(), request)
    };
    Router::new()
        .route("/", get(|| async { Redirect::to(paths::HOME) }))
        .route(paths::HEALTHZ, get(|| async { "ok" }))
        .route(paths::READYZ, get(ready))
        .route(paths::LOGIN, post(auth_routes::login))
        .route(paths::LOGOUT, post(auth_routes::logout))
        .route(paths::SETUP, post(setup_routes::setup))
        .route(paths::EVENT_URL, post(event_url_routes::save_form))
        .route(paths::EVENT_URL_SWITCH, post(event_url_routes::switch_form))
        .route(
            paths::EVENT_URL_TEST_EVENT,
            post(test_event_routes::send_form),
        )
        .route(
            paths::EVENT_URL_DISCARD_HELD,
            post(event_url_routes::discard_held_form),
        )
        .route(
            paths::EVENT_URL_SIGNING_REVEAL,
            post(event_url_routes::reveal_signing_form),
        )
        .route(
            paths::EVENT_URL_SIGNING_ROTATE,
            post(event_url_routes::rotate_signing_form),
        )
        .route(paths::REDELIVER, post(deliveries_routes::redeliver_form))
        .route(paths::API_TOKENS, post(api_tokens_routes::create_form))
        .route(
            paths::API_TOKENS_REVOKE,
            post(api_tokens_routes::revoke_form),
        )
        .route(paths::MEMBERS_INVITE, post(members_routes::invite_form))
        .route(
            paths::MEMBERS_REVOKE_INVITATION,
            post(members_routes::revoke_invitation_form),
        )
        .route(paths::MEMBERS_ROLE, post(members_routes::role_form))
        .route(paths::MEMBERS_REMOVE, post(members_routes::remove_form))
        .route(paths::INVITATION, post(members_routes::accept_form))
        .route(paths::ACCOUNT_PASSWORD, post(account_routes::password_form))
        .route(paths::ACCOUNT_EMAIL, post(account_routes::email_form))
        .route(
            paths::ACCOUNT_EMAIL_CANCEL,
            post(account_routes::email_cancel_form),
        )
        .route(
            paths::EMAIL_CONFIRM,
            post(account_routes::email_confirm_form),
        )
        .route(
            paths::ACCOUNT_TWO_FACTOR_START,
            post(two_factor_routes::start_form),
        )
        .route(
            paths::ACCOUNT_TWO_FACTOR_CONFIRM,
            post(two_factor_routes::confirm_form),
        )
        .route(
            paths::ACCOUNT_TWO_FACTOR_OFF,
            post(two_factor_routes::off_form),
        )
        .route(
            paths::LOGIN_TWO_FACTOR,
            post(two_factor_routes::sign_in_code_form),
        )
        .route(
            paths::LOGIN_FORGOT,
            post(password_reset_routes::forgot_form),
        )
        .route(paths::PROVIDER_TENANTS, post(provider_routes::create_form))
        .route(
            paths::PROVIDER_ACCOUNT_PASSWORD,
            post(account_routes::password_form),
        )
        .route(
            paths::PROVIDER_TWO_FACTOR_START,
            post(two_factor_routes::start_form),
        )
        .route(
            paths::PROVIDER_TWO_FACTOR_CONFIRM,
            post(two_factor_routes::confirm_form),
        )
        .route(
            paths::PROVIDER_TWO_FACTOR_OFF,
            post(two_factor_routes::off_form),
        )
        .route(paths::PROVIDER_SUSPEND, post(provider_routes::suspend_form))
        .route(
            paths::PROVIDER_REACTIVATE,
            post(provider_routes::reactivate_form),
        )
        .route(paths::LOGIN_RESET, post(password_reset_routes::reset_form))
        .route(
            paths::MEMBERS_REQUIRE_TWO_FACTOR,
            post(members_routes::require_two_factor_form),
        )
        .route(
            paths::ACCOUNT_SIGN_OUT_OTHERS,
            post(account_routes::sign_out_others_form),
        )
        .route(paths::ACCOUNT_ALERTS, post(account_routes::alerts_form))
        .route(
            &format!("{}{{*fn_name}}", paths::RPC_PREFIX),
            get(server_fns.clone()).post(server_fns),
        )
        .nest_service(
            "/pkg",
            assets::routes(
                std::path::Path::new(state.leptos_options.site_root.as_ref()),
                state.leptos_options.hash_files,
            ),
        )
        .leptos_routes_with_context(&state, routes, context, {
            let shell = state.pages.view();
            move || shell()
        })
        .fallback(leptos_axum::file_and_error_handler::<RouterState, _>({
            let shell = state.pages.view();
            move |_| shell()
        }))
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            guard::require_sign_in,
        ))
        // Bigger bodies are refused (413) before any work: the app's forms
        // and calls are a few KB at most.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // The PBX's side: its own key, its own body limit, no session.
        .route(
            ingest::PATH,
            post(ingest::ingest)
                .layer(axum::extract::DefaultBodyLimit::max(ingest::MAX_BODY_BYTES))
                .layer(middleware::from_fn(ingest_body_limit)),
        )
        .route(paths::METRICS, get(app::delivery::routes::metrics))
        // The public REST API: API tokens, never the session's cookie.
        .nest("/api", app::rest::router())
        .with_state(state)
}

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

/// Ready when the database answers and every migration is applied.
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

/// An ingest body over its limit gets a JSON problem, as every ingest
/// error does (the length is checked before the body is read; a body
/// without a length is cut at the limit by the extractor's own check).
async fn ingest_body_limit(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > ingest::MAX_BODY_BYTES) {
        return ingest::too_large();
    }
    let response = next.run(request).await;
    // The body limit's own plain-text 413 (a body longer than it said);
    // ingest's own 413s ("at most 1,000 events") are problems already.
    let is_problem = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/problem+json");
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem {
        return ingest::too_large();
    }
    response
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The layers every request passes, innermost first.
pub fn with_layers(
    router: Router,
    sessions: SessionManagerLayer<DbSessionStore>,
    origins: security::AllowedOrigins,
    hsts: bool,
) -> Router {
    router
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            origins,
            security::refuse_foreign_origin,
        ))
        // HSTS when users reach the app over HTTPS (said by the settings:
        // TLS ends at the reverse proxy).
        .layer(middleware::from_fn_with_state(
            hsts,
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
        // Every request gets an id (or keeps the proxy's), which its log
        // lines carry and the response echoes.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Outermost: a client's id is kept only if it is a plain token.
        .layer(middleware::from_fn(drop_unfit_request_id))
}

/// Longest `X-Request-Id` kept from a client.
const MAX_REQUEST_ID_LEN: usize = 64;

/// Whether a client's `X-Request-Id` may stand for the request in logs:
/// 1 to 64 characters of `[A-Za-z0-9._-]` (nothing to quote, no terminal
/// escapes, no forged log fields).
fn fit_request_id(value: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Removes a client's `X-Request-Id` that is not fit (`fit_request_id`),
/// so the request gets an id of the server's own.
async fn drop_unfit_request_id(
    mut request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let headers = request.headers_mut();
    let unfit = headers
        .get_all("x-request-id")
        .iter()
        .any(|v| !fit_request_id(v.as_bytes()))
        || headers.get_all("x-request-id").iter().count() > 1;
    if unfit {
        headers.remove("x-request-id");
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::fit_request_id;

    #[test]
    fn a_request_id_is_kept_only_when_it_is_a_plain_token_of_1_to_64_characters() {
        for fit in ["req-from-proxy-42", "a", "A.b_c-9", &"x".repeat(64)] {
            assert!(fit_request_id(fit.as_bytes()), "{fit}");
        }
        let long = "x".repeat(65);
        for unfit in ["", "a b", "id\"quoted\"", "a=b", "é", "\u{1b}[31m", &long] {
            assert!(!fit_request_id(unfit.as_bytes()), "{unfit:?}");
        }
    }
}
