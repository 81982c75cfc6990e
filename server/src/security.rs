//! Refuses state-changing requests from foreign origins (CSRF), on top of
//! the `SameSite=Lax` session cookie.

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct AllowedOrigins {
    /// Configured public origin, e.g. `https://hooks.example.com`.
    pub public_origin: Option<Arc<str>>,
}

pub async fn refuse_foreign_origin(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same = match origin {
        Some(origin) => {
            let origin = origin.trim_end_matches('/');
            let own = host.is_some_and(|host| {
                origin
                    .split_once("://")
                    .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
            });
            own || allowed
                .public_origin
                .as_deref()
                .is_some_and(|p| p.trim_end_matches('/').eq_ignore_ascii_case(origin))
        }
        // No Origin: not a browser's cross-site request, unless the
        // browser says so through Fetch Metadata.
        None => !matches!(fetch_site, Some("cross-site") | Some("same-site")),
    };
    if same {
        next.run(request).await
    } else {
        tracing::warn!(
            origin = origin.unwrap_or("-"),
            "refused a request from a foreign origin"
        );
        (
            StatusCode::FORBIDDEN,
            "Refused: this request came from another site. Open eventurl directly and try again.",
        )
            .into_response()
    }
}
