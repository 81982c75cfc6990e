//! The tab as last rendered for each administrator, kept inside the tenant
//! settings it shows (`service::TenantSettings`): it comes and goes with
//! them, so it is exactly as fresh as the read cache (a save, a switch or a
//! test send drops both at once). A page served from here costs no
//! rendering; only the Content-Security-Policy nonce is new, as on every
//! response.

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{auth::session::CurrentAdmin, page_security_policy, state::AppState};

/// The page the cache serves: the tab itself, without a query (a query
/// says something happened, like `?saved=cdr`, and is rendered afresh).
const PATH: &str = "/company/event-url";

/// A rendered page cut at its nonce, so that each response gets its own.
#[derive(Debug)]
pub struct RenderedPage {
    /// The HTML between the places where the nonce goes.
    pieces: Vec<Bytes>,
    /// The render's headers, less the policy (rebuilt with the new nonce).
    headers: HeaderMap,
}

impl RenderedPage {
    /// `None` when the render carries no nonce policy to renew.
    fn cut(headers: &HeaderMap, body: &Bytes) -> Option<Self> {
        let policy = headers
            .get(header::CONTENT_SECURITY_POLICY)?
            .to_str()
            .ok()?;
        let nonce = policy.split("'nonce-").nth(1)?.split('\'').next()?;
        // 128 random bits: only the render put it anywhere.
        if nonce.len() < 16 {
            return None;
        }
        let html = std::str::from_utf8(body).ok()?;
        let mut pieces = Vec::new();
        let mut at = 0;
        for (start, _) in html.match_indices(nonce) {
            pieces.push(body.slice(at..start));
            at = start + nonce.len();
        }
        pieces.push(body.slice(at..));
        let mut headers = headers.clone();
        headers.remove(header::CONTENT_SECURITY_POLICY);
        headers.remove(header::CONTENT_LENGTH);
        Some(Self { pieces, headers })
    }

    fn response(&self) -> Response {
        let nonce = leptos::nonce::Nonce::new();
        let nonce = nonce.as_bytes();
        let length = self.pieces.iter().map(Bytes::len).sum::<usize>()
            + nonce.len() * (self.pieces.len() - 1);
        let mut html = Vec::with_capacity(length);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                html.extend_from_slice(nonce);
            }
            html.extend_from_slice(piece);
        }
        let mut response = Response::new(Body::from(html));
        *response.headers_mut() = self.headers.clone();
        if let Ok(policy) =
            HeaderValue::from_str(&page_security_policy(&String::from_utf8_lossy(nonce)))
        {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        response
    }
}

/// Kept rendered pages of one tenant, by administrator: each filled once,
/// by the first request that needs it, while the others wait for it.
#[derive(Debug, Default)]
pub struct RenderedPages(
    std::sync::Mutex<std::collections::HashMap<i32, Arc<tokio::sync::OnceCell<RenderedPage>>>>,
);

impl RenderedPages {
    fn slot(&self, user_id: i32) -> Arc<tokio::sync::OnceCell<RenderedPage>> {
        match self.0.lock() {
            Ok(mut pages) => pages.entry(user_id).or_default().clone(),
            // A panic elsewhere while holding the lock: do without keeping.
            Err(_) => Arc::default(),
        }
    }
}

/// Middleware inside the sign-in guard (it reads the administrator the
/// guard found): answers the tab from the page kept with the tenant's
/// current settings, rendering and keeping it first if need be.
pub async fn serve_kept(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (tenant_id, user_id) = match request.extensions().get::<CurrentAdmin>() {
        Some(admin)
            if state.settings.keeps_copies()
                && request.method() == Method::GET
                && request.uri().path() == PATH
                && request.uri().query().is_none() =>
        {
            (admin.tenant_id, admin.user_id)
        }
        _ => return next.run(request).await,
    };
    // Unreadable settings: the render says what is wrong.
    let Ok(settings) = super::service::settings(&state.db, &state.settings, tenant_id).await else {
        return next.run(request).await;
    };
    let slot = settings.rendered().slot(user_id);
    // The render reads the settings again: these, or newer ones if a write
    // came in between (then this entry is already dropped).
    let kept = slot
        .get_or_try_init(|| async move {
            let response = next.run(request).await;
            if response.status() != StatusCode::OK {
                return Err(response);
            }
            let (parts, body) = response.into_parts();
            let Ok(body) = axum::body::to_bytes(body, 8 << 20).await else {
                return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            };
            RenderedPage::cut(&parts.headers, &body)
                .ok_or_else(|| Response::from_parts(parts, Body::from(body)))
        })
        .await;
    match kept {
        Ok(page) => page.response(),
        // Not keepable (an error page, say): answered as rendered.
        Err(response) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_kept_page_is_served_with_a_new_nonce_everywhere_the_old_one_was() {
        let old = "AAAAAAAAAAAAAAAAAAAAAA";
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&page_security_policy(old)).unwrap(),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let html = format!(
            "<head><script nonce=\"{old}\">a()</script></head><body>x</body><script nonce=\"{old}\">b()</script>"
        );
        let page = RenderedPage::cut(&headers, &Bytes::from(html.clone())).unwrap();

        let mut seen = Vec::new();
        for _ in 0..2 {
            let response = page.response();
            let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "text/html; charset=utf-8"
            );
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap()
                .to_owned();
            assert!(!body.contains(old) && !policy.contains(old));
            assert_eq!(body, html.replace(old, &nonce));
            assert!(!seen.contains(&nonce));
            seen.push(nonce);
        }
    }

    #[test]
    fn a_render_without_a_nonce_policy_is_not_kept() {
        let headers = HeaderMap::new();
        assert!(RenderedPage::cut(&headers, &Bytes::from_static(b"<p>hi</p>")).is_none());
    }
}
