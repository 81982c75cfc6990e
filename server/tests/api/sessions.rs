//! Session records live in the database (any instance reads them) and the
//! expired ones are deleted by the periodic clean-up's own call.

use crate::helpers::*;
use app::persistence::session_store::DbSessionStore;
use reqwest::{header, StatusCode};
use std::collections::HashMap;
use tower_sessions::{
    session::{Id, Record},
    ExpiredDeletion, SessionStore,
};

#[tokio::test]
async fn expired_sessions_are_deleted_and_live_ones_kept() {
    let app = spawn_app().await;
    let db = server::connect(&app.config).await.unwrap();
    let store = DbSessionStore::new(db.clone());
    let now = time::OffsetDateTime::now_utc();
    let mut expired = Record {
        id: Id::default(),
        data: HashMap::new(),
        expiry_date: now - time::Duration::minutes(1),
    };
    let mut live = Record {
        id: Id::default(),
        data: HashMap::new(),
        expiry_date: now + time::Duration::hours(1),
    };
    store.create(&mut expired).await.unwrap();
    store.create(&mut live).await.unwrap();

    store.delete_expired().await.unwrap();
    assert!(store.load(&live.id).await.unwrap().is_some());
    // Gone from the table, not merely hidden by `load`'s expiry check.
    use sea_orm::EntityTrait;
    let ids: Vec<String> = app::persistence::entities::session::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    // Stored under its hash: the table holds no cookie value.
    assert_ne!(ids[0], live.id.to_string());
    assert!(ids[0].len() == 64 && ids[0].chars().all(|c| c.is_ascii_hexdigit()));
}

/// The idle timeout counts from the last request, not from sign-in: a
/// request after a tenth of the timeout writes the session again (later
/// expiry, cookie re-issued); one right after that does not write.
#[tokio::test]
async fn activity_keeps_a_session_alive_without_a_write_per_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.session_idle_minutes = 1; // written again after 6 s
    let app = spawn_with(dir, config).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = Browser::signed_in(&app, "alice").await;
    let db = server::connect(&app.config).await.unwrap();
    let expiry = || async {
        use sea_orm::EntityTrait;
        let rows = app::persistence::entities::session::Entity::find()
            .all(&db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "one session");
        rows[0].expires_at
    };
    let signed_in_until = expiry().await;

    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let page = browser.get("/company/event-url").await;
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = page
        .headers()
        .get(header::SET_COOKIE)
        .expect("the cookie is re-issued")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("Max-Age=60"), "{cookie}");
    let extended = expiry().await;
    assert!(
        extended >= signed_in_until + 7,
        "{signed_in_until} → {extended}"
    );

    let again = browser.get("/company/event-url").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.headers().get(header::SET_COOKIE).is_none());
    assert_eq!(expiry().await, extended, "no write within the interval");
}

#[tokio::test]
async fn a_deleted_session_is_not_brought_back_by_a_late_save() {
    let app = spawn_app().await;
    let db = server::connect(&app.config).await.unwrap();
    let store = DbSessionStore::new(db.clone());
    let mut record = Record {
        id: Id::default(),
        data: HashMap::new(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_some());
    // Signed out while another request, holding the record, was under way;
    // that request then saves (a keep-alive, say).
    store.delete(&record.id).await.unwrap();
    record
        .data
        .insert("seen".into(), serde_json::Value::from(1));
    store.save(&record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
    // Gone from the table too, for every instance.
    use sea_orm::EntityTrait;
    let rows = app::persistence::entities::session::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert!(rows.is_empty());
}

/// The table holds a hash of each session id, not the cookie value: a
/// copy of the database signs nobody in.
#[tokio::test]
async fn session_ids_are_stored_hashed_so_a_stored_key_is_no_cookie() {
    let app = spawn_acme().await;
    let response = app.browser().sign_in("alice", PASSWORD).await;
    let cookie = session_cookie(&response).expect("a session cookie");
    let value = cookie
        .trim_start_matches("eventurl_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let db = server::connect(&app.config).await.unwrap();
    use sea_orm::EntityTrait;
    let rows = app::persistence::entities::session::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].id, value);
    assert!(!app.database_holds(&value), "the cookie value is stored");
    // The stored key, presented as a cookie, is nobody's session.
    let forged = format!("eventurl_session={}", rows[0].id);
    let forged = replayed(&app.url("/company/event-url"), &forged).await;
    assert_eq!(forged, StatusCode::SEE_OTHER);
}

/// However active, a sign-in ends 7 days after it began.
#[tokio::test]
async fn a_sign_in_ends_after_its_absolute_lifetime_however_active() {
    let app = spawn_acme().await;
    let browser = Browser::signed_in(&app, "alice").await;
    assert_eq!(
        browser.get("/company/event-url").await.status(),
        StatusCode::OK
    );
    // Move the sign-in 7 days and a minute into the past (the idle expiry
    // stays in the future, as for an admin active all week).
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let db = server::connect(&app.config).await.unwrap();
    let row = app::persistence::entities::session::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let mut record: Record = serde_json::from_slice(&row.data).unwrap();
    let signed_in = record.data["signed_in_at"].as_i64().expect("signed_in_at");
    let week_ago = signed_in - 7 * 24 * 3600 - 60;
    record
        .data
        .insert("signed_in_at".into(), serde_json::Value::from(week_ago));
    let mut active = row.clone().into_active_model();
    active.data = Set(serde_json::to_vec(&record).unwrap());
    active.expires_at = Set(row.expires_at + 3600);
    active.update(&db).await.unwrap();

    let page = browser.get("/company/event-url").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "signed out");
    assert!(page.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}
