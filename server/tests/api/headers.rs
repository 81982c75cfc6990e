//! Security headers on every response; the page's CSP carries the nonce its
//! inline scripts use (Playwright's console check proves hydration still
//! works under it).

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_carry_a_nonce_policy_that_matches_their_scripts() {
    let (_app, browser) = acme_with_alice().await;
    let response = browser.get("/company/event-url").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    let nonce = csp_nonce(&csp);
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")));
    for directive in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.get("strict-transport-security").is_none());

    // Another render, another nonce.
    let again = browser.get("/company/event-url").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp
    );
}

#[tokio::test]
async fn other_responses_allow_nothing_to_run() {
    let app = spawn_app().await;
    for path in ["/healthz", "/rpc/load_event_url", "/no-such-page"] {
        let response = app.browser().get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") || csp.contains("'nonce-"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn https_deployments_get_hsts() {
    let app = spawn_configured(|config| {
        config.public_origin = Some("https://hooks.example.com".into());
    })
    .await;
    let response = app.browser().get("/healthz").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

/// Private answers are never kept by a browser's history or a proxy:
/// signed-in pages, server-function answers, form posts' pages, and the
/// login page too. (The bundle's hashed files keep their year-long
/// caching: `assets::hashed_bundle_names_are_linked_and_cached_for_a_year`.)
#[tokio::test]
async fn private_responses_say_no_store() {
    let (app, browser) = acme_with_alice().await;
    let no_store = |response: &reqwest::Response, what: &str| {
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_owned()),
            Some("no-store".to_owned()),
            "{what}"
        );
    };
    for path in [
        "/company/event-url",
        "/company/activity",
        "/company/event-url?saved=cdr",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        no_store(&page, path);
    }
    let answer = browser
        .client
        .post(format!("{}/rpc/load_event_url", browser.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    no_store(&answer, "a server function's answer");
    let refused = browser
        .post_form(
            "/company/event-url",
            &fields("cdr", "bearer", "x", &[("version", "1")]),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::OK);
    no_store(&refused, "a refused form post's page");
    no_store(&app.browser().get("/login").await, "the login page");
    no_store(&browser.get("/").await, "a redirect");
}
