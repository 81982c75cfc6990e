//! Correctness of writes: a change names the version it is based on or is
//! refused (400, nothing written), and a change, its version bump and its
//! activity entry commit together or not at all.

use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

const NO_VERSION: &str = "This request does not say which version of the settings it was based on";

#[tokio::test]
async fn a_change_without_a_readable_version_is_refused_with_400_and_writes_nothing() {
    let (app, browser) = acme_with_alice().await;
    let url = "https://blind.example/";
    let blind = fields("cdr", "disable", url, &[("enabled", "on")]);
    for version in [None, Some(""), Some("seven"), Some("1.5")] {
        let mut form = blind.clone();
        if let Some(version) = version {
            form.push(("version", version));
        }
        let (status, error) = browser.save_exactly(&form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{version:?}: {error}");
        assert!(error["BadRequest"].as_str().unwrap().contains(NO_VERSION));

        let plain = browser.post_form("/company/event-url", &form).await;
        assert_eq!(plain.status(), StatusCode::BAD_REQUEST, "{version:?}");
        assert!(plain.text().await.unwrap().contains(NO_VERSION));

        let (status, error) = browser
            .set_enabled("cdr", false, version.unwrap_or(""))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{version:?}: {error}");

        let mut switch = vec![("kind", "cdr"), ("enabled", "false"), ("confirmed", "yes")];
        if let Some(version) = version {
            switch.push(("version", version));
        }
        let plain = browser
            .post_form("/company/event-url/switch", &switch)
            .await;
        assert_eq!(plain.status(), StatusCode::BAD_REQUEST, "{version:?}");
    }
    let loaded = browser.load().await;
    assert_eq!(loaded["cdr"]["version"], 1, "nothing was written");
    assert_eq!(loaded["cdr"]["url"], "");
    assert!(!app.database_holds_in_activity("blind.example").await);
}

/// The activity log made unwritable (its table renamed away, on SQLite and
/// PostgreSQL alike): the save and the switch fail, and neither the
/// endpoint nor its version changes.
#[tokio::test]
async fn a_change_whose_activity_entry_cannot_be_written_is_not_made() {
    let (app, browser) = acme_with_alice().await;
    browser
        .save_plain("cdr", "https://kept.example/", true)
        .await;
    let db = server::connect(&app.config).await.unwrap();
    db.execute_unprepared("ALTER TABLE activity RENAME TO activity_away")
        .await
        .unwrap();

    let url = "https://lost.example/";
    let lost = fields("cdr", "disable", url, &[("version", "2")]);
    let (status, error) = browser.save_exactly(&lost).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{error}");
    let (status, _) = browser.set_enabled("cdr", false, "2").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);

    db.execute_unprepared("ALTER TABLE activity_away RENAME TO activity")
        .await
        .unwrap();
    let loaded = browser.load().await;
    assert_eq!(loaded["cdr"]["url"], "https://kept.example/");
    assert_eq!(loaded["cdr"]["enabled"], true);
    assert_eq!(loaded["cdr"]["version"], 2, "no version bump either");
    // And with the log back, the same change goes through, logged.
    let (status, _) = browser.save_exactly(&lost).await;
    assert_eq!(status, StatusCode::OK);
    assert!(app.database_holds_in_activity("lost.example").await);
}
