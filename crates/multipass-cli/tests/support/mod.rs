//! Running the real `multipass` binary as a user would: a private home folder, a clean
//! environment, and standard input closed so that a missing secret fails instead of waiting.

#![allow(dead_code)] // each test file uses its own share of these

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const PASSWORD: &str = "correct horse battery staple";

/// Ada's sign-up (her password from `MULTIPASS_PASSWORD`).
pub const SIGN_UP_ADA: [&str; 7] = [
    "sign-up",
    "--full-name",
    "Ada Lovelace",
    "--email",
    "ada@example.com",
    "--username",
    "ada",
];

/// `multipass ARGS` with `home` as HOME and XDG folders and only `env` added.
pub fn run(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_multipass"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdin(Stdio::null());
    // The keyring, where a test has one, lives on the test's private session bus.
    if let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
        command.env("DBUS_SESSION_BUS_ADDRESS", bus);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run multipass")
}

/// The JSON document on stdout, or a panic that shows what was printed instead.
pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The test server in DATABASE_URL.
pub fn test_server() -> String {
    std::env::var("DATABASE_URL").expect("DATABASE_URL pointing at a PostgreSQL test server")
}

/// Runs one statement on `server` with psql, failing the test when it fails.
pub fn psql(server: &str, sql: &str) {
    let out = Command::new("psql")
        .args([server, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `server`'s URL with another database name.
pub fn url_with_database(server: &str, database: &str) -> String {
    let base = server.split('?').next().unwrap_or(server);
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    format!("{prefix}/{database}")
}
