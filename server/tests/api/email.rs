// Over 500 lines: nine whole scenarios through one real SMTP server, sharing its fixtures (addresses confirmed, letters read back).
//! Email through a real SMTP server (aiosmtpd): addresses confirmed by a
//! link before anything else goes to them, invitations, password reset
//! links (once, for an hour, telling nothing of who exists) and the
//! administrators' notices (a credential changed, a section paused
//! automatically). No letter carries a password or a webhook secret.

use crate::{helpers::*, pbx::*, receivers::*, smtp::*};
use reqwest::StatusCode;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

const NEW_PASSWORD: &str = "quartz lantern mosaic pelican";
const CONFIRM: &str = "Confirm your eventurl email address";
const RESET: &str = "Reset your eventurl password";
const CHANGED: &str = "Your eventurl email address changed";

async fn spawn_mailing(smtp: &SmtpServer) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.smtp_url = Some(smtp.url());
    config.allow_private_targets = "127.0.0.0/8".into();
    config.retry_schedule = "100ms".parse().unwrap();
    config.auto_pause_after = 2;
    spawn_with(dir, config).await
}

/// My account's email form, posted with `password` as the current one.
async fn post_email(browser: &Browser, email: &str, password: &str) -> reqwest::Response {
    browser
        .post_form(
            "/account/email",
            &[("email", email), ("current_password", password)],
        )
        .await
}

/// The email form refused (the page again, 200): its text.
async fn refused_email(browser: &Browser, email: &str) -> String {
    let refused = post_email(browser, email, PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::OK, "refused: {email}");
    text(refused).await
}

/// Saves `email` in the browser's My account: a confirmation link is
/// emailed there. Returns the link's path.
async fn ask_for(app: &TestApp, smtp: &SmtpServer, browser: &Browser, email: &str) -> String {
    ask_for_with(app, smtp, browser, email, PASSWORD).await
}

/// `ask_for`, the account's password being `password`.
async fn ask_for_with(
    app: &TestApp,
    smtp: &SmtpServer,
    browser: &Browser,
    email: &str,
    password: &str,
) -> String {
    let to = email.to_lowercase();
    let before = smtp.letters(&to, CONFIRM);
    let response = post_email(browser, email, password).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "email saved");
    assert_eq!(response.headers()["location"], "/account?email=sent");
    let letters = smtp.wait_for_subject(&to, CONFIRM, before.len() + 1).await;
    let new = letters
        .iter()
        .find(|l| before.iter().all(|b| b.body != l.body))
        .expect("a new confirmation letter");
    let link = link_in(&new.body, &app.url("/email/confirm?token=euc_"));
    link.trim_start_matches(&app.url("")).to_owned()
}

/// Saves `email` and confirms it with the emailed link, as its owner does.
async fn set_email(app: &TestApp, smtp: &SmtpServer, browser: &Browser, email: &str) {
    let path = ask_for(app, smtp, browser, email).await;
    assert!(press_confirm(browser, &path).await, "{email} confirmed");
}

/// Acme with its administrator alice and a second member, both signed in
/// with a confirmed address (`{username}@example.com`).
async fn acme_with_emails(
    app: &TestApp,
    smtp: &SmtpServer,
    member: &str,
    role: app::domain::Role,
) -> (Browser, Browser) {
    app.create_tenant_with_admin("Acme", "alice").await;
    app.create_member("Acme", member, role).await;
    let alice = Browser::signed_in(app, "alice").await;
    set_email(app, smtp, &alice, "alice@example.com").await;
    let other = Browser::signed_in(app, member).await;
    set_email(app, smtp, &other, &format!("{member}@example.com")).await;
    (alice, other)
}

async fn text(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_reset_link_is_emailed_works_once_and_ends_every_session() {
    let smtp = SmtpServer::start();
    let app = spawn_mailing(&smtp).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let script = crate::rest::Api::with_token(&app, "Acme", "alice-ci", "read", None);
    assert_eq!(script.get("/api/v1/event-url").await.0, StatusCode::OK);

    // The address needs the password, and must be one.
    let refused = refused_email(&alice, "not an address").await;
    assert!(refused.contains("Enter an email address"));
    let refused = post_email(&alice, "alice@example.com", "wrong").await;
    assert!(text(refused)
        .await
        .contains("This is not your current password."));
    set_email(&app, &smtp, &alice, "old@example.com").await;
    set_email(&app, &smtp, &alice, "Alice@Example.com").await;
    let account = text(alice.get("/account").await).await;
    assert!(
        account.contains("Confirmed address: alice@example.com"),
        "stored lower-case"
    );
    // The old address is told.
    let told = smtp.wait_for_subject("old@example.com", CHANGED, 1).await;
    assert!(told[0].body.contains("now go to alice@example.com"));

    // The sign-in page offers the reset; asking answers alike whether or
    // not an account matches, and only a real one gets a letter.
    let anonymous = app.browser();
    assert!(text(anonymous.get("/login").await)
        .await
        .contains("Forgot password?"));
    for identifier in ["nobody", "ALICE@example.com"] {
        let response = anonymous
            .post_form("/login/forgot", &[("identifier", identifier)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{identifier}");
        assert_eq!(
            response.headers()["location"],
            "/login/forgot?sent=1",
            "{identifier}"
        );
    }
    let letters = smtp.wait_for_subject("alice@example.com", RESET, 1).await;
    assert!(letters[0].from.contains("eventurl@example.test"));
    assert!(
        letters[0].body.contains("revokes your API tokens"),
        "the letter says what the reset ends: {}",
        letters[0].body
    );
    let link = link_in(&letters[0].body, &app.url("/login/reset?token=eur_"));
    let path = link.trim_start_matches(&app.url(""));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let resets = smtp.messages().into_iter().filter(|m| m.subject == RESET);
    assert_eq!(resets.count(), 1, "no letter for an unknown name");
    let token = path.split("token=").nth(1).unwrap();
    assert!(!app.database_holds(token), "only the link's hash is kept");

    let page = text(anonymous.get(path).await).await;
    assert!(page.contains("For the account alice"), "{page}");
    // A weak password is refused with the reason; the link still works.
    let weak = anonymous
        .post_form(path, &[("password", "password1234")])
        .await;
    assert_eq!(weak.status(), StatusCode::OK);
    assert!(text(weak).await.contains("Choose a stronger password"));
    let done = anonymous
        .post_form(path, &[("password", NEW_PASSWORD)])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/login?reset=1&username=alice");
    assert!(text(anonymous.get("/login?reset=1&username=alice").await)
        .await
        .contains("Your password was changed"));

    // Alice's open session ended, and her API token (whoever reset her
    // password may not have made it); the old password no longer works,
    // the new one does.
    let after = alice.get("/company/event-url").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        script.get("/api/v1/event-url").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.browser().sign_in("alice", PASSWORD).await.status(),
        StatusCode::OK,
        "the old password is refused (the page again)"
    );
    assert_eq!(
        app.browser().sign_in("alice", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // Once only.
    let again = text(anonymous.get(path).await).await;
    assert!(again.contains("no longer works"), "{again}");
    let again = anonymous
        .post_form(path, &[("password", "another fine passphrase 42")])
        .await;
    assert!(text(again).await.contains("no longer works"));
    assert!(
        app.database_holds_in_activity(
            "set a new password with an emailed reset link (1 session ended, 1 API token revoked)"
        )
        .await
    );
    assert!(
        app.database_holds_in_activity("a password reset link for alice was emailed")
            .await
    );
    assert!(!app.database_holds(NEW_PASSWORD));
}

/// Acme's alice, with an address, and the path of the reset link a
/// stranger's browser asked for and the letter carried.
async fn alice_with_a_reset_link(smtp: &SmtpServer) -> (TestApp, Browser, String) {
    let app = spawn_mailing(smtp).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    set_email(&app, smtp, &alice, "alice@example.com").await;
    let anonymous = app.browser();
    anonymous
        .post_form("/login/forgot", &[("identifier", "alice")])
        .await;
    let letters = smtp.wait_for_subject("alice@example.com", RESET, 1).await;
    let link = link_in(&letters[0].body, &app.url("/login/reset?token="));
    let path = link.trim_start_matches(&app.url("")).to_owned();
    (app, anonymous, path)
}

#[tokio::test]
async fn an_expired_reset_link_is_refused_and_requests_are_throttled() {
    let smtp = SmtpServer::start();
    let (app, anonymous, path) = alice_with_a_reset_link(&smtp).await;
    // An hour later (moved back in the database).
    let db = server::connect(&app.config).await.unwrap();
    use app::persistence::entities::password_reset;
    password_reset::Entity::update_many()
        .col_expr(
            password_reset::Column::ExpiresAt,
            Expr::value(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)),
        )
        .filter(password_reset::Column::UserId.is_not_null())
        .exec(&db)
        .await
        .unwrap();
    assert!(text(anonymous.get(&path).await)
        .await
        .contains("no longer works"));
    let refused = anonymous
        .post_form(&path, &[("password", NEW_PASSWORD)])
        .await;
    assert!(text(refused).await.contains("no longer works"));
    assert_eq!(
        app.browser().sign_in("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the password is unchanged"
    );
    // Three links an hour per name: the fourth request (the first above
    // counted) is answered alike, and sends nothing (no one can keep the
    // owner from getting a link by asking first, nor learn anything).
    // (One at a time: counts taken at the same moment may refuse each other.)
    for n in 2..=4 {
        let response = anonymous
            .post_form("/login/forgot", &[("identifier", "alice")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        if n <= 3 {
            smtp.wait_for_subject("alice@example.com", RESET, n).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.letters("alice@example.com", RESET).len(), 3);
    // Ten requests an hour per client address: the next is refused, and
    // says when to come back.
    let mut refused = None;
    for n in 0..10 {
        let response = anonymous
            .post_form("/login/forgot", &[("identifier", &format!("name{n}"))])
            .await;
        if response.status() == StatusCode::OK {
            refused = Some(text(response).await);
            break;
        }
    }
    let refused = refused.expect("the address's limit holds");
    assert!(refused.contains("Too many reset links"), "{refused}");
}

#[tokio::test]
async fn invitations_are_emailed_and_the_address_becomes_the_members() {
    let smtp = SmtpServer::start();
    let app = spawn_mailing(&smtp).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let page = text(alice.get("/company/administrators").await).await;
    assert!(page.contains("Email address (optional)"));
    let refused = alice
        .post_form(
            "/company/administrators/invite",
            &[("role", "viewer"), ("email", "bob@")],
        )
        .await;
    assert!(text(refused).await.contains("Enter an email address"));
    let created = alice
        .post_form(
            "/company/administrators/invite",
            &[("role", "viewer"), ("email", "bob@example.com")],
        )
        .await;
    assert!(text(created)
        .await
        .contains("The link is on its way to bob@example.com"));
    let letters = smtp.wait_for("bob@example.com", 1).await;
    assert_eq!(
        letters[0].subject,
        "You are invited to manage Acme on eventurl"
    );
    assert!(letters[0]
        .body
        .contains("alice invites you to join Acme on eventurl as viewer"));
    let link = link_in(&letters[0].body, &app.url("/invitation?token=euinv_"));
    let path = link.trim_start_matches(&app.url("")).to_owned();
    let bob = app.browser();
    let joined = bob
        .post_form(&path, &[("username", "bob"), ("password", PASSWORD)])
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    // Bob's address is the one invited: a reset link reaches him.
    app.browser()
        .post_form("/login/forgot", &[("identifier", "bob")])
        .await;
    let letters = smtp.wait_for("bob@example.com", 2).await;
    assert!(letters
        .iter()
        .any(|l| l.subject == "Reset your eventurl password"));
}

#[tokio::test]
async fn administrators_are_told_of_a_changed_credential_and_an_automatic_pause() {
    let smtp = SmtpServer::start();
    let app = spawn_mailing(&smtp).await;
    let (alice, _vera) = acme_with_emails(&app, &smtp, "vera", app::domain::Role::Viewer).await;
    let receiver = Receiver::start().await;
    let secret = "s3cret-receiver-password";
    let login = [("username", "pbx"), ("password", secret), ("enabled", "on")];
    let missing = receiver.url("/missing");
    alice
        .save_ok(&fields("cdr", "basic", &missing, &login))
        .await;
    let letters = smtp
        .wait_for_subject(
            "alice@example.com",
            "Acme: the CDR Events credential changed",
            1,
        )
        .await;
    assert!(letters[0]
        .body
        .contains("alice changed the credential of Acme's CDR Events: Password set"));
    assert!(!letters[0].body.contains(secret));

    // Two given-up events in a row (404) pause the section: told too.
    let tenant = tenant_id(&app, "Acme").await;
    let pbx = Pbx::new(&app).await;
    for id in ["p1", "p2"] {
        let (status, _) = pbx.send(&tenant, &cdr(id)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let letters = smtp
        .wait_for_subject(
            "alice@example.com",
            "Acme: CDR Events paused automatically",
            1,
        )
        .await;
    let paused = &letters[0];
    assert!(paused.body.contains("its last 2 events were all given up"));
    assert!(paused.body.contains(&receiver.url("/missing")));
    // Viewers are not told (vera was sent her confirmation link only);
    // nothing is left in the outbox.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp
        .messages()
        .iter()
        .all(|m| !m.to.contains("vera@example.com") || m.subject == CONFIRM));
    let db = server::connect(&app.config).await.unwrap();
    assert!(app::persistence::entities::mail_outbox::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn without_smtp_no_reset_is_offered_and_nothing_is_queued() {
    let app = spawn_acme().await;
    let anonymous = app.browser();
    assert!(!text(anonymous.get("/login").await)
        .await
        .contains("Forgot password?"));
    assert!(text(anonymous.get("/login/forgot").await)
        .await
        .contains("This server does not send email"));
    let response = anonymous
        .post_form("/login/forgot", &[("identifier", "alice")])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let alice = Browser::signed_in(&app, "alice").await;
    // An address cannot be confirmed: refused, saying why.
    let refused = refused_email(&alice, "alice@example.com").await;
    assert!(refused.contains("a new address cannot be confirmed"));
    // What would write letters with mail on: nothing is queued.
    let token = [("token", "a-bearer-token-of-ours")];
    let url = "https://hooks.example.com/cdr";
    alice.save_ok(&fields("cdr", "bearer", url, &token)).await;
    let page = text(alice.get("/company/administrators").await).await;
    assert!(!page.contains("Email address (optional)"));
    // A hand-made post with an address is refused, saying why.
    let refused = alice
        .post_form(
            "/company/administrators/invite",
            &[("role", "viewer"), ("email", "bob@example.com")],
        )
        .await;
    assert!(text(refused).await.contains("does not send email"));
    let db = server::connect(&app.config).await.unwrap();
    assert!(app::persistence::entities::mail_outbox::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_reset_link_of_a_suspended_company_says_so() {
    let smtp = SmtpServer::start();
    let (app, anonymous, path) = alice_with_a_reset_link(&smtp).await;
    let db = server::connect(&app.config).await.unwrap();
    use app::persistence::entities::tenant;
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::SuspendedAt,
            Expr::value(time::OffsetDateTime::now_utc()),
        )
        .filter(tenant::Column::Name.eq("Acme"))
        .exec(&db)
        .await
        .unwrap();
    let page = text(anonymous.get(&path).await).await;
    assert!(page.contains("access to eventurl is suspended"), "{page}");
    let refused = anonymous
        .post_form(&path, &[("password", NEW_PASSWORD)])
        .await;
    assert!(text(refused)
        .await
        .contains("access to eventurl is suspended"));
    // And a suspended company's people are sent no link.
    anonymous
        .post_form("/login/forgot", &[("identifier", "alice")])
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.letters("alice@example.com", RESET).len(), 1);
}

/// Where the link's button sends the browser: `confirmed` or back to the
/// link's page (it did not work).
async fn press_confirm(browser: &Browser, link: &str) -> bool {
    let pressed = browser.post_form(link, &[]).await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    let to = pressed.headers()["location"].to_str().unwrap().to_owned();
    match to.as_str() {
        "/email/confirm?confirmed=1" => true,
        back => {
            assert!(back.starts_with("/email/confirm?token=euc_"), "{back}");
            false
        }
    }
}

/// A new address is only used once the link emailed to it is used by the
/// account signed in: until then reset links go to the confirmed address
/// (or nowhere), and the link is one button, once, for 24 hours, the
/// newest only.
#[tokio::test]
async fn a_new_address_is_used_only_once_its_emailed_link_confirms_it() {
    let smtp = SmtpServer::start();
    let app = spawn_mailing(&smtp).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    app.create_member("Acme", "bob", app::domain::Role::Administrator)
        .await;
    let alice = Browser::signed_in(&app, "alice").await;

    // No confirmed address yet: a reset asked for by the pending address
    // or by name goes nowhere.
    let first = ask_for(&app, &smtp, &alice, "first@example.com").await;
    let account = text(alice.get("/account").await).await;
    assert!(account.contains("No confirmed address"), "{account}");
    assert!(account.contains("Waiting for confirmation: first@example.com"));
    let anonymous = app.browser();
    for identifier in ["alice", "first@example.com"] {
        let asked = anonymous
            .post_form("/login/forgot", &[("identifier", identifier)])
            .await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp.letters("first@example.com", RESET).is_empty());
    let token = first.split("token=").nth(1).unwrap();
    assert!(!app.database_holds(token), "only the link's hash is kept");
    let letter = &smtp.letters("first@example.com", CONFIRM)[0];
    assert!(
        !letter.body.contains("alice"),
        "the letter names no account"
    );

    // Whoever reads the link must hold the account too: an anonymous
    // visitor signs in first (and comes back), another member is refused.
    let visit = anonymous.get(&first).await;
    assert_eq!(visit.status(), StatusCode::SEE_OTHER);
    let login = visit.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.starts_with("/login?next=/email/confirm"), "{login}");
    let bob = Browser::signed_in(&app, "bob").await;
    assert!(text(bob.get(&first).await)
        .await
        .contains("another account than the one you are signed in with"));
    assert!(!press_confirm(&bob, &first).await, "bob cannot confirm it");

    // Opening the link confirms nothing (mail scanners open links): its
    // page names the address and has the button.
    let page = text(alice.get(&first).await).await;
    assert!(
        page.contains("Use first@example.com for your account"),
        "{page}"
    );
    assert!(page.contains("Confirm this address"));
    assert!(text(alice.get("/account").await)
        .await
        .contains("Waiting for confirmation: first@example.com"));
    assert!(press_confirm(&alice, &first).await);
    assert!(text(alice.get("/email/confirm?confirmed=1").await)
        .await
        .contains("Email address confirmed"));
    // Once only: back to its page, which says so.
    assert!(!press_confirm(&alice, &first).await);
    let again = text(alice.get(&first).await).await;
    assert!(again.contains("no longer works"), "{again}");
    assert!(
        app.database_holds_in_activity("confirmed their email address first@example.com")
            .await
    );

    // A change: the confirmed address is told of the request and keeps
    // getting reset links until the new one is confirmed; a newer request
    // replaces the older link.
    let older = ask_for(&app, &smtp, &alice, "second@example.com").await;
    let asked = "A change of your eventurl email address was asked for";
    let told = smtp.wait_for_subject("first@example.com", asked, 1).await;
    assert!(told[0]
        .body
        .contains("to change its email address to second@example.com"));
    let newer = ask_for(&app, &smtp, &alice, "third@example.com").await;
    let account = text(alice.get("/account").await).await;
    assert!(account.contains("Confirmed address: first@example.com"));
    assert!(account.contains("Waiting for confirmation: third@example.com"));
    assert!(
        !press_confirm(&alice, &older).await,
        "the older link is closed"
    );
    anonymous
        .post_form("/login/forgot", &[("identifier", "alice")])
        .await;
    let resets = smtp.wait_for_subject("first@example.com", RESET, 1).await;
    let reset = link_in(&resets[0].body, &app.url("/login/reset?token=eur_"));
    let reset = reset.trim_start_matches(&app.url("")).to_owned();
    assert!(press_confirm(&alice, &newer).await);
    // Confirmed: the old address is told, the reset link sent to it works
    // no more, and the next one goes to the new address (never to the
    // replaced one).
    let told = smtp.wait_for_subject("first@example.com", CHANGED, 1).await;
    assert!(told[0].body.contains("now go to third@example.com"));
    assert!(text(anonymous.get(&reset).await)
        .await
        .contains("no longer works"));
    app.browser()
        .post_form("/login/forgot", &[("identifier", "alice")])
        .await;
    smtp.wait_for_subject("third@example.com", RESET, 1).await;
    assert!(smtp.letters("second@example.com", RESET).is_empty());

    // Cancel change: the link works no more, the address stays.
    let cancelled = ask_for(&app, &smtp, &alice, "fourth@example.com").await;
    let response = alice.post_form("/account/email/cancel", &[]).await;
    assert_eq!(response.headers()["location"], "/account?email=cancelled");
    let account = text(alice.get("/account").await).await;
    assert!(!account.contains("fourth@example.com"), "{account}");
    assert!(account.contains("Confirmed address: third@example.com"));
    assert!(!press_confirm(&alice, &cancelled).await);
    assert!(
        app.database_holds_in_activity(
            "cancelled the change of their email address to fourth@example.com"
        )
        .await
    );

    // 24 hours on (moved back in the database), the link works no more
    // and My account says to save the address again.
    let late = ask_for(&app, &smtp, &alice, "fifth@example.com").await;
    let db = server::connect(&app.config).await.unwrap();
    use app::persistence::entities::user;
    user::Entity::update_many()
        .col_expr(
            user::Column::PendingEmailExpiresAt,
            Expr::value(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)),
        )
        .filter(user::Column::Username.eq("alice"))
        .exec(&db)
        .await
        .unwrap();
    assert!(text(alice.get(&late).await)
        .await
        .contains("no longer works"));
    assert!(!press_confirm(&alice, &late).await);
    assert!(text(alice.get("/account").await)
        .await
        .contains("The link sent to fifth@example.com no longer works"));

    // Five links an hour per account (first to fifth): the sixth is
    // refused, saying when to come back, and sends nothing.
    let refused = refused_email(&alice, "sixth@example.com").await;
    assert!(refused.contains("Too many confirmation links were sent"));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(smtp.letters("sixth@example.com", CONFIRM).is_empty());
    assert!(text(alice.get("/account").await)
        .await
        .contains("Confirmed address: third@example.com"));
}

/// Whoever asked for an address change may have had the old password: a
/// password change or reset drops the change waiting for confirmation
/// (its link works no more). Removing the address needs no link; the old
/// address is told and the reset links sent to it close.
#[tokio::test]
async fn a_password_change_or_reset_drops_a_pending_address_and_removal_is_at_once() {
    let smtp = SmtpServer::start();
    let app = spawn_mailing(&smtp).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    set_email(&app, &smtp, &alice, "alice@example.com").await;

    let taken = ask_for(&app, &smtp, &alice, "thief@example.com").await;
    let changed = alice
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert!(!text(alice.get("/account").await)
        .await
        .contains("thief@example.com"));
    assert!(
        !press_confirm(&alice, &taken).await,
        "dropped by the change"
    );

    let taken = ask_for_with(&app, &smtp, &alice, "thief@example.com", NEW_PASSWORD).await;
    let anonymous = app.browser();
    anonymous
        .post_form("/login/forgot", &[("identifier", "alice")])
        .await;
    let resets = smtp.wait_for_subject("alice@example.com", RESET, 1).await;
    let reset = link_in(&resets[0].body, &app.url("/login/reset?token=eur_"));
    let reset = reset.trim_start_matches(&app.url("")).to_owned();
    let done = anonymous
        .post_form(&reset, &[("password", "another fine passphrase 42")])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let alice = Browser::signed_in_with(&app, "alice", "another fine passphrase 42").await;
    assert!(!press_confirm(&alice, &taken).await, "dropped by the reset");
    assert!(text(alice.get("/account").await)
        .await
        .contains("Confirmed address: alice@example.com"));

    // Removal: at once, the old address told, its reset links closed.
    anonymous
        .post_form("/login/forgot", &[("identifier", "alice")])
        .await;
    let resets = smtp.wait_for_subject("alice@example.com", RESET, 2).await;
    let open: Vec<String> = resets
        .iter()
        .map(|l| link_in(&l.body, &app.url("/login/reset?token=eur_")))
        .map(|l| l.trim_start_matches(&app.url("")).to_owned())
        .filter(|l| *l != reset)
        .collect();
    let removed = post_email(&alice, "", "another fine passphrase 42").await;
    assert_eq!(removed.headers()["location"], "/account?email=removed");
    assert!(text(alice.get("/account").await)
        .await
        .contains("No confirmed address"));
    let told = smtp.wait_for_subject("alice@example.com", CHANGED, 1).await;
    assert!(told[0].body.contains("no email address now"));
    assert!(text(anonymous.get(&open[0]).await)
        .await
        .contains("no longer works"));
}

/// A server whose sections alert after 1 s of failures (not 15 minutes).
async fn spawn_alerting(smtp: &SmtpServer) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.smtp_url = Some(smtp.url());
    config.allow_private_targets = "127.0.0.0/8".into();
    config.retry_schedule = "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms"
        .parse()
        .unwrap();
    config.alert_after_seconds = 1;
    config.metrics_token = Some("metrics-token-0123456789abcdef0123456789".into());
    spawn_with(dir, config).await
}

/// Hands in one CDR event for `tenant` and waits until it is `state`.
async fn one_event(app: &TestApp, pbx: &Pbx, tenant: &str, id: &str, state: &str) {
    let (status, _) = pbx.send(tenant, &cdr(id)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    event_in_state(app, id, state).await;
}

#[tokio::test]
async fn a_failing_section_is_alerted_once_an_hour_and_its_recovery_too_to_those_who_want_it() {
    let smtp = SmtpServer::start();
    let app = spawn_alerting(&smtp).await;
    let (alice, bob) = acme_with_emails(&app, &smtp, "bob", app::domain::Role::Administrator).await;

    // Bob switches the alert emails off in My account.
    let page = bob.private_page("/account").await;
    assert!(
        page.contains("Email me when a section fails or recovers"),
        "{page}"
    );
    let switched = bob.post_form("/account/alerts", &[]).await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(switched.headers()["location"], "/account?alerts=off");
    let page = bob.private_page("/account?alerts=off").await;
    assert!(page.contains("Alert emails off"), "{page}");
    assert!(!page.contains(
        r#"id="delivery_alerts" name="delivery_alerts" type="checkbox" value="on" checked"#
    ));

    let receiver = Receiver::start().await;
    let tenant = tenant_id(&app, "Acme").await;
    let pbx = Pbx::new(&app).await;
    alice.save_plain("cdr", &receiver.url("/boom"), true).await;
    // Every attempt fails for over a second: alice is told, once.
    one_event(&app, &pbx, &tenant, "f1", "given_up").await;
    let letters = smtp
        .wait_for_subject("alice@example.com", "Acme: CDR Events failing", 1)
        .await;
    let body = &letters[0].body;
    assert!(body.contains(&receiver.url("/boom")), "{body}");
    assert!(
        body.contains("Last error: Not delivered: 127.0.0.1 answered 500"),
        "{body}"
    );
    assert!(body.contains("/company/deliveries?section=cdr"), "{body}");
    assert!(body.contains("switch them off under My account"), "{body}");

    // It delivers again: told that too.
    alice.save_plain("cdr", &receiver.url("/ok"), true).await;
    one_event(&app, &pbx, &tenant, "ok1", "delivered").await;
    let letters = smtp
        .wait_for_subject("alice@example.com", "Acme: CDR Events delivering again", 1)
        .await;
    assert!(letters[0].body.contains("delivery has recovered"));

    // Failing again within the hour: recorded, not emailed; nor its end.
    alice.save_plain("cdr", &receiver.url("/boom"), true).await;
    one_event(&app, &pbx, &tenant, "f2", "given_up").await;
    alice.save_plain("cdr", &receiver.url("/ok"), true).await;
    one_event(&app, &pbx, &tenant, "ok2", "delivered").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        smtp.letters("alice@example.com", "Acme: CDR Events failing")
            .len(),
        1
    );
    assert_eq!(
        smtp.letters("alice@example.com", "Acme: CDR Events delivering again")
            .len(),
        1
    );
    assert!(
        smtp.messages()
            .iter()
            .all(|m| !m.to.contains("bob@example.com") || m.subject == CONFIRM),
        "bob switched them off"
    );

    // Each moment is in Activity, and counted in /metrics.
    let log = alice.private_page("/company/activity").await;
    assert_eq!(log.matches("has failed for").count(), 2, "{log}");
    assert_eq!(
        log.matches("recovered: an event was delivered").count(),
        2,
        "{log}"
    );
    assert!(log.contains("Alert emails: on → off"), "{log}");
    let metrics = reqwest::Client::new()
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-0123456789abcdef0123456789")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"eventurl_delivery_alerts_total{moment="failing"} 2"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"eventurl_delivery_alerts_total{moment="recovered"} 2"#),
        "{metrics}"
    );
}
