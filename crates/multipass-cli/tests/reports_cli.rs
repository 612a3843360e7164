//! `multipass reports` and `multipass notifications` as a user runs them: the real binary,
//! the embedded store in a private home folder.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use serde_json::Value;
use std::path::Path;
use support::{PASSWORD, SIGN_UP_ADA as SIGN_UP, json, psql, run, test_server, url_with_database};

fn multipass(home: &Path, args: &[&str]) -> Value {
    let args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
    json(&run(home, &args, &[("MULTIPASS_PASSWORD", PASSWORD)]))
}

#[test]
fn run_list_show_export_and_notifications() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let signed_up = multipass(home, &SIGN_UP);
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

/// `multipass ARGS --json` with extra settings: the JSON and the exit code.
fn multipass_with(home: &Path, args: &[&str], env: &[(&str, &str)]) -> (Value, Option<i32>) {
    let args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
    let env: Vec<(&str, &str)> = env
        .iter()
        .copied()
        .chain([("MULTIPASS_PASSWORD", PASSWORD)])
        .collect();
    let output = run(home, &args, &env);
    (json(&output), output.status.code())
}

/// On PostgreSQL: a report run there opens from the offline copy once the database is gone,
/// and the online commands say plainly that it is gone.
#[test]
fn reports_open_offline_after_the_database_is_dropped() {
    let server = test_server();
    let name = format!("multipass_cli_offline_{}", std::process::id());
    psql(&server, &format!("DROP DATABASE IF EXISTS {name}"));
    psql(&server, &format!("CREATE DATABASE {name}"));
    let url = url_with_database(&server, &name);
    let env = [("DATABASE_URL", url.as_str())];
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    // Nothing but `migrate` changes a shared database's schema.
    let (unmigrated, _) = multipass_with(home, &SIGN_UP, &env);
    assert_eq!(unmigrated["error"]["code"], "invalid_state", "{unmigrated}");
    assert!(
        unmigrated["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("multipass migrate")),
        "{unmigrated}"
    );
    let (migrated, _) = multipass_with(home, &["migrate"], &env);
    assert_eq!(migrated["migrationPending"], false, "{migrated}");
    let (signed_up, _) = multipass_with(home, &SIGN_UP, &env);
    assert_eq!(signed_up["identity"]["username"], "ada", "{signed_up}");
    let (report, _) = multipass_with(
        home,
        &["reports", "run", "BalanceSheet", "--format", "csv"],
        &env,
    );
    let id = report["id"].as_str().unwrap().to_owned();
    let (online, _) = multipass_with(home, &["reports", "show", &id], &env);
    assert!(home.join("data/multipass/report-cache.db").exists());

    psql(&server, &format!("DROP DATABASE {name} WITH (FORCE)"));

    // A server that does not answer (nothing listens on port 1) is `unavailable`.
    let closed = [(
        "DATABASE_URL",
        "postgresql://postgres@127.0.0.1:1/enterprise_db",
    )];
    let (refused, code) = multipass_with(home, &["reports", "list"], &closed);
    assert_eq!(refused["error"]["code"], "unavailable", "{refused}");
    assert_eq!(code, Some(2));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--offline"),
        "{refused}"
    );

    let (listed, code) = multipass_with(home, &["reports", "list", "--offline"], &env);
    assert_eq!(code, Some(0), "{listed}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["source"], "offline_copy");
    assert!(listed[0]["cachedAt"].is_string());

    let (shown, _) = multipass_with(home, &["reports", "show", &id, "--offline"], &env);
    assert_eq!(shown["content"], online["content"]);
    assert_eq!(shown["resultHash"], online["resultHash"]);
    assert_eq!(shown["source"], "offline_copy");

    let target = home.join("sheet.csv");
    let (exported, _) = multipass_with(
        home,
        &[
            "reports",
            "export",
            &id,
            "--to",
            target.to_str().unwrap(),
            "--offline",
        ],
        &env,
    );
    assert_eq!(exported["resultHash"], online["resultHash"]);
    assert_eq!(exported["source"], "offline_copy");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        online["content"].as_str().unwrap()
    );

    // Another session's token opens none of them.
    let other = [
        ("DATABASE_URL", url.as_str()),
        ("MULTIPASS_TOKEN", "a-token-this-computer-never-saw"),
    ];
    let (refused, code) = multipass_with(home, &["reports", "list", "--offline"], &other);
    assert_eq!(code, Some(1));
    assert_eq!(refused["error"]["code"], "unauthenticated", "{refused}");
}

#[test]
fn offline_reads_the_embedded_store_itself() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    multipass(home, &SIGN_UP);
    let report = multipass(
        home,
        &["reports", "run", "BalanceSheet", "--format", "json"],
    );
    let listed = multipass(home, &["reports", "list", "--offline"]);
    assert_eq!(listed[0]["id"], report["id"]);
    assert_eq!(listed[0]["source"], "local_store");
    let shown = multipass(
        home,
        &[
            "reports",
            "show",
            report["id"].as_str().unwrap(),
            "--offline",
        ],
    );
    assert_eq!(shown["resultHash"], report["resultHash"]);
    assert!(!home.join("data/multipass/report-cache.db").exists());
}
