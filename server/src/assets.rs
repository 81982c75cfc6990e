//! The browser bundle under `/pkg`: brotli or gzip files made at build time
//! (`cargo leptos build --release --precompress`) chosen by the request's
//! Accept-Encoding, and cached for a year when their names carry a content
//! hash (`hash-files`), since a new build gets new names.

use axum::{
    body::Body,
    http::{header, HeaderValue, Response},
    Router,
};
use std::path::{Path, PathBuf};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// Whether the build hashed the bundle's file names: cargo-leptos writes
/// their hashes to `hash.txt` beside the binary, where Leptos reads them.
pub fn files_are_hashed() -> bool {
    hash_file().is_some_and(|path| path.is_file())
}

fn hash_file() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join("hash.txt"))
}

/// `/pkg/…` from `<site root>/pkg`.
pub fn routes(site_root: &Path, hashed: bool) -> Router {
    let cache = if hashed {
        "public, max-age=31536000, immutable"
    } else {
        // Same names after every build: ask each time (answered 304).
        "no-cache"
    };
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    let cache = HeaderValue::from_static(cache);
    Router::new()
        .fallback_service(files)
        // Which file is sent depends on Accept-Encoding: caches must know.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            move |response: &Response<Body>| response.status().is_success().then(|| cache.clone()),
        ))
}
