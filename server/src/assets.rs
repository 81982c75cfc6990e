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

/// Where the bundle's hashes are, if the build hashed its file names: in
/// the site root (`scripts/build` copies it there, so a deployed site
/// carries its own), else beside the binary, where cargo-leptos writes it.
/// Leptos joins this to the binary's folder, which keeps an absolute path.
pub fn hash_file(site_root: &Path) -> Option<PathBuf> {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")));
    std::iter::once(site_root.join("hash.txt"))
        .chain(beside_binary)
        .find(|path| path.is_file())
        .and_then(|path| std::path::absolute(path).ok())
}

/// A site whose bundle has hashed names cannot be served without its
/// hashes: the pages would link files that do not exist and never hydrate.
pub fn check_bundle(site_root: &Path, hash_file: Option<&Path>) -> anyhow::Result<()> {
    if hash_file.is_some() {
        return Ok(());
    }
    let pkg = site_root.join("pkg");
    let hashed = std::fs::read_dir(&pkg)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("eventurl.") && name.ends_with(".wasm") && name != "eventurl.wasm"
        });
    if hashed {
        anyhow::bail!(
            "{}: the bundle's file names are hashed but its hash.txt is missing (looked in {} and beside the binary); deploy the site as scripts/build leaves it",
            pkg.display(),
            site_root.display()
        );
    }
    Ok(())
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
            // A 304 carries it too: the browser applies a 304's headers
            // to its stored copy (else the security layer's no-store would).
            move |response: &Response<Body>| {
                let status = response.status();
                (status.is_success() || status == http::StatusCode::NOT_MODIFIED)
                    .then(|| cache.clone())
            },
        ))
}
