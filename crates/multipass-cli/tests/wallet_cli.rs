//! `multipass wallet ...` as a real process on the embedded store, with the OS keyring of
//! the test session (run under `scripts/lib/with-keyring.sh`).

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use serde_json::Value;
use std::path::Path;

struct Cli<'a> {
    home: &'a Path,
}

impl Cli<'_> {
    /// Runs `multipass --json ARGS` and returns its exit code and JSON document.
    fn run(&self, args: &[&str]) -> (Option<i32>, Value) {
        let args: Vec<&str> = ["--json"].into_iter().chain(args.iter().copied()).collect();
        let output = support::run(
            self.home,
            &args,
            &[("MULTIPASS_PASSWORD", support::PASSWORD)],
        );
        (output.status.code(), support::json(&output))
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (code, json) = self.run(args);
        assert_eq!(code, Some(0), "{args:?}: {json}");
        json
    }
}

#[tokio::test]
async fn wallet_commands_with_json_output() {
    let home = tempfile::tempdir().unwrap();
    let cli = Cli { home: home.path() };
    cli.ok(&[
        "sign-up",
        "--full-name",
        "Root Admin",
        "--email",
        "root@example.com",
        "--username",
        "root",
    ]);
    let db = home.path().join("data/multipass/multipass.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE identity_profiles SET role = 'admin'")
        .execute(&pool)
        .await
        .unwrap();

    let main = cli.ok(&["wallet", "create", "--name", "Main", "--label", "ops"]);
    assert_eq!(main["isDefault"], true);
    assert_eq!(main["labels"], serde_json::json!(["ops"]));
    let main_id = main["id"].as_str().unwrap();
    let spare = cli.ok(&["wallet", "create", "--name", "Spare"]);
    let spare_id = spare["id"].as_str().unwrap();
    assert_eq!(cli.ok(&["wallet", "list"]).as_array().unwrap().len(), 2);
    assert_eq!(cli.ok(&["wallet", "show", main_id])["name"], "Main");

    cli.ok(&["wallet", "deposit", main_id, "--amount", "5000"]);
    let args = [
        "wallet", "transfer", "--from", main_id, "--to", spare_id, "--amount", "1200", "--key",
        "k1",
    ];
    let sent = cli.ok(&args);
    assert_eq!(
        (sent["amount"].clone(), sent["fee"].clone()),
        (1200.into(), 2.into())
    );
    assert_eq!(cli.ok(&args)["replayed"], true);
    let (code, refused) = cli.run(&[
        "wallet", "transfer", "--from", main_id, "--to", spare_id, "--amount", "1300", "--key",
        "k1",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(refused["error"]["code"], "idempotency_mismatch");
    let (_, broke) = cli.run(&[
        "wallet", "transfer", "--from", main_id, "--to", spare_id, "--amount", "99999",
    ]);
    assert_eq!(broke["error"]["code"], "insufficient_funds");

    let balances = cli.ok(&["wallet", "balances", main_id]);
    assert_eq!(balances[0]["unlocked"], 5000 - 1202);
    let page = cli.ok(&["wallet", "history", main_id, "--limit", "1"]);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["nextCursor"].as_str().unwrap();
    let rest = cli.ok(&["wallet", "history", main_id, "--cursor", cursor]);
    assert_eq!(rest["items"][0]["txType"], "deposit");
    assert!(rest["nextCursor"].is_null());

    let transfer_id = sent["transferId"].as_str().unwrap();
    let check = cli.ok(&["wallet", "verify", transfer_id]);
    assert_eq!(check["valid"], true);
    let (code, missing) = cli.run(&["wallet", "show", "nonsense"]);
    assert_eq!(code, Some(1));
    assert_eq!(missing["error"]["field"], "walletId");
}
