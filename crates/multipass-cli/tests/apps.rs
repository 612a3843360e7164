//! `multipass apps` as a user runs it, on the embedded store in a private home folder. The
//! commands that need the keyring (token, rotate-key) are covered by the API's scenarios.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn multipass(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_multipass"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("MULTIPASS_PASSWORD", "correct horse battery staple")
        .output()
        .expect("run multipass")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn error_of(output: &Output) -> (String, Option<String>) {
    assert!(!output.status.success(), "{output:?}");
    let error = &json(output)["error"];
    (
        error["code"].as_str().unwrap().to_owned(),
        error["field"].as_str().map(str::to_owned),
    )
}

#[test]
fn apps_commands_answer_in_json_and_check_who_is_asking() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    let jwks = multipass(home, &["apps", "jwks", "--json"]);
    assert!(jwks.status.success(), "{jwks:?}");
    assert_eq!(json(&jwks), serde_json::json!({ "keys": [] }));

    let signed_out = multipass(home, &["apps", "list", "--json"]);
    assert_eq!(error_of(&signed_out).0, "unauthenticated");

    let signed_up = multipass(
        home,
        &[
            "sign-up",
            "--json",
            "--full-name",
            "Bob Byte",
            "--email",
            "bob@example.com",
            "--username",
            "bob",
        ],
    );
    assert!(signed_up.status.success(), "{signed_up:?}");

    let register = multipass(
        home,
        &[
            "apps",
            "register",
            "payroll",
            "--display-name",
            "Payroll",
            "--category",
            "finance",
            "--api-base-url",
            "https://payroll.example.com",
            "--scope",
            "wallet:read",
            "--json",
        ],
    );
    assert_eq!(error_of(&register).0, "forbidden");

    let install = multipass(home, &["apps", "install", "payroll", "--json"]);
    assert_eq!(
        error_of(&install),
        ("not_found".to_owned(), Some("name".to_owned()))
    );
    let bad_name = multipass(home, &["apps", "install", "Not A Name", "--json"]);
    assert_eq!(
        error_of(&bad_name),
        ("invalid_input".to_owned(), Some("name".to_owned()))
    );

    let events = multipass(home, &["apps", "events", "--json"]);
    assert!(events.status.success(), "{events:?}");
    assert_eq!(
        json(&events),
        serde_json::json!({ "events": [], "nextCursor": null })
    );
    let list = multipass(home, &["apps", "list", "--json"]);
    assert_eq!(json(&list), serde_json::json!([]));
}
