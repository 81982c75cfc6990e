//! Company → API tokens in the browser (plain form posts): a token is
//! shown once in the answer to its post, listed without it afterwards,
//! works on the REST API, and is revoked at once; another tenant can
//! neither see nor revoke it.

use reqwest::{header, StatusCode};

use crate::helpers::{acme_and, private_body, TestApp};

/// How the REST API answers a read with `token`.
async fn read_with(app: &TestApp, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(app.url("/api/v1/event-url"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

fn token_in(page: &str) -> Option<String> {
    let at = page.find("eut_")?;
    Some(
        page[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect(),
    )
}

#[tokio::test]
async fn a_token_made_in_the_tab_is_shown_once_works_and_is_revoked_at_once() {
    let (app, alice, bob) = acme_and("Other").await;

    let page = alice.private_page("/company/api-tokens").await;
    assert!(page.contains("No API tokens yet."), "{page}");
    // Signed out: to the sign-in page.
    let anonymous = app.browser().get("/company/api-tokens").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

    // Refused per field, with what was typed kept.
    let refused = alice
        .post_text(
            "/company/api-tokens",
            &[("name", "ci"), ("scope", "admin"), ("expiry", "90")],
        )
        .await;
    assert!(
        refused.contains("Choose Read, or Read and write."),
        "{refused}"
    );
    assert!(refused.contains("id=\"token-scope-error\""), "{refused}");
    assert!(token_in(&refused).is_none());

    let created = alice
        .post_form(
            "/company/api-tokens",
            &[("name", "ci"), ("scope", "write"), ("expiry", "365")],
        )
        .await;
    let created = private_body(created, "the new token").await;
    let token = token_in(&created).expect("the new token is shown");
    assert_eq!(token.len(), 4 + 43, "{token}");
    assert!(!app.database_holds(&token), "only its hash is stored");

    assert_eq!(read_with(&app, &token).await, StatusCode::OK);

    // Listed, never shown again; its last use with the address.
    let listed = alice.text("/company/api-tokens").await;
    assert!(token_in(&listed).is_none(), "shown only once");
    assert!(listed.contains(">ci<"), "{listed}");
    assert!(listed.contains("Read and write"));
    assert!(listed.contains(" by alice"));
    assert!(listed.contains(" from 127.0.0.1"));
    let id = listed
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();

    // Another tenant sees none of it and cannot revoke it.
    let theirs = bob.text("/company/api-tokens").await;
    assert!(theirs.contains("No API tokens yet."), "{theirs}");
    let revoke = "/company/api-tokens/revoke";
    let response = bob.post_form(revoke, &[("id", &id)]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let response = alice.post_form(revoke, &[("id", &id)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = alice
        .text(response.headers()[header::LOCATION].to_str().unwrap())
        .await;
    assert!(after.contains("Token \"ci\" revoked"), "{after}");
    assert_eq!(read_with(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert!(app.database_holds_in_activity("created API token").await);
    assert!(app.database_holds_in_activity("revoked API token").await);
}
