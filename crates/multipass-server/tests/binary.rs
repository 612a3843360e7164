//! The `multipass-server` binary's start-up checks, run as an operator would run them.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

use sqlx::PgPool;
use std::process::Command;

/// `multipass-server --check` against the test's database, with `extra` settings.
fn check(pool: &PgPool, extra: &[(&str, &str)]) -> std::process::Output {
    let options = pool.connect_options();
    let url = format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres"),
    );
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_multipass-server"));
    command
        .arg("--check")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("DATABASE_URL", url)
        .env("MULTIPASS_PLAIN_HTTP", "true");
    for (name, value) in extra {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_server_starts_only_with_the_deployments_secrets_key(pool: PgPool) {
    multipass_store_postgres::migrator()
        .run(&pool)
        .await
        .unwrap();
    let missing = check(&pool, &[]);
    assert!(!missing.status.success());
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(
        said.contains("MULTIPASS_SECRETS_KEY_FILE") && said.contains("openssl rand -hex 32"),
        "{said}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "not a key").unwrap();
    let malformed = check(
        &pool,
        &[("MULTIPASS_SECRETS_KEY_FILE", bad.to_str().unwrap())],
    );
    assert!(!malformed.status.success());
    let said = String::from_utf8_lossy(&malformed.stderr);
    assert!(said.contains("64 hexadecimal digits"), "{said}");

    let good = dir.path().join("secrets.key");
    std::fs::write(&good, format!("{}\n", "ab".repeat(32))).unwrap();
    let ok = check(
        &pool,
        &[("MULTIPASS_SECRETS_KEY_FILE", good.to_str().unwrap())],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("in order"));
}
