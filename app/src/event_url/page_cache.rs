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

/// Kept rendered pages of one tenant, by administrator.
#[derive(Debug, Default)]
pub struct RenderedPages(std::sync::RwLock<std::collections::HashMap<i32, Arc<RenderedPage>>>);

impl RenderedPages {
    fn get(&self, user_id: i32) -> Option<Arc<RenderedPage>> {
        self.0.read().ok()?.get(&user_id).cloned()
    }

    fn keep(&self, user_id: i32, page: RenderedPage) {
        if let Ok(mut pages) = self.0.write() {
            pages.insert(user_id, Arc::new(page));
        }
    }
}

/// Middleware inside the sign-in guard (it reads the administrator the
/// guard found): answers the tab from the kept page, or renders it and
/// keeps it when the settings it was rendered from are still the current
/// ones afterwards.
pub async fn serve_kept(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let admin = match request.extensions().get::<CurrentAdmin>() {
        Some(admin)
            if request.method() == Method::GET
                && request.uri().path() == PATH
                && request.uri().query().is_none() =>
        {
            (admin.tenant_id, admin.user_id)
        }
        _ => return next.run(request).await,
    };
    let (tenant_id, user_id) = admin;
    let before = state.settings.get(&tenant_id);
    if let Some(page) = before.as_ref().and_then(|s| s.rendered().get(user_id)) {
        return page.response();
    }
    let response = next.run(request).await;
    // Rendered from `before` only if it was the current entry throughout
    // (a write, or the end of its lifetime, replaces the entry).
    let Some(before) = before else {
        return response;
    };
    let unchanged = state
        .settings
        .get(&tenant_id)
        .is_some_and(|after| Arc::ptr_eq(&after, &before));
    if response.status() != StatusCode::OK || !unchanged {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 8 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Some(page) = RenderedPage::cut(&parts.headers, &body) {
        before.rendered().keep(user_id, page);
    }
    Response::from_parts(parts, Body::from(body))
}
