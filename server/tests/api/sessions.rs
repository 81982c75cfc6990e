//! Session records live in the database (any instance reads them) and the
//! expired ones are deleted by the periodic clean-up's own call.

use crate::helpers::*;
use app::persistence::session_store::DbSessionStore;
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
