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
