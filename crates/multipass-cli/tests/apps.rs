//! `multipass apps` as a user runs it, on the embedded store in a private home folder. The
//! commands that need the keyring (token, rotate-key) are covered by the API's scenarios.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use std::path::Path;
use std::process::Output;
use support::{PASSWORD, json, run};

fn multipass(home: &Path, args: &[&str]) -> Output {
    run(home, args, &[("MULTIPASS_PASSWORD", PASSWORD)])
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
