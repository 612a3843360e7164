//! `multipass reports` and `multipass notifications` as a user runs them: the real binary,
//! the embedded store in a private home folder.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use serde_json::Value;
use std::path::Path;
use support::{PASSWORD, json, run};

fn multipass(home: &Path, args: &[&str]) -> Value {
    let args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
    json(&run(home, &args, &[("MULTIPASS_PASSWORD", PASSWORD)]))
}

#[test]
fn run_list_show_export_and_notifications() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let signed_up = multipass(
        home,
        &[
            "sign-up",
            "--full-name",
            "Ada Lovelace",
            "--email",
            "ada@example.com",
            "--username",
            "ada",
        ],
    );
    assert_eq!(signed_up["identity"]["username"], "ada");

    let definitions = multipass(home, &["reports", "definitions"]);
    assert_eq!(definitions.as_array().unwrap().len(), 3);

    // Writing definitions is for admins.
    let refused = multipass(
        home,
        &[
            "reports",
            "create-definition",
            "--name",
            "Mine",
            "--sql",
            "SELECT 1 AS one",
        ],
    );
    assert_eq!(refused["error"]["code"], "forbidden");
    let refused = multipass(
        home,
        &[
            "reports",
            "update-definition",
            "AuditLog",
            "--row-limit",
            "5",
        ],
    );
    assert_eq!(refused["error"]["code"], "forbidden");

    let report = multipass(home, &["reports", "run", "BalanceSheet", "--format", "csv"]);
    assert_eq!(
        (report["status"].as_str(), report["rowCount"].as_i64()),
        (Some("completed"), Some(0))
    );
    let id = report["id"].as_str().unwrap().to_owned();

    let refused = multipass(
        home,
        &["reports", "run", "AuditLog", "--param", "from=2026-01-01"],
    );
    assert_eq!(refused["error"]["code"], "invalid_input");
    assert_eq!(refused["error"]["field"], "to");

    let listed = multipass(home, &["reports", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let shown = multipass(home, &["reports", "show", &id]);
    assert_eq!(
        shown["content"],
        "wallet,status,asset_type,total,locked,unlocked\r\n"
    );
    let target = home.join("sheet.csv");
    let exported = multipass(
        home,
        &["reports", "export", &id, "--to", target.to_str().unwrap()],
    );
    assert_eq!(exported["resultHash"], report["resultHash"]);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "wallet,status,asset_type,total,locked,unlocked\r\n"
    );

    let unread = multipass(home, &["notifications", "unread-count"])["count"]
        .as_u64()
        .unwrap();
    assert!(unread >= 1, "the report run notified");
    let page = multipass(home, &["notifications", "list", "--unread", "--limit", "1"]);
    assert_eq!(page["notifications"][0]["kind"], "report_ready");
    let first = page["notifications"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        multipass(home, &["notifications", "read", &first])["read"],
        true
    );
    assert_eq!(
        multipass(home, &["notifications", "read-all"])["count"].as_u64(),
        Some(unread - 1)
    );
    assert_eq!(
        multipass(home, &["notifications", "unread-count"])["count"],
        0
    );
}
