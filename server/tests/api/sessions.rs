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
    assert_eq!(ids, vec![live.id.to_string()]);
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
    let row = app::persistence::entities::session::Entity::find_by_id(record.id.to_string())
        .one(&db)
        .await
        .unwrap();
    assert!(row.is_none());
}
