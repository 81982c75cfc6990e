//! My account: a password change needs the current password (throttled),
//! refuses weak ones with the reason, and signs out every other session
//! at once; the session list; signing out everywhere else. A viewer may
//! do all of it: it is their own account, not the tenant's settings.

use reqwest::{header, StatusCode};

use app::domain::Role;

use crate::helpers::{spawn_app, Browser, PASSWORD};

const NEW_PASSWORD: &str = "quarry velvet ostrich 1977";

#[tokio::test]
async fn changing_my_password_needs_the_current_one_and_signs_out_my_other_sessions() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let here = Browser::signed_in(&app, "alice").await;
    let elsewhere = Browser::signed_in(&app, "alice").await;

    let page = here.get("/account").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let page = page.text().await.unwrap();
    assert!(page.contains("(this session)"), "{page}");
    assert!(page.contains("Sign out everywhere else (1)"), "{page}");
    assert!(page.contains("127.0.0.1"), "the address: {page}");

    let wrong = here
        .post_form(
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::OK);
    let wrong = wrong.text().await.unwrap();
    assert!(
        wrong.contains("This is not your current password."),
        "{wrong}"
    );
    assert!(wrong.contains("id=\"current-password-error\""), "{wrong}");
    assert!(!wrong.contains(NEW_PASSWORD), "nothing typed is sent back");

    let weak = here
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "password1234"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(weak.contains("Choose a stronger password"), "{weak}");
    assert!(weak.contains("id=\"new-password-error\""), "{weak}");

    let changed = here
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        changed.headers()[header::LOCATION],
        "/account?password=changed&ended=1"
    );
    // This session goes on (under a new id); the other ended at once.
    assert_eq!(
        here.get("/company/event-url").await.status(),
        StatusCode::OK
    );
    let (status, _) = elsewhere.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.browser().sign_in("alice", PASSWORD).await.status(),
        StatusCode::OK,
        "the old password no longer signs in"
    );
    assert_eq!(
        app.browser().sign_in("alice", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let activity = here.get("/company/activity").await.text().await.unwrap();
    assert!(
        activity.contains("changed their password; 1 other session signed out"),
        "{activity}"
    );
    assert!(!app.database_holds(NEW_PASSWORD));
    assert!(!app.database_holds_in_activity(NEW_PASSWORD).await);
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_sign_ins() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let mut last = String::new();
    for _ in 0..6 {
        last = alice
            .post_form(
                "/account/password",
                &[
                    ("current_password", "guess guess guess"),
                    ("new_password", NEW_PASSWORD),
                ],
            )
            .await
            .text()
            .await
            .unwrap();
    }
    assert!(last.contains("Too many wrong passwords"), "{last}");
    // Even the right one waits now.
    let right = alice
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right
        .text()
        .await
        .unwrap()
        .contains("Too many wrong passwords"));
}

#[tokio::test]
async fn a_viewer_signs_out_everywhere_else_and_keeps_this_session() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    app.create_member("Acme", "victor", Role::Viewer).await;
    let here = Browser::signed_in(&app, "victor").await;
    let phone = Browser::signed_in(&app, "victor").await;
    let laptop = Browser::signed_in(&app, "victor").await;
    let alice = Browser::signed_in(&app, "alice").await;

    let page = here.get("/account").await.text().await.unwrap();
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
    let page = here.get("/account").await.text().await.unwrap();
    assert!(!page.contains("Sign out everywhere else"), "{page}");
    let activity = alice.get("/company/activity").await.text().await.unwrap();
    assert!(
        activity.contains("signed out everywhere else (2 other sessions)"),
        "{activity}"
    );
}
