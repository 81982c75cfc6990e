use crate::helpers::*;

#[tokio::test]
async fn migrations_run_again_harmlessly_and_data_survives_a_restart() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = Browser::signed_in(&app, "alice").await;
    let (_, saved) = browser
        .save(&[
            ("kind", "cdr"),
            ("auth_method", "bearer"),
            ("url", "https://r.example/"),
            ("token", "abc"),
            ("enabled", "on"),
        ])
        .await;

    let restarted = spawn_with(tempfile::tempdir().unwrap(), app.config.clone()).await;
    let again = Browser::signed_in(&restarted, "alice").await;
    assert_eq!(again.load().await["cdr"], saved);
}

#[tokio::test]
async fn a_different_key_is_refused_at_start_with_a_clear_error() {
    let app = spawn_app().await;
    let mut other_key = app.config.clone();
    other_key.secret_key = Some(
        app::persistence::crypto::SecretCipher::generate_key()
            .expose_secret()
            .to_owned(),
    );
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
    let message = format!("{:#}", server::prepare(config).await.err().unwrap());
    assert!(message.contains("EVENTURL_SECRET_KEY"), "{message}");
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

use secrecy::ExposeSecret;

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
