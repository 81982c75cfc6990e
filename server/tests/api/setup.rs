use crate::helpers::*;
use reqwest::StatusCode;

/// The setup form's fields.
fn setup_form<'a>(
    token: &'a str,
    tenant: &'a str,
    username: &'a str,
    password: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("token", token),
        ("tenant", tenant),
        ("username", username),
        ("password", password),
    ]
}

#[tokio::test]
async fn an_empty_database_offers_a_setup_link_that_works_once() {
    let app = spawn_app().await;
    let token = app
        .setup_token
        .clone()
        .expect("a fresh database opens setup");
    let browser = app.browser();

    let page = browser.get(&format!("/setup?token={token}")).await;
    assert_page(page, StatusCode::OK, "Create tenant and sign in").await;

    let form = setup_form(&token, "Acme", "alice", PASSWORD);
    let response = browser.post_form("/setup", &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/company/event-url");
    // The new administrator is signed in.
    let data = browser.load().await;
    assert_eq!(data["tenant_name"], "Acme");
    assert_eq!(data["admin_username"], "alice");
    // Recorded in the new tenant's activity log.
    let (_, log) = browser
        .server_fn(
            "list_activity",
            &[("page", "1"), ("section", ""), ("kind", "setup_completed")],
        )
        .await;
    assert_eq!(log["total"], 1, "{log}");
    assert_eq!(log["entries"][0]["actor"], "alice");
    assert!(log["entries"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("Acme"));

    // The link is dead now, for the form and for the page.
    let form = setup_form(&token, "Evil", "mallory", PASSWORD);
    let again = app.browser().post_form("/setup", &form).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let page = app.browser().text(&format!("/setup?token={token}")).await;
    assert!(page.contains("This setup link is not valid"), "{page}");
    assert!(session_cookie(&app.browser().sign_in("mallory", PASSWORD).await).is_none());
}

#[tokio::test]
async fn a_wrong_setup_token_creates_nothing() {
    let app = spawn_app().await;
    let form = setup_form("guessed", "Acme", "alice", PASSWORD);
    let response = app.browser().post_form("/setup", &form).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(session_cookie(&app.browser().sign_in("alice", PASSWORD).await).is_none());
}

#[tokio::test]
async fn invalid_setup_input_is_explained_and_keeps_the_link_open() {
    let app = spawn_app().await;
    let token = app.setup_token.clone().unwrap();
    let browser = app.browser();
    let path = format!("/setup?token={token}");
    let response = browser
        .post_form(&path, &setup_form(&token, "Acme", "alice", "short"))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the form again, with the message"
    );
    assert!(session_cookie(&response).is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("Use a password of 12 to 128 characters."));
    assert!(html.contains("value=\"Acme\""), "typed tenant name is kept");
    let retry = browser
        .post_form(&path, &setup_form(&token, "Acme", "alice", PASSWORD))
        .await;
    assert_eq!(retry.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_database_with_a_tenant_offers_no_setup_link() {
    let app = spawn_acme().await;
    let restarted = spawn_with(tempfile::tempdir().unwrap(), app.config.clone()).await;
    assert!(restarted.setup_token.is_none());
}
