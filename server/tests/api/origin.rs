use crate::helpers::*;
use reqwest::StatusCode;

async fn post_from(
    app: &TestApp,
    path: &str,
    origin: Option<&str>,
    fetch_site: Option<&str>,
) -> StatusCode {
    let mut request = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(path))
        .form(&[("username", "alice"), ("password", PASSWORD)]);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(site) = fetch_site {
        request = request.header("sec-fetch-site", site);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn state_changing_requests_from_a_foreign_origin_are_refused() {
    let app = spawn_acme().await;
    for path in [
        "/login",
        "/logout",
        "/setup",
        "/company/event-url",
        "/rpc/save_endpoint",
    ] {
        assert_eq!(
            post_from(&app, path, Some("https://evil.example"), None).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            post_from(&app, path, Some("null"), None).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            post_from(&app, path, None, Some("cross-site")).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn own_origin_and_non_browser_clients_are_let_through() {
    let app = spawn_acme().await;
    let own = format!("http://{}", app.addr);
    assert_eq!(
        post_from(&app, "/login", Some(&own), Some("same-origin")).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_from(&app, "/login", None, None).await,
        StatusCode::SEE_OTHER
    );
}

/// The scheme is part of the origin: a page on `https://host` is another
/// site than this plain-HTTP server on `host`, and is refused; behind a
/// TLS-terminating proxy the public origin says which scheme is ours.
#[tokio::test]
async fn the_origin_check_compares_the_scheme_too() {
    let app = spawn_acme().await;
    let other_scheme = format!("https://{}", app.addr);
    assert_eq!(
        post_from(&app, "/login", Some(&other_scheme), None).await,
        StatusCode::FORBIDDEN
    );
    let own = format!("http://{}", app.addr);
    assert_eq!(
        post_from(&app, "/login", Some(&own), None).await,
        StatusCode::SEE_OTHER
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.public_origin = Some("https://hooks.example.com".to_owned());
    let behind_tls = spawn_with(dir, config).await;
    behind_tls.create_tenant_with_admin("Acme", "alice").await;
    for (origin, expected) in [
        ("https://hooks.example.com", StatusCode::SEE_OTHER),
        ("http://hooks.example.com", StatusCode::FORBIDDEN),
        ("https://hooks.example.com:8443", StatusCode::FORBIDDEN),
    ] {
        assert_eq!(
            post_from(&behind_tls, "/login", Some(origin), None).await,
            expected,
            "{origin}"
        );
    }
    // With a public origin set, the request's own Host is not trusted (a
    // rebound DNS name carries any): only the public origin is ours.
    for scheme in ["http", "https"] {
        assert_eq!(
            post_from(
                &behind_tls,
                "/login",
                Some(&format!("{scheme}://{}", behind_tls.addr)),
                None
            )
            .await,
            StatusCode::FORBIDDEN
        );
    }
}
