//! `multipass market ...` as a real process on the embedded store. Wallets belong to another
//! service, so the test creates and funds one with raw SQL on the store file.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use support::{PASSWORD, json, run};

fn multipass(home: &Path, user: &str, args: &[&str]) -> Output {
    let token_file = home.join(format!("{user}.token"));
    let token_file = token_file.to_str().unwrap();
    run(
        home,
        args,
        &[
            ("MULTIPASS_TOKEN_FILE", token_file),
            ("MULTIPASS_PASSWORD", PASSWORD),
        ],
    )
}

fn ok(home: &Path, user: &str, args: &[&str]) -> Value {
    let output = multipass(home, user, args);
    assert!(output.status.success(), "{args:?}: {output:?}");
    json(&output)
}

fn sign_up(home: &Path, user: &str) -> String {
    let email = format!("{user}@example.com");
    let args = [
        "sign-up",
        "--full-name",
        "Test User",
        "--email",
        &email,
        "--username",
        user,
        "--json",
    ];
    ok(home, user, &args)["identity"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn sql(home: &Path, statement: &str, binds: &[&str]) {
    let url = format!(
        "sqlite://{}",
        home.join("data/multipass/multipass.db").display()
    );
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()));
    for bind in binds {
        query = query.bind(*bind);
    }
    query.execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn market_commands_round_trip_with_json() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let root = sign_up(home, "root");
    sign_up(home, "ann");
    sql(
        home,
        "UPDATE identity_profiles SET role = 'admin' WHERE id = ?1",
        &[&root],
    )
    .await;
    // Made through the CLI: its key goes to this computer's keyring, and signs the orders.
    let wallet = ok(
        home,
        "ann",
        &["wallet", "create", "--name", "Main", "--json"],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let balance = uuid::Uuid::new_v4().to_string();
    sql(home, "INSERT INTO wallet_balances (id, wallet_id, asset_type, total) VALUES (?1, ?2, 'MPC', 100000)", &[&balance, &wallet]).await;

    let asset = ok(
        home,
        "root",
        &[
            "market",
            "create-asset",
            "--symbol",
            "acme",
            "--name",
            "Acme shares",
            "--type",
            "equity_token",
            "--total-supply",
            "1000",
            "--json",
        ],
    );
    assert_eq!(
        (
            asset["symbol"].as_str(),
            asset["circulatingSupply"].as_i64()
        ),
        (Some("ACME"), Some(0))
    );
    let issued = ok(
        home,
        "root",
        &[
            "market",
            "issue",
            "--symbol",
            "ACME",
            "--wallet",
            &wallet,
            "--quantity",
            "50",
            "--json",
        ],
    );
    assert_eq!(issued["circulatingSupply"], 50);

    let placed = ok(
        home,
        "ann",
        &[
            "market",
            "place",
            "--wallet",
            &wallet,
            "--symbol",
            "ACME",
            "--side",
            "sell",
            "--price",
            "1600",
            "--quantity",
            "7",
            "--json",
        ],
    );
    let order = &placed["order"];
    assert_eq!(
        (order["status"].as_str(), order["lockedAmount"].as_i64()),
        (Some("open"), Some(7))
    );
    let book = ok(
        home,
        "ann",
        &["market", "book", "--symbol", "ACME", "--json"],
    );
    assert_eq!(
        book["asks"][0],
        serde_json::json!({ "price": 1600, "quantity": "7", "orders": 1 })
    );
    let open = ok(home, "ann", &["market", "orders", "--open", "--json"]);
    assert_eq!(open.as_array().unwrap().len(), 1);

    let refused = multipass(
        home,
        "root",
        &[
            "market",
            "place",
            "--wallet",
            &wallet,
            "--symbol",
            "ACME",
            "--side",
            "sell",
            "--price",
            "1",
            "--quantity",
            "1",
            "--json",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(error["error"]["code"], "forbidden");

    let order_id = order["id"].as_str().unwrap();
    let cancelled = ok(
        home,
        "ann",
        &["market", "cancel", "--order", order_id, "--json"],
    );
    assert_eq!(
        (
            cancelled["status"].as_str(),
            cancelled["lockedAmount"].as_i64()
        ),
        (Some("cancelled"), Some(0))
    );
    let positions = ok(home, "ann", &["market", "positions", "--json"]);
    assert_eq!(positions[0]["quantity"], 50);
    assert_eq!(
        ok(
            home,
            "ann",
            &["market", "trades", "--symbol", "ACME", "--json"]
        ),
        serde_json::json!([])
    );

    let text = multipass(home, "ann", &["market", "assets"]);
    assert!(String::from_utf8(text.stdout).unwrap().contains("ACME"));
}
