//! `multipass identity`, `admin bootstrap` and `passes` as a real process on the embedded
//! store, with a private home folder.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use std::path::Path;
use std::process::Output;
use support::{PASSWORD, SIGN_UP_ADA, json, run};

fn multipass(home: &Path, args: &[&str]) -> Output {
    run(home, args, &[("MULTIPASS_PASSWORD", PASSWORD)])
}

#[test]
fn bootstrap_then_identity_and_passes_commands() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let signed_up = multipass(home, &[&SIGN_UP_ADA[..], &["--json"]].concat());
    assert!(signed_up.status.success(), "{signed_up:?}");

    let boot = multipass(home, &["admin", "bootstrap", "--json"]);
    assert!(boot.status.success(), "{boot:?}");
    assert_eq!(json(&boot)["role"], "admin");
    let again = multipass(home, &["admin", "bootstrap", "--json"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(json(&again)["error"]["code"], "invalid_state");

    let updated = multipass(home, &["identity", "update", "--country", "de", "--json"]);
    assert_eq!(json(&updated)["country"], "DE");
    let bad = multipass(home, &["identity", "update", "--phone", "12345", "--json"]);
    assert_eq!(json(&bad)["error"]["field"], "phone");

    let document = home.join("id.pdf");
    std::fs::write(&document, b"a scanned identity card").unwrap();
    let submitted = multipass(
        home,
        &[
            "identity",
            "kyc-submit",
            "--type",
            "government_id",
            "--document",
            document.to_str().unwrap(),
            "--provider",
            "Acme",
            "--json",
        ],
    );
    assert!(submitted.status.success(), "{submitted:?}");
    assert_eq!(json(&submitted)["profile"]["verificationStatus"], "pending");
    let listed = json(&multipass(home, &["identity", "kyc-list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let attested = json(&multipass(
        home,
        &[
            "identity",
            "attest",
            "--user",
            "ada",
            "--type",
            "employee",
            "--issuer",
            "HR",
            "--claim",
            r#"{"b": 1, "a": true}"#,
            "--json",
        ],
    ));
    assert_eq!(attested["claim"], r#"{"a":true,"b":1}"#);
    assert_eq!(attested["anchor"], "not_anchored");
    let id = attested["id"].as_str().unwrap();
    let check = json(&multipass(
        home,
        &["identity", "verify-attestation", id, "--json"],
    ));
    assert_eq!(check["valid"], true);

    let suspended = json(&multipass(
        home,
        &["identity", "suspend", "--user", "ada", "--json"],
    ));
    assert_eq!(suspended["verificationStatus"], "suspended");
    let lifted = json(&multipass(
        home,
        &["identity", "suspend", "--user", "ada", "--lift", "--json"],
    ));
    assert_eq!(lifted["verificationStatus"], "pending");

    let passes = json(&multipass(home, &["passes", "list", "--json"]));
    assert_eq!(passes, serde_json::json!([]));
    let expired = json(&multipass(home, &["passes", "expire", "--json"]));
    assert_eq!(expired, serde_json::json!([]));
    let text = multipass(home, &["identity", "show"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("role admin"), "{text}");
}
