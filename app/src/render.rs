//! Rendering the app from a handler other than the router's own GET route:
//! a plain form post that failed shows its page again, with a `FormEcho`.

use axum::{body::Body, response::Response};
use http::{header, request::Parts, Method, Request};
use leptos::prelude::provide_context;

use crate::{shell, state::AppState};

/// Renders the page at `parts.uri` as its GET would, with `extra_context`
/// provided, keeping the request's extensions (the session among them).
pub async fn render_page(
    state: &AppState,
    mut parts: Parts,
    extra_context: impl Fn() + Clone + Send + Sync + 'static,
) -> Response {
    parts.method = Method::GET;
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let request = Request::from_parts(parts, Body::empty());
    let options = state.leptos_options.clone();
    let app_state = state.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(app_state.clone());
            extra_context();
        },
        move || shell(options.clone()),
    );
    handler(request).await
}
