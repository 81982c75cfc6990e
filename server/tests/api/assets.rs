//! The browser bundle under /pkg: the precompressed file the client can
//! take (brotli before gzip before none), and a year's caching only for
//! hashed names; misses are not cached.

use crate::helpers::*;
use axum::{body::Body, http::Request};
use reqwest::{header, StatusCode};
use tower::ServiceExt;

const JS: &[u8] = b"export function hydrate() { /* the bundle */ }";

fn site_with_bundle() -> tempfile::TempDir {
    let site = tempfile::tempdir().expect("site dir");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("eventurl.abc.js"), JS).unwrap();
    std::fs::write(pkg.join("eventurl.abc.js.br"), b"BROTLI BYTES").unwrap();
    std::fs::write(pkg.join("eventurl.abc.js.gz"), b"GZIP BYTES").unwrap();
    site
}

#[tokio::test]
async fn the_bundle_is_served_precompressed_as_the_client_accepts() {
    let site = site_with_bundle();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.site_root = site.path().display().to_string();
    let app = spawn_with(dir, config).await;
    let client = reqwest::Client::new();
    let get = |encoding: &'static str| {
        let request = client.get(app.url("/pkg/eventurl.abc.js"));
        let request = if encoding.is_empty() {
            request
        } else {
            request.header(header::ACCEPT_ENCODING, encoding)
        };
        async move { request.send().await.expect("request sent") }
    };

    for (accepts, encoding, body) in [
        ("br, gzip", Some("br"), &b"BROTLI BYTES"[..]),
        ("gzip", Some("gzip"), &b"GZIP BYTES"[..]),
        ("", None, JS),
    ] {
        let response = get(accepts).await;
        assert_eq!(response.status(), StatusCode::OK, "{accepts}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accepts}"
        );
        let vary: Vec<_> = response.headers().get_all(header::VARY).iter().collect();
        assert_eq!(vary, ["accept-encoding"], "{accepts}");
        // The test binary has no hash.txt beside it: names are not hashed,
        // so the browser must revalidate.
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(response.bytes().await.unwrap(), body, "{accepts}");
    }

    let missing = client
        .get(app.url("/pkg/eventurl.old.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().get(header::CACHE_CONTROL).is_none());
}

#[tokio::test]
async fn hashed_bundle_names_are_cached_for_a_year_and_misses_are_not() {
    let site = site_with_bundle();
    let routes = server::assets::routes(site.path(), true);
    let found = routes
        .clone()
        .oneshot(
            Request::get("/eventurl.abc.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(found.status(), StatusCode::OK);
    assert_eq!(
        found.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let missing = routes
        .oneshot(
            Request::get("/eventurl.old.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().get(header::CACHE_CONTROL).is_none());
}
