//! Rendering the app from a handler other than the router's own GET route:
//! a plain (no-JavaScript) form post that was refused shows its page again,
//! with what was typed and why (a `FormEcho`). The app itself (the shell)
//! sits above every feature, so the router hands it down as `Pages`.

use std::sync::Arc;

use axum::{body::Body, response::Response};
use http::{header, request::Parts, Method, Request};
use leptos::prelude::{provide_context, AnyView};

use crate::{error::AppError, form_echo::FormEcho};

/// How to render a page as the router does: the app's view, and what it
/// puts in each request's context. Built once by the router's state;
/// a handler takes it with `State<Pages>`.
#[derive(Clone)]
pub struct Pages {
    app: Arc<dyn Fn() -> AnyView + Send + Sync>,
    context: Arc<dyn Fn() + Send + Sync>,
}

impl Pages {
    pub fn new(
        app: impl Fn() -> AnyView + Send + Sync + 'static,
        context: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        Self {
            app: Arc::new(app),
            context: Arc::new(context),
        }
    }
}

impl Pages {
    /// The app's view, for the router's own page routes.
    pub fn view(&self) -> impl Fn() -> AnyView + Clone + Send + Sync + 'static {
        let app = Arc::clone(&self.app);
        move || app()
    }
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pages")
    }
}

/// Renders the page as its GET would, with `echo` in the context, keeping
/// the request's extensions (the signed-in administrator among them): the
/// page at `path`, or with `None` the one the form was posted to (with its
/// query, such as `?next=` or `?token=`). Answers 200: browsers report a
/// 4xx document as a console error, and the message is on the page.
pub async fn render_with_echo<T>(
    pages: &Pages,
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
    let context = Arc::clone(&pages.context);
    let app = Arc::clone(&pages.app);
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            context();
            provide_context(FormEcho(echo.clone()));
        },
        move || app(),
    );
    handler(request).await
}

/// A refused form post: a request the page could not have made as it is
/// (`BadRequest`) is answered 400 as text; anything else shows the page
/// again with `echo` built from the error.
pub async fn refused<T>(
    pages: &Pages,
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
    render_with_echo(pages, parts, path, echo(error)).await
}
