//! The operator's commands, run as the real binary.

use std::io::Write;
use std::process::{Command, Stdio};

fn eventurl(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventurl"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("EVENTURL_SECRET_KEY")
        .env("EVENTURL_DATA_DIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn tenant_and_admin_are_created_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = eventurl(dir.path(), &["tenant", "create", "--name", "Acme"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created tenant \"Acme\""));
    assert!(
        dir.path().join("eventurl.db").exists(),
        "default SQLite file in the data folder"
    );

    let out = eventurl(
        dir.path(),
        &["admin", "create", "--tenant", "Acme", "--username", "alice"],
        "correct horse battery staple\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dup = eventurl(dir.path(), &["tenant", "create", "--name", "Acme"], "");
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));

    let weak = eventurl(
        dir.path(),
        &["admin", "create", "--tenant", "Acme", "--username", "bob"],
        "short\n",
    );
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("12 to 128 characters"));

    let nowhere = eventurl(
        dir.path(),
        &["admin", "create", "--tenant", "Nope", "--username", "carol"],
        "correct horse battery staple\n",
    );
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("no tenant is named"));
}

#[test]
fn help_explains_every_subcommand_and_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = eventurl(dir.path(), &["--help"], "");
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "tenant",
        "admin",
        "DATABASE_URL",
        "LEPTOS_SITE_ADDR",
        "EVENTURL_SECRET_KEY",
        "EVENTURL_DATA_DIR",
        "EVENTURL_SECURE_COOKIE",
        "EVENTURL_SESSION_IDLE_MINUTES",
    ] {
        assert!(help.contains(word), "--help should mention {word}");
    }
}

#[test]
fn a_bad_setting_stops_the_server_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eventurl"))
        .env("LEPTOS_SITE_ADDR", "not-an-address")
        .env("EVENTURL_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("LEPTOS_SITE_ADDR"));
}
