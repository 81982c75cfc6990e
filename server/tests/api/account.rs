//! My account: a password change needs the current password (throttled),
//! refuses weak ones with the reason, and signs out every other session
//! at once; the session list; signing out everywhere else. A viewer may
//! do all of it: it is their own account, not the tenant's settings.

use reqwest::{header, StatusCode};

use crate::helpers::{acme_with_alice, acme_with_viewer, assert_page, Browser, PASSWORD};

const NEW_PASSWORD: &str = "quarry velvet ostrich 1977";

/// Posts My account's password form.
async fn change_password(browser: &Browser, current: &str, new: &str) -> reqwest::Response {
    let form = [("current_password", current), ("new_password", new)];
    browser.post_form("/account/password", &form).await
}

#[tokio::test]
async fn changing_my_password_needs_the_current_one_and_signs_out_my_other_sessions() {
    let (app, here) = acme_with_alice().await;
    let elsewhere = Browser::signed_in(&app, "alice").await;

    let page = here.private_page("/account").await;
    assert!(page.contains("(this session)"), "{page}");
    assert!(page.contains("Sign out everywhere else (1)"), "{page}");
    assert!(page.contains("127.0.0.1"), "the address: {page}");

    let wrong = change_password(&here, "not it at all", NEW_PASSWORD).await;
    let wrong = assert_page(wrong, StatusCode::OK, "This is not your current password.").await;
    assert!(wrong.contains("id=\"current-password-error\""), "{wrong}");
    assert!(!wrong.contains(NEW_PASSWORD), "nothing typed is sent back");

    let weak = change_password(&here, PASSWORD, "password1234").await;
    let weak = weak.text().await.unwrap();
    assert!(weak.contains("Choose a stronger password"), "{weak}");
    assert!(weak.contains("id=\"new-password-error\""), "{weak}");

    let changed = change_password(&here, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        changed.headers()[header::LOCATION],
        "/account?password=changed&ended=1&tokens=0"
    );
    // This session goes on (under a new id); the other ended at once.
    assert_eq!(
        here.get("/company/event-url").await.status(),
        StatusCode::OK
    );
    let (status, _) = elsewhere.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let old = app.sign_in_status("alice", PASSWORD).await;
    assert_eq!(old, StatusCode::OK, "the old password no longer signs in");
    assert_eq!(
        app.sign_in_status("alice", NEW_PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let activity = here.text("/company/activity").await;
    assert!(
        activity.contains("changed their password; 1 other session signed out"),
        "{activity}"
    );
    assert!(!app.database_holds(NEW_PASSWORD));
    assert!(!app.database_holds_in_activity(NEW_PASSWORD).await);
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_sign_ins() {
    let (_app, alice) = acme_with_alice().await;
    let mut last = String::new();
    for _ in 0..6 {
        let wrong = change_password(&alice, "guess guess guess", NEW_PASSWORD).await;
        last = wrong.text().await.unwrap();
    }
    assert!(last.contains("Too many wrong passwords"), "{last}");
    // Even the right one waits now.
    let right = change_password(&alice, PASSWORD, NEW_PASSWORD).await;
    assert_page(right, StatusCode::OK, "Too many wrong passwords").await;
}

#[tokio::test]
async fn a_viewer_signs_out_everywhere_else_and_keeps_this_session() {
    let app = acme_with_viewer().await;
    let here = Browser::signed_in(&app, "victor").await;
    let phone = Browser::signed_in(&app, "victor").await;
    let laptop = Browser::signed_in(&app, "victor").await;
    let alice = Browser::signed_in(&app, "alice").await;

    let page = here.text("/account").await;
    assert!(page.contains("Sign out everywhere else (2)"), "{page}");
    assert!(page.contains("with the role Viewer"), "{page}");
    let ended = here.post_form("/account/sign-out-others", &[]).await;
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    assert_eq!(ended.headers()[header::LOCATION], "/account?ended=2");
    for other in [&phone, &laptop] {
        let (status, _) = other.server_fn("load_event_url", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(here.get("/account").await.status(), StatusCode::OK);
    // Someone else's sessions are not theirs to end.
    assert_eq!(
        alice.get("/company/event-url").await.status(),
        StatusCode::OK
    );
    let page = here.text("/account").await;
    assert!(!page.contains("Sign out everywhere else"), "{page}");
    let activity = alice.text("/company/activity").await;
    assert!(
        activity.contains("signed out everywhere else (2 other sessions)"),
        "{activity}"
    );
}

/// A password change offers to revoke my API tokens: ticked, every token
/// acting for me is refused at once (another member's keeps working);
/// not ticked, they keep working.
#[tokio::test]
async fn a_password_change_revokes_my_api_tokens_when_asked() {
    let (app, alice) = acme_with_alice().await;
    app.create_member("Acme", "bob", app::domain::Role::Administrator)
        .await;
    let mine = crate::rest::Api::with_token(&app, "Acme", "alice-ci", "read", Some("alice"));
    let bobs = crate::rest::Api::with_token(&app, "Acme", "bob-ci", "read", Some("bob"));
    let page = alice.private_page("/account").await;
    assert!(page.contains("Also revoke my API tokens"), "{page}");

    let kept = change_password(&alice, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(kept.status(), StatusCode::SEE_OTHER);
    assert_eq!(mine.get("/api/v1/event-url").await.0, StatusCode::OK);

    let form = [
        ("current_password", NEW_PASSWORD),
        ("new_password", "another quite long passphrase 5"),
        ("revoke_tokens", "on"),
    ];
    let revoked = alice.post_form("/account/password", &form).await;
    assert_eq!(
        revoked.headers()[header::LOCATION],
        "/account?password=changed&ended=0&tokens=1"
    );
    assert_eq!(
        mine.get("/api/v1/event-url").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(bobs.get("/api/v1/event-url").await.0, StatusCode::OK);
    alice
        .page_holding(
            "/account?password=changed&ended=0&tokens=1",
            &["1 API token was revoked."],
        )
        .await;
    assert!(
        app.database_holds_in_activity("no other session signed out; 1 API token revoked")
            .await
    );
}
