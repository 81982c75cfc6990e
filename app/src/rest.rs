//! The public REST API under `/api/`: a tenant's settings over HTTP with
//! an API token (`Authorization: Bearer eut_…`; cookies are never read
//! here, so no cross-site request can ride on a browser's session).
//! Errors are RFC 9457 problem documents. The same services as the tab do
//! the work, with the same rules, versions and activity entries.
//!
//! - `/api/v1/event-url[/{cdr|extension}[/pause|/enable]]`: this product's
//!   own resources, versioned by `ETag` / `If-Match`.
//! - `/api/v1/activity`, `/api/v1/deliveries[/{id}[/redeliver]]`: the
//!   Activity and Deliveries tabs, with their filters and pages.
//! - `/api/tenant`: PortSIP's own `cdr_event` / `extension_event` objects,
//!   so a script written for PortSIP works unchanged for these fields.
//! - `/api/v1/openapi.json`: the OpenAPI 3.1 document, derived from the
//!   handlers and types here.

mod activity;
mod caller;
mod deliveries;
mod event_url;
pub mod limit;
pub mod openapi;
mod portsip;
mod problem;
mod signing;

use axum::{
    extract::FromRef,
    routing::{get, post},
    Router,
};

use crate::state::AppState;

pub use limit::ApiLimiter;
pub use problem::Problem;

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API's routes, to be nested under `/api`.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
    ApiLimiter: FromRef<S>,
    crate::delivery::DeliveryCore: FromRef<S>,
{
    Router::new()
        .route("/v1/openapi.json", get(openapi::document))
        .route("/v1/event-url", get(event_url::both))
        .route(
            "/v1/event-url/{section}",
            get(event_url::one).put(event_url::replace),
        )
        .route("/v1/event-url/{section}/pause", post(event_url::pause))
        .route("/v1/event-url/{section}/enable", post(event_url::enable))
        .route(
            "/v1/event-url/{section}/test-event",
            post(event_url::test_event),
        )
        .route("/v1/event-url/{section}/signing-secret", get(signing::read))
        .route(
            "/v1/event-url/{section}/signing-secret/rotate",
            post(signing::rotate),
        )
        .route("/v1/activity", get(activity::list))
        .route("/v1/deliveries", get(deliveries::list))
        .route("/v1/deliveries/{id}", get(deliveries::one))
        .route("/v1/deliveries/{id}/redeliver", post(deliveries::redeliver))
        .route("/v1/deliveries/redeliver", post(deliveries::replay))
        .route("/v1/replays/{id}", get(deliveries::replay_progress))
        .route("/tenant", get(portsip::read).post(portsip::update))
        .fallback(problem::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(
            problem::every_error_a_problem,
        ))
}
