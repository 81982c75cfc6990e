use crate::helpers::*;

#[tokio::test]
async fn migrations_run_again_harmlessly_and_data_survives_a_restart() {
    let (app, browser) = acme_with_alice().await;
    let token = [("token", "abc"), ("enabled", "on")];
    let (_, saved) = browser
        .save(&fields("cdr", "bearer", "https://r.example/", &token))
        .await;

    let restarted = spawn_with(tempfile::tempdir().unwrap(), app.config.clone()).await;
    let again = Browser::signed_in(&restarted, "alice").await;
    assert_eq!(again.load().await["cdr"], saved);
}

#[tokio::test]
async fn a_different_key_is_refused_at_start_with_a_clear_error() {
    let app = spawn_app().await;
    let mut other_key = app.config.clone();
    other_key.secret_key = Some(new_secret_key());
    let error = server::prepare(other_key)
        .await
        .err()
        .expect("start must fail");
    let message = format!("{error:#}");
    assert!(message.contains("EVENTURL_SECRET_KEY"), "{message}");
    assert!(message.contains("use the original key"), "{message}");
}

#[tokio::test]
async fn bad_settings_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.database_url = Some("mysql://x".into());
    let message = format!("{:#}", server::prepare(config.clone()).await.err().unwrap());
    assert!(message.contains("DATABASE_URL"), "{message}");
    config.database_url = None;
    config.secret_key = Some("too short".into());
    let message = format!("{:#}", server::prepare(config.clone()).await.err().unwrap());
    assert!(message.contains("EVENTURL_SECRET_KEY"), "{message}");
    // A guessable metrics token (under 32 characters) stops the start;
    // 32 starts.
    config.secret_key = Some(new_secret_key());
    config.metrics_token = Some("metrics-token-1".into());
    let message = format!("{:#}", server::prepare(config.clone()).await.err().unwrap());
    assert!(
        message.contains("EVENTURL_METRICS_TOKEN is 15 characters long: use at least 32"),
        "{message}"
    );
    config.metrics_token = Some("x".repeat(32));
    server::prepare(config).await.expect("a 32-character token");
}

#[tokio::test]
async fn without_a_key_setting_a_key_file_is_created_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.secret_key = None;
    let first = spawn_with(tempfile::tempdir().unwrap(), config.clone()).await;
    assert!(dir.path().join("secret.key").exists());
    drop(first);
    // The same key file opens the same database again.
    server::prepare(config)
        .await
        .expect("restart with the key file");
}

/// The data folder eventurl creates, its SQLite files and its key file are
/// the owner's alone (sessions, hashes and encrypted secrets live there);
/// a database file an earlier version left readable is tightened.
#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let mut config = test_config(&parent);
    config.data_dir = data.clone();
    config.database_url = None;
    config.secret_key = None;
    let app = spawn_with(tempfile::tempdir().unwrap(), config.clone()).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    Browser::signed_in(&app, "alice").await;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("eventurl.db")), 0o600);
    assert_eq!(mode(&data.join("secret.key")), 0o600);
    let wal = data.join("eventurl.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    drop(app);
    // An earlier version's 0644 file is made private at start.
    std::fs::set_permissions(
        data.join("eventurl.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    server::prepare(config).await.expect("restart");
    assert_eq!(mode(&data.join("eventurl.db")), 0o600);
}

/// Migration 12 moves each section's last attempt out of the events' index
/// (into the hour's counts) and, on SQLite, rebuilds the search terms'
/// table: a database of the version before keeps both.
#[tokio::test]
async fn an_older_database_keeps_its_last_attempts_and_search_terms_through_the_upgrade() {
    use app::persistence::raw_sql::statement;
    use migrations::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    use time::{macros::datetime, OffsetDateTime};

    let dir = tempfile::tempdir().unwrap();
    // Opened as it is (`server::connect` would apply every migration).
    let url = crate::database::database_url_for(dir.path());
    let url = if url.starts_with("sqlite:") {
        format!("{url}?mode=rwc")
    } else {
        url
    };
    let db = sea_orm::Database::connect(url).await.unwrap();
    Migrator::up(&db, Some(11)).await.unwrap();
    let backend = db.get_database_backend();
    // A tenant and its two endpoints as that version made them.
    let made = datetime!(2026-11-19 09:00:00 UTC);
    db.execute_raw(statement(
        backend,
        "INSERT INTO tenants (name, created_at) VALUES ('Acme', ?)",
        vec![made.into()],
    ))
    .await
    .unwrap();
    let tenant_id: i32 = db
        .query_one_raw(statement(backend, "SELECT id FROM tenants", vec![]))
        .await
        .unwrap()
        .expect("the tenant")
        .try_get("", "id")
        .unwrap();
    for kind in ["cdr", "extension"] {
        db.execute_raw(statement(
            backend,
            "INSERT INTO endpoints (tenant_id, kind, auth_method, enabled, version, created_at, updated_at) \
             VALUES (?, ?, 'disable', ?, 1, ?, ?)",
            vec![tenant_id.into(), kind.into(), false.into(), made.into(), made.into()],
        ))
        .await
        .unwrap();
    }
    struct Tenant {
        id: i32,
    }
    let tenant = Tenant { id: tenant_id };
    let older = datetime!(2026-11-20 10:15:00 UTC);
    let newer = datetime!(2026-11-21 08:59:30 UTC);
    for (uid, at, status) in [("a", older, 200), ("b", newer, 503)] {
        db.execute_raw(statement(
            backend,
            "INSERT INTO events (tenant_id, event_uid, section, event_type, body, state, attempts, \
             next_attempt_at, last_status, last_attempt_at, created_at, finished_at, manual) \
             VALUES (?, ?, 'cdr', 'call_cdr', ?, 'given_up', 1, ?, ?, ?, ?, ?, ?)",
            vec![
                tenant.id.into(),
                uid.into(),
                vec![1u8, 2, 3].into(),
                at.into(),
                status.into(),
                at.into(),
                at.into(),
                at.into(),
                false.into(),
            ],
        ))
        .await
        .unwrap();
    }
    db.execute_raw(statement(
        backend,
        "INSERT INTO event_refs (tenant_id, term, created_at, event_id) \
         SELECT tenant_id, ?, created_at, id FROM events",
        vec![vec![7u8; 16].into()],
    ))
    .await
    .unwrap();

    Migrator::up(&db, None).await.unwrap();
    // The migration's second half, run by the server at start: each
    // endpoint gets its own signing secret, once.
    let cipher = app::persistence::crypto::SecretCipher::for_testing();
    let given = app::persistence::signing::give_missing(&db, &cipher)
        .await
        .unwrap();
    assert_eq!(given, 2, "both endpoints");
    assert_eq!(
        app::persistence::signing::give_missing(&db, &cipher)
            .await
            .unwrap(),
        0,
        "given once"
    );
    let rows = <app::persistence::entities::endpoint::Entity as sea_orm::EntityTrait>::find()
        .all(&db)
        .await
        .unwrap();
    let secrets: Vec<String> = rows
        .iter()
        .map(|row| {
            app::persistence::signing::current_of(&cipher, row)
                .unwrap()
                .expose()
                .to_owned()
        })
        .collect();
    assert_eq!(secrets.len(), 2);
    assert_ne!(secrets[0], secrets[1], "each its own");
    let [cdr, extension] =
        app::delivery::summary::counts(&db, tenant.id, OffsetDateTime::now_utc())
            .await
            .unwrap();
    assert_eq!(cdr.last_attempt, Some((newer, Some(503))));
    assert_eq!(extension.last_attempt, None);
    let refs = db
        .query_all_raw(statement(
            backend,
            "SELECT event_id FROM event_refs WHERE tenant_id = ?",
            vec![tenant.id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(refs.len(), 2, "the search terms are kept");
    // A purge still takes an event's terms with it (the cascade's index).
    db.execute_raw(statement(
        backend,
        "DELETE FROM events WHERE event_uid = 'a'",
        vec![],
    ))
    .await
    .unwrap();
    let refs = db
        .query_all_raw(statement(
            backend,
            "SELECT event_id FROM event_refs",
            vec![],
        ))
        .await
        .unwrap();
    assert_eq!(refs.len(), 1);
}
