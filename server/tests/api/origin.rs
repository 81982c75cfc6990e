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
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    for path in [
        "/login",
        "/logout",
        "/setup",
        "/company/event-url",
        "/api/save_endpoint",
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
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
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
