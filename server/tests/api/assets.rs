//! The browser bundle under /pkg: the precompressed file the client can
//! take (brotli before gzip before none), and a year's caching only for
//! hashed names; misses are not cached.

use crate::helpers::*;
use reqwest::{header, StatusCode};

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

/// The suite's configuration serving the site in `site`.
fn serving(site: &tempfile::TempDir, dir: &tempfile::TempDir) -> server::Config {
    let mut config = test_config(dir);
    config.site_root = site.path().display().to_string();
    config
}

/// A file /pkg does not have: 404, and the miss is not cached.
async fn assert_uncached_miss(client: &reqwest::Client, app: &TestApp, path: &str) {
    let missing = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{path}");
    assert_eq!(
        missing.headers()[header::CACHE_CONTROL],
        "no-store",
        "{path}"
    );
}

#[tokio::test]
async fn the_bundle_is_served_precompressed_as_the_client_accepts() {
    let site = site_with_bundle();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = serving(&site, &dir);
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

    // Revalidated: the 304 says the same, so the browser keeps its copy.
    let modified = get("").await.headers()[header::LAST_MODIFIED].clone();
    let revalidated = client
        .get(app.url("/pkg/eventurl.abc.js"))
        .header(header::IF_MODIFIED_SINCE, modified)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(revalidated.headers()[header::CACHE_CONTROL], "no-cache");

    assert_uncached_miss(&client, &app, "/pkg/eventurl.old.js").await;
}

/// A site built with hashed names (its hash.txt in the site root, as
/// scripts/build leaves it): pages link those names and /pkg lets them be
/// cached for a year; misses are not cached.
#[tokio::test]
async fn hashed_bundle_names_are_linked_and_cached_for_a_year() {
    let site = site_with_bundle();
    std::fs::write(site.path().join("pkg/eventurl.abc.wasm"), b"\0asm").unwrap();
    std::fs::write(site.path().join("pkg/eventurl.abc.css"), b"body {}").unwrap();
    std::fs::write(
        site.path().join("hash.txt"),
        "js: abc\nwasm: abc\ncss: abc\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = serving(&site, &dir);
    let app = spawn_with(dir, config).await;
    app.create_tenant_with_admin("Acme", "alice").await;

    // A page with islands links the bundle; the login page, which has
    // none, only the stylesheet: no wasm before signing in.
    let browser = Browser::signed_in(&app, "alice").await;
    let page = browser.text("/company/event-url").await;
    for linked in [
        "/pkg/eventurl.abc.js",
        "/pkg/eventurl.abc.wasm",
        "/pkg/eventurl.abc.css",
    ] {
        assert!(page.contains(linked), "{linked} not linked");
    }
    let login = app.browser().text("/login").await;
    assert!(login.contains("/pkg/eventurl.abc.css"), "stylesheet linked");
    assert!(
        !login.contains(".wasm")
            && !login.contains("/pkg/eventurl.abc.js")
            && !login.contains(r#"type="module""#),
        "the login page loads no module script and no wasm: {login}"
    );
    let client = reqwest::Client::new();
    let found = client
        .get(app.url("/pkg/eventurl.abc.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(found.status(), StatusCode::OK);
    assert_eq!(
        found.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_uncached_miss(&client, &app, "/pkg/eventurl.old.wasm").await;
}

/// Without its hash.txt a hashed site would serve pages that link files
/// that do not exist: the server refuses to start and says why.
#[tokio::test]
async fn a_hashed_site_without_its_hashes_is_refused_at_start() {
    let site = site_with_bundle();
    std::fs::write(site.path().join("pkg/eventurl.abc.wasm"), b"\0asm").unwrap();
    let dir = tempfile::tempdir().expect("temp dir");
    let Err(error) = server::prepare(serving(&site, &dir)).await else {
        panic!("the server started without the bundle's hashes");
    };
    let message = format!("{error:#}");
    assert!(message.contains("hash.txt is missing"), "{message}");
}
