//! Provider operators have what members have: two-factor sign-in with
//! recovery codes (required of all with `EVENTURL_OPERATOR_2FA=required`),
//! a password change in the console, failed sign-ins in the operators'
//! log, and the command line's `operator list | remove | set-password`
//! (a removed operator's sessions end at once).

use reqwest::{header, StatusCode};
use std::io::Write;
use totp_rs::TOTP;

use crate::{
    helpers::{spawn_acme, spawn_configured, Browser, TestApp, PASSWORD},
    provider::{create_operator, operator},
    two_factor::{give_code, now, password_only},
};

/// `eventurl operator …` run by the real binary; `stdin` is the password
/// line where one is read.
fn run(app: &TestApp, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = crate::cli::binary(app._dir.path())
        .env(
            "DATABASE_URL",
            app.config.database_url.clone().unwrap_or_default(),
        )
        .arg("operator")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(line) = stdin {
        writeln!(input, "{line}").unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// Turns on two-factor sign-in on the operator's account page, as a
/// member does on theirs (`two_factor::enrol_at`).
async fn enrol(operator: &Browser) -> (TOTP, Vec<String>) {
    crate::two_factor::enrol_at(operator, "/provider/account").await
}

#[tokio::test]
async fn an_operator_with_two_factor_on_signs_in_with_a_code_or_a_recovery_code_once() {
    let app = spawn_acme().await;
    let olivia = operator(&app, "olivia").await;
    let (totp, codes) = enrol(&olivia).await;
    let page = olivia.text("/provider/account").await;
    assert!(page.contains("10 recovery codes left"), "{page}");
    for code in &codes {
        assert!(!app.database_holds(code), "only hashes are kept");
    }

    // The password alone opens nothing; a wrong code is refused and
    // logged; the right one lands on the console (not the tenant page
    // the form named).
    let browser = password_only(&app, "olivia").await;
    assert_eq!(
        browser.get("/provider/tenants").await.status(),
        StatusCode::SEE_OTHER
    );
    let wrong = give_code(&browser, "000000").await.text().await.unwrap();
    assert!(wrong.contains("That code is not right"), "{wrong}");
    let code = totp.generate(now() + 30);
    let signed_in = give_code(&browser, &code).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[header::LOCATION], "/provider/tenants");
    assert_eq!(
        browser.get("/provider/tenants").await.status(),
        StatusCode::OK
    );
    // The same code again: used.
    let replay = password_only(&app, "olivia").await;
    let refused = give_code(&replay, &code).await.text().await.unwrap();
    assert!(refused.contains("used already"), "{refused}");
    // A recovery code, once.
    let lost_phone = give_code(&replay, &codes[2]).await;
    assert_eq!(lost_phone.status(), StatusCode::SEE_OTHER);
    let again = password_only(&app, "olivia").await;
    let refused = give_code(&again, &codes[2]).await.text().await.unwrap();
    assert!(refused.contains("That code is not right"), "{refused}");

    // All of it in the operators' log; none of it in a tenant's.
    let log = olivia.text("/provider/activity").await;
    for part in [
        "Two-factor sign-in on",
        "Sign-in refused",
        "wrong two-factor code",
        "signed in (with a two-factor code)",
        "signed in with a recovery code (9 left)",
    ] {
        assert!(log.contains(part), "{part:?} missing from {log}");
    }
    assert!(
        !app.database_holds_in_activity("wrong two-factor code")
            .await
    );

    // Turned off with the password: the password alone signs in again.
    let off = olivia
        .post_form(
            "/provider/account/two-factor/off",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.browser().sign_in("olivia", PASSWORD).await.headers()[header::LOCATION],
        "/provider/tenants"
    );
    olivia
        .page_holding("/provider/activity", &["Two-factor sign-in off"])
        .await;
}

#[tokio::test]
async fn when_required_an_operator_without_two_factor_sets_it_up_before_anything_else() {
    let app = spawn_configured(|config| {
        config.operator_two_factor = server::config::OperatorTwoFactor::Required;
    })
    .await;
    app.create_tenant_with_admin("Acme", "alice").await;
    create_operator(&app, "olivia");
    let olivia = app.browser();
    let signed_in = olivia.sign_in("olivia", PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);

    let sent = olivia.get("/provider/tenants").await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sent.headers()[header::LOCATION],
        "/provider/account?enrol=required"
    );
    let suspend = olivia
        .post_form("/provider/tenants/suspend", &[("id", "1")])
        .await;
    assert_eq!(suspend.status(), StatusCode::FORBIDDEN);
    let (status, _) = olivia.server_fn("list_tenants", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    olivia
        .page_holding(
            "/provider/account?enrol=required",
            &["Your provider requires two-factor sign-in of every operator"],
        )
        .await;

    enrol(&olivia).await;
    assert_eq!(
        olivia.get("/provider/tenants").await.status(),
        StatusCode::OK
    );
    // Members are not affected by the operators' rule.
    let alice = Browser::signed_in(&app, "alice").await;
    assert_eq!(
        alice.get("/company/event-url").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_operator_changes_their_password_in_the_console_and_their_other_sessions_end() {
    let app = spawn_acme().await;
    let olivia = operator(&app, "olivia").await;
    let elsewhere = app.browser();
    assert_eq!(
        elsewhere.sign_in("olivia", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let new_password = "a quite different passphrase 42";

    let wrong = olivia
        .post_text(
            "/provider/account/password",
            &[("current_password", "nope"), ("new_password", new_password)],
        )
        .await;
    assert!(
        wrong.contains("This is not your current password."),
        "{wrong}"
    );
    let weak = olivia
        .post_text(
            "/provider/account/password",
            &[("current_password", PASSWORD), ("new_password", "olivia")],
        )
        .await;
    assert!(weak.contains("Password not changed"), "{weak}");

    let changed = olivia
        .post_form(
            "/provider/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        changed.headers()[header::LOCATION],
        "/provider/account?password=changed&ended=1&tokens=0"
    );
    assert_eq!(
        olivia.get("/provider/tenants").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        elsewhere.get("/provider/tenants").await.status(),
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    assert_eq!(
        app.sign_in_status("olivia", PASSWORD).await,
        StatusCode::OK,
        "the old password is refused (the form again)"
    );
    assert_eq!(
        app.sign_in_status("olivia", new_password).await,
        StatusCode::SEE_OTHER
    );
    olivia
        .page_holding(
            "/provider/activity",
            &["Password changed", "1 other session signed out"],
        )
        .await;
}

#[tokio::test]
async fn a_failed_operator_sign_in_is_in_the_operators_log() {
    let app = spawn_acme().await;
    create_operator(&app, "olivia");
    assert_eq!(
        app.sign_in_status("olivia", "not the password").await,
        StatusCode::OK
    );
    let olivia = Browser::signed_in(&app, "olivia").await;
    olivia
        .page_holding(
            "/provider/activity",
            &["Sign-in refused", "wrong username or password"],
        )
        .await;
    assert!(!app.database_holds_in_activity("olivia").await);
}

#[tokio::test]
async fn the_command_line_lists_removes_and_sets_passwords_of_operators_ending_their_sessions() {
    let app = spawn_acme().await;
    let olivia = operator(&app, "olivia").await;
    let oscar = operator(&app, "oscar").await;

    let (ok, listed) = run(&app, &["list"], None);
    assert!(ok, "{listed}");
    assert!(
        listed.contains("USERNAME\tCREATED\tLAST SIGN-IN\tTWO-FACTOR"),
        "{listed}"
    );
    let olivia_line = listed.lines().find(|l| l.starts_with("olivia\t")).unwrap();
    assert!(olivia_line.ends_with("\toff"), "{olivia_line}");
    assert!(listed.lines().any(|l| l.starts_with("oscar\t")), "{listed}");

    // A new password: her session ends at once, the new one signs in.
    let new_password = "another long passphrase 7";
    let (ok, said) = run(
        &app,
        &["set-password", "--username", "olivia"],
        Some("short"),
    );
    assert!(!ok, "a weak password is refused: {said}");
    let (ok, said) = run(
        &app,
        &["set-password", "--username", "olivia"],
        Some(new_password),
    );
    assert!(ok, "{said}");
    assert!(said.contains("1 session(s) ended"), "{said}");
    assert_eq!(
        olivia.get("/provider/tenants").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.sign_in_status("olivia", new_password).await,
        StatusCode::SEE_OTHER
    );

    // Removed: his open session ends on the next request; he cannot sign
    // in; removing him again says there is no such operator.
    let (ok, said) = run(&app, &["remove", "--username", "oscar"], None);
    assert!(ok, "{said}");
    assert_eq!(
        oscar.get("/provider/tenants").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.sign_in_status("oscar", PASSWORD).await, StatusCode::OK);
    let (ok, said) = run(&app, &["remove", "--username", "oscar"], None);
    assert!(!ok);
    assert!(said.contains("no operator is named \"oscar\""), "{said}");
    let (_, listed) = run(&app, &["list"], None);
    assert!(!listed.contains("oscar"), "{listed}");

    let olivia = Browser::signed_in_with(&app, "olivia", new_password).await;
    olivia
        .page_holding(
            "/provider/activity",
            &[
                "Password set (command line)",
                "Operator removed (command line)",
            ],
        )
        .await;
}

/// A name that looks like a member's or operator's (Unicode TR39's
/// confusables, case, width) is refused everywhere a name is chosen: the
/// command line (members and operators) and an invitation's form, with a
/// message that says why and names no one.
#[tokio::test]
async fn look_alike_usernames_are_refused_with_a_clear_message() {
    let app = spawn_acme().await;
    let db = server::connect(&app.config).await.unwrap();
    for look_alike in ["Alice", "\u{430}lice", "\u{ff41}lice"] {
        let refused = app::accounts::create_admin(
            &db,
            "Acme",
            app::accounts::NewAdmin {
                username: look_alike.into(),
                password: PASSWORD.to_owned().into(),
                role: app::domain::Role::Viewer,
            },
        )
        .await;
        assert!(
            matches!(
                refused,
                Err(app::accounts::AccountError::UsernameLookAlike(_))
            ),
            "{look_alike:?}: {refused:?}"
        );
    }
    let (ok, said) = run(
        &app,
        &["create", "--username", "\u{430}lice"],
        Some(PASSWORD),
    );
    assert!(!ok);
    assert!(said.contains("looks like one that is taken"), "{said}");
    create_operator(&app, "olivia");

    let alice = Browser::signed_in(&app, "alice").await;
    let invited = alice
        .post_text("/company/administrators/invite", &[("role", "viewer")])
        .await;
    let start = invited.find("/invitation?token=euinv_").unwrap();
    let path: String = invited[start..].chars().take_while(|c| *c != '"').collect();
    let stranger = app.browser();
    let refused = stranger
        .post_text(&path, &[("username", "OLIVIA"), ("password", PASSWORD)])
        .await;
    assert!(
        refused.contains("looks like one that is taken (letters that look alike, or differ only in case or width)"),
        "{refused}"
    );
    // The invitation still works, for a name of one's own.
    let joined = stranger
        .post_form(&path, &[("username", "oliver"), ("password", PASSWORD)])
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
}
