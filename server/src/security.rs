//! Refuses state-changing requests from foreign origins (CSRF), on top of
//! the `SameSite=Lax` session cookie; security headers on every response.

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::sync::Arc;

/// Which `Origin` a state-changing request may carry: the request's own
/// host under the scheme users reach the app by, or the configured public
/// origin. Scheme, host and port all count: `https://host` is another
/// origin than `http://host`.
#[derive(Clone, Debug)]
pub struct AllowedOrigins {
    /// Configured public origin, e.g. `https://hooks.example.com`.
    pub public_origin: Option<Arc<str>>,
    /// `https` behind a TLS-terminating proxy (said by an `https://`
    /// public origin or `EVENTURL_SECURE_COOKIE`), else `http`.
    pub own_scheme: &'static str,
}

impl AllowedOrigins {
    /// With a public origin configured, only it: the request's `Host` is
    /// then not trusted (a rebound DNS name would carry any host).
    fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/');
        if let Some(public) = self.public_origin.as_deref() {
            return public.trim_end_matches('/').eq_ignore_ascii_case(origin);
        }
        let own = host.is_some_and(|host| {
            origin.split_once("://").is_some_and(|(scheme, authority)| {
                scheme.eq_ignore_ascii_case(self.own_scheme) && authority.eq_ignore_ascii_case(host)
            })
        });
        own
    }
}

pub async fn refuse_foreign_origin(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    // Safe methods change nothing; the REST API (`/api/`) authenticates
    // by its bearer token only, never by a cookie a browser would attach
    // to a cross-site request, so a foreign origin can do nothing there.
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request.uri().path().starts_with("/api/")
    {
        return next.run(request).await;
    }
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same = match origin {
        Some(origin) => allowed.allows(origin, host),
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

/// Headers every response carries. Pages set their own nonce-based
/// Content-Security-Policy (see `app::page_security_policy`); anything else
/// (JSON, files, errors) gets one that allows nothing to run or frame it.
/// A response that does not say how it may be cached (only the bundle's
/// files do) is private, or may be: `no-store`, so neither a shared
/// computer's back button nor a proxy keeps a copy.
pub async fn security_headers(State(hsts): State<bool>, request: Request, next: Next) -> Response {
    use axum::http::HeaderValue;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        ));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}
