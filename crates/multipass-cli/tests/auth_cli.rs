//! `multipass auth ...` and `sign-in --totp` as a real process on the embedded store, with
//! secrets passed through the environment only.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use multipass_domain::totp::{self, TotpSecret};
use serde_json::Value;
use std::process::Output;
use support::{PASSWORD, json, run as multipass};

fn ok(output: Output) -> Value {
    assert!(output.status.success(), "{output:?}");
    json(&output)
}

fn code_at_offset(secret: &TotpSecret, offset: u64) -> String {
    totp::code_at(secret, totp::step_of(chrono::Utc::now()) + offset)
}

#[test]
fn totp_sign_in_sessions_backup_codes_and_events() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let password = [("MULTIPASS_PASSWORD", PASSWORD)];
    ok(multipass(
        home,
        &[
            "sign-up",
            "--json",
            "--full-name",
            "Ada Lovelace",
            "--email",
            "ada@example.com",
            "--username",
            "ada",
        ],
        &password,
    ));

    let qr = home.join("qr.svg");
    let enrolment = ok(multipass(
        home,
        &["auth", "totp-enrol", "--json", "--qr", qr.to_str().unwrap()],
        &[],
    ));
    assert!(std::fs::read_to_string(&qr).unwrap().contains("<svg"));
    let secret = TotpSecret::parse(enrolment["secret"].as_str().unwrap()).unwrap();
    let confirmed = ok(multipass(
        home,
        &["auth", "totp-confirm", "--json"],
        &[("MULTIPASS_TOTP_CODE", &code_at_offset(&secret, 0))],
    ));
    assert_eq!(confirmed["totpEnabled"], true);

    let without = multipass(home, &["sign-in", "--json", "--username", "ada"], &password);
    assert_eq!(without.status.code(), Some(1));
    let error = &json(&without)["error"];
    assert_eq!(error["code"], "second_factor_required");
    assert!(error["message"].as_str().unwrap().contains("--totp"));

    // The confirmation used the current step; the next one is within the window.
    ok(multipass(
        home,
        &["sign-in", "--json", "--username", "ada", "--totp"],
        &[
            ("MULTIPASS_PASSWORD", PASSWORD),
            ("MULTIPASS_TOTP_CODE", &code_at_offset(&secret, 1)),
        ],
    ));
    let sessions = ok(multipass(home, &["auth", "sessions", "--json"], &[]));
    let sessions = sessions.as_array().unwrap();
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["authMethod"], "password_totp");
    assert_eq!(current[0]["kind"], "cli");

    let refused = multipass(
        home,
        &["auth", "backup-codes", "--json"],
        &[("MULTIPASS_PASSWORD", "not the password")],
    );
    assert_eq!(json(&refused)["error"]["code"], "invalid_credentials");
    let codes = ok(multipass(
        home,
        &["auth", "backup-codes", "--json"],
        &[("MULTIPASS_PASSWORD", PASSWORD)],
    ));
    assert_eq!(codes["codes"].as_array().unwrap().len(), 10);

    let unlock = multipass(
        home,
        &["auth", "unlock", "--json", "--username", "ada"],
        &[],
    );
    assert_eq!(json(&unlock)["error"]["code"], "forbidden");

    let events = ok(multipass(home, &["auth", "events", "--json"], &[]));
    let types: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    for expected in ["totp_enabled", "backup_codes_generated", "sign_in"] {
        assert!(types.contains(&expected), "{types:?}");
    }

    let changed = ok(multipass(
        home,
        &["auth", "change-password", "--json"],
        &[
            ("MULTIPASS_PASSWORD", PASSWORD),
            ("MULTIPASS_NEW_PASSWORD", "an even longer passphrase"),
        ],
    ));
    assert_eq!(changed["passwordChanged"], true);
    // The earlier sign-up session was signed out by the change.
    assert_eq!(changed["otherSessionsRevoked"], 1);
}
