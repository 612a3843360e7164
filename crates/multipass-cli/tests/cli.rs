//! The `multipass` binary as admins run it: real process, real settings from the
//! environment, a private home folder per test.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use support::{json, psql, run as multipass, test_server, url_with_database};

#[test]
fn status_changes_nothing_and_migrate_creates_the_embedded_store() {
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("data/multipass/multipass.db");

    let before = multipass(home.path(), &["status", "--json"], &[]);
    assert!(before.status.success(), "{before:?}");
    let report = json(&before);
    assert_eq!(report["backend"], "sqlite");
    assert_eq!(report["schemaVersion"], 0);
    assert_eq!(report["migrationPending"], true);
    assert_eq!(report["location"], store.display().to_string());
    assert!(!store.exists(), "status must not create the store");

    let migrated = multipass(home.path(), &["migrate", "--json"], &[]);
    assert!(migrated.status.success(), "{migrated:?}");
    assert_eq!(
        json(&migrated)["schemaVersion"],
        multipass_store_sqlite::LATEST_SCHEMA_VERSION
    );
    assert!(store.exists());

    let after = json(&multipass(home.path(), &["status", "--json"], &[]));
    assert_eq!(
        (
            after["schemaVersion"].clone(),
            after["migrationPending"].clone()
        ),
        (
            multipass_store_sqlite::LATEST_SCHEMA_VERSION.into(),
            false.into()
        )
    );
    assert_eq!(after["healthy"], true);

    let text = multipass(home.path(), &["status"], &[]);
    let text = String::from_utf8(text.stdout).unwrap();
    let expected = format!(
        "schema version: {}",
        multipass_store_sqlite::LATEST_SCHEMA_VERSION
    );
    assert!(text.contains(&expected), "{text}");
}

#[test]
fn a_malformed_setting_is_named_in_the_error() {
    let home = tempfile::tempdir().unwrap();
    let output = multipass(
        home.path(),
        &["status", "--json"],
        &[("DATABASE_PORT", "fifty")],
    );
    assert_eq!(output.status.code(), Some(1));
    let error = &json(&output)["error"];
    assert_eq!(error["code"], "config");
    assert!(
        error["message"].as_str().unwrap().contains("DATABASE_PORT"),
        "{error}"
    );

    let text = multipass(home.path(), &["migrate"], &[("DATABASE_PORT", "fifty")]);
    assert!(String::from_utf8_lossy(&text.stderr).contains("DATABASE_PORT"));
}

#[test]
fn an_unreachable_database_is_unhealthy_and_keeps_its_password() {
    let home = tempfile::tempdir().unwrap();
    let url = "postgresql://ada:Sup3r-S3cret@127.0.0.1:1/enterprise_db";
    let output = multipass(home.path(), &["status", "--json"], &[("DATABASE_URL", url)]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let report = json(&output);
    assert_eq!(report["backend"], "postgres");
    assert_eq!(report["healthy"], false);
    assert_eq!(report["error"]["code"], "unavailable");
    let everything = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!everything.contains("Sup3r"), "{everything}");

    let migrate = multipass(
        home.path(),
        &["migrate", "--json"],
        &[("DATABASE_URL", url)],
    );
    assert_eq!(migrate.status.code(), Some(2));
    assert_eq!(json(&migrate)["error"]["code"], "unavailable");
}

/// Against the test server in DATABASE_URL: a fresh database, migrated by the CLI.
#[test]
fn migrate_and_status_on_postgres() {
    let server = test_server();
    let name = format!("multipass_cli_{}", std::process::id());
    let admin = |sql: &str| psql(&server, sql);
    admin(&format!("DROP DATABASE IF EXISTS {name}"));
    admin(&format!("CREATE DATABASE {name}"));
    let mut url = url_with_database(&server, &name);
    url.push_str("?application_name=multipass-cli-test");
    let home = tempfile::tempdir().unwrap();

    let before = json(&multipass(
        home.path(),
        &["status", "--json"],
        &[("DATABASE_URL", &url)],
    ));
    assert_eq!(
        (before["backend"].clone(), before["schemaVersion"].clone()),
        ("postgres".into(), 0.into())
    );
    assert_eq!(before["healthy"], true);
    let migrated = multipass(
        home.path(),
        &["migrate", "--json"],
        &[("DATABASE_URL", &url)],
    );
    assert!(migrated.status.success(), "{migrated:?}");
    assert_eq!(
        json(&migrated)["schemaVersion"],
        multipass_store_postgres::LATEST_SCHEMA_VERSION
    );
    let after = json(&multipass(
        home.path(),
        &["status", "--json"],
        &[("DATABASE_URL", &url)],
    ));
    assert_eq!(after["migrationPending"], false);

    admin(&format!("DROP DATABASE {name} WITH (FORCE)"));
}
