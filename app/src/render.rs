//! Rendering the app from a handler other than the router's own GET route:
//! a plain (no-JavaScript) form post that was refused shows its page again,
//! with what was typed and why (a `FormEcho`).

use axum::{body::Body, response::Response};
use http::{header, request::Parts, Method, Request};
use leptos::prelude::provide_context;

use crate::{error::AppError, form_echo::FormEcho, shell, state::AppState};

/// Renders the page as its GET would, with `echo` in the context, keeping
/// the request's extensions (the signed-in administrator among them): the
/// page at `path`, or with `None` the one the form was posted to (with its
/// query, such as `?next=` or `?token=`). Answers 200: browsers report a
/// 4xx document as a console error, and the message is on the page.
pub async fn render_with_echo<T>(
    state: &AppState,
    mut parts: Parts,
    path: Option<&'static str>,
    echo: T,
) -> Response
where
    T: Clone + Send + Sync + 'static,
{
    parts.method = Method::GET;
    if let Some(path) = path {
        parts.uri = http::Uri::from_static(path);
    }
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let request = Request::from_parts(parts, Body::empty());
    let options = state.leptos_options.clone();
    let bundle = state.bundle.clone();
    let app_state = state.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(app_state.clone());
            provide_context(FormEcho(echo.clone()));
        },
        move || shell(options.clone(), bundle.clone()),
    );
    handler(request).await
}

/// A refused form post: a request the page could not have made as it is
/// (`BadRequest`) is answered 400 as text; anything else shows the page
/// again with `echo` built from the error.
pub async fn refused<T>(
    state: &AppState,
    parts: Parts,
    path: Option<&'static str>,
    error: AppError,
    echo: impl FnOnce(AppError) -> T,
) -> Response
where
    T: Clone + Send + Sync + 'static,
{
    if matches!(error, AppError::BadRequest(_)) {
        return error.into_plain_response();
    }
    tracing::info!(status = error.status().as_u16(), "form post refused");
    render_with_echo(state, parts, path, echo(error)).await
}
