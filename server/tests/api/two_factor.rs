//! Two-factor sign-in: enrolment by key (the QR code drawn as SVG),
//! confirmation with a code, recovery codes shown once; signing in then
//! needs a code (one step of clock skew, each code once) or a recovery
//! code (once); wrong codes throttled; a company requiring it of everyone.

use reqwest::{header, StatusCode};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{acme_with_alice, acme_with_viewer, assert_page, Browser, TestApp, PASSWORD};

pub(crate) fn now() -> u64 {
    time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .unsigned_abs()
}

/// Posts `path`'s form with a wrong password (refused, saying so), then
/// with the right one: the answer to that.
async fn with_password(browser: &Browser, path: &str) -> reqwest::Response {
    let refused = browser
        .post_text(path, &[("password", "not it at all")])
        .await;
    assert!(
        refused.contains("This is not your current password."),
        "{path}: {refused}"
    );
    browser.post_form(path, &[("password", PASSWORD)]).await
}

/// Sets up two-factor sign-in for the signed-in `browser` on its account
/// page `page` (`/account` for a member, `/provider/account` for an
/// operator): the password first (a borrowed browser enrols no phone), the
/// key beside the QR code, a wrong code refused, then a right one. Its TOTP
/// and its recovery codes.
pub(crate) async fn enrol_at(browser: &Browser, page: &str) -> (TOTP, Vec<String>) {
    let started = with_password(browser, &format!("{page}/two-factor/start")).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        started.headers()[header::LOCATION],
        format!("{page}#two-factor").as_str()
    );
    let shown = browser.text(page).await;
    assert!(shown.contains("<svg"), "the QR code: {shown}");
    let at = shown.find("<code class=\"key\">").expect("the key") + 18;
    let key: String = shown[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let secret = Secret::Encoded(key).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, secret, None, String::new()).unwrap();

    let confirm = format!("{page}/two-factor/confirm");
    let wrong = browser.post_text(&confirm, &[("code", "000000")]).await;
    assert!(wrong.contains("That code is not right"), "{wrong}");
    let code = totp.generate(now());
    let confirmed = browser.post_form(&confirm, &[("code", &code)]).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let confirmed = confirmed.text().await.unwrap();
    let codes: Vec<String> = confirmed
        .split("<li><code>")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{confirmed}");
    (totp, codes)
}

/// A member's enrolment in My account (`enrol_at`).
async fn enrol(browser: &Browser) -> (TOTP, Vec<String>) {
    enrol_at(browser, "/account").await
}

/// Signs in with the password: the next step asks for the code.
pub(crate) async fn password_only(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    let response = browser.sign_in(username, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login/two-factor?next=%2Fcompany%2Fevent-url"
    );
    browser
}

pub(crate) async fn give_code(browser: &Browser, code: &str) -> reqwest::Response {
    browser
        .post_form(
            "/login/two-factor?next=/company/event-url",
            &[("code", code)],
        )
        .await
}

#[tokio::test]
async fn with_two_factor_on_signing_in_needs_a_code_once_within_one_step_or_a_recovery_code_once() {
    let (app, alice) = acme_with_alice().await;
    let (totp, codes) = enrol(&alice).await;
    let page = alice.text("/account").await;
    assert!(page.contains("10 recovery codes left"), "{page}");
    assert!(!page.contains(&codes[0]), "shown only once");
    assert!(!page.contains("<svg"), "no key once confirmed");
    for code in &codes {
        assert!(!app.database_holds(code), "only hashes are kept");
    }
    let tab = alice.text("/company/administrators").await;
    assert!(tab.contains("<td>On</td>"), "{tab}");

    // The password alone signs no one in.
    let browser = password_only(&app, "alice").await;
    assert_eq!(
        browser.get("/company/event-url").await.status(),
        StatusCode::SEE_OTHER
    );
    let page = browser
        .text("/login/two-factor?next=/company/event-url")
        .await;
    assert!(page.contains("Two-factor sign-in"), "{page}");
    // Two steps off: refused. The next step's code (a clock one step
    // ahead): accepted.
    let stale = give_code(&browser, &totp.generate(now() - 60)).await;
    assert_page(stale, StatusCode::OK, "That code is not right").await;
    let ahead = totp.generate(now() + 30);
    let signed_in = give_code(&browser, &ahead).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[header::LOCATION], "/company/event-url");
    assert_eq!(
        browser.get("/company/event-url").await.status(),
        StatusCode::OK
    );

    // The same code again, elsewhere: used.
    let replay = password_only(&app, "alice").await;
    let refused = give_code(&replay, &ahead).await.text().await.unwrap();
    assert!(refused.contains("used already"), "{refused}");

    // A recovery code works once (typed in capitals, without hyphens).
    let lost_phone = give_code(&replay, &codes[3].to_uppercase().replace('-', "")).await;
    assert_eq!(lost_phone.status(), StatusCode::SEE_OTHER);
    let again = password_only(&app, "alice").await;
    let refused = give_code(&again, &codes[3]).await.text().await.unwrap();
    assert!(refused.contains("That code is not right"), "{refused}");
    let page = alice.text("/account").await;
    assert!(page.contains("9 recovery codes left"), "{page}");

    let logged = [
        "turned on two-factor sign-in",
        "signed in (with a two-factor code)",
        "signed in with a recovery code (9 left)",
        "wrong two-factor code",
    ];
    alice.page_holding("/company/activity", &logged).await;

    // Turned off with the password: the password alone signs in again.
    let off = with_password(&alice, "/account/two-factor/off").await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    Browser::signed_in(&app, "alice").await;
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let (app, alice) = acme_with_alice().await;
    let (totp, _) = enrol(&alice).await;
    let browser = password_only(&app, "alice").await;
    let mut last = String::new();
    for _ in 0..6 {
        last = give_code(&browser, "123456").await.text().await.unwrap();
    }
    assert!(last.contains("Too many wrong codes"), "{last}");
    let right = give_code(&browser, &totp.generate(now())).await;
    assert_eq!(right.status(), StatusCode::OK, "even the right code waits");
    assert!(right.text().await.unwrap().contains("Too many wrong codes"));
}

#[tokio::test]
async fn a_company_requiring_two_factor_sends_members_without_it_to_set_it_up_first() {
    let app = acme_with_viewer().await;
    app.create_tenant_with_admin("Other", "bob").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let victor = Browser::signed_in(&app, "victor").await;
    let bob = Browser::signed_in(&app, "bob").await;
    enrol(&alice).await;

    let set = alice
        .post_form("/company/administrators/two-factor", &[("required", "on")])
        .await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);

    // Victor's open session: only My account until he has set it up.
    let sent = victor.get("/company/event-url").await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(sent.headers()[header::LOCATION], "/account?enrol=required");
    let (status, body) = victor.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let page = victor.text("/account?enrol=required").await;
    assert!(
        page.contains("Your company requires two-factor sign-in"),
        "{page}"
    );
    // Another company is not affected; alice has it on already.
    assert_eq!(bob.get("/company/event-url").await.status(), StatusCode::OK);
    assert_eq!(
        alice.get("/company/event-url").await.status(),
        StatusCode::OK
    );

    // His API token is refused too, until then.
    let token = crate::rest::cli_token(&app, "Acme", "victor-ci", "read", Some("victor"));
    let api = crate::rest::Api::new(&app, Some(&token));
    let (status, _, problem) = api.get("/api/v1/event-url").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["title"], "Two-factor sign-in required");

    enrol(&victor).await;
    assert_eq!(
        victor.get("/company/event-url").await.status(),
        StatusCode::OK
    );
    assert_eq!(api.get("/api/v1/event-url").await.0, StatusCode::OK);
    // A lost phone locks no one out: turned off with the password, he is
    // asked to set it up again before anything else.
    let off = victor
        .post_form("/account/two-factor/off", &[("password", PASSWORD)])
        .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    let sent = victor.get("/company/event-url").await;
    assert_eq!(sent.headers()[header::LOCATION], "/account?enrol=required");
    let activity = alice.text("/company/activity").await;
    assert!(
        activity.contains("required two-factor sign-in for everyone"),
        "{activity}"
    );
}
