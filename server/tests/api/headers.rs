//! Security headers on every response; the page's CSP carries the nonce its
//! inline scripts use (Playwright's console check proves hydration still
//! works under it).

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_carry_a_nonce_policy_that_matches_their_scripts() {
    let app = spawn_app().await;
    let response = app.browser().get("/login").await;
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
    let again = app.browser().get("/login").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp
    );
}

#[tokio::test]
async fn other_responses_allow_nothing_to_run() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/load_event_url", "/no-such-page"] {
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
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.public_origin = Some("https://hooks.example.com".into());
    let app = spawn_with(dir, config).await;
    let response = app.browser().get("/healthz").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}
