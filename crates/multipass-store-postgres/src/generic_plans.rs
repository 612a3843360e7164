//! Checks on the generic plans of the statements sent while holding locks that other
//! desktops wait for. A connection caches a prepared statement's generic plan, made for the
//! table sizes seen when it was made, and keeps it until the tables are analysed again
//! (never, on a server with autovacuum off). So each such plan is checked here as it comes
//! out on the empty schema (each test migrates its fresh database first): a row it changes must be reached by its key, not by reading all
//! the rows of a wallet-wide or asset-wide index, which grow with the number of wallets.

use sqlx::{AssertSqlSafe, PgPool};

/// The generic plan of `statement` on the schema `pool` holds, with `parameters` NULLs bound.
pub(crate) async fn generic_plan(pool: &PgPool, statement: &str, parameters: usize) -> String {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql("SET plan_cache_mode = force_generic_plan")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!("PREPARE checked AS {statement}")))
        .execute(&mut *conn)
        .await
        .unwrap();
    let nulls = vec!["NULL"; parameters].join(", ");
    let plan: Vec<String> =
        sqlx::query_scalar(AssertSqlSafe(format!("EXPLAIN EXECUTE checked({nulls})")))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    sqlx::raw_sql("DEALLOCATE checked")
        .execute(&mut *conn)
        .await
        .unwrap();
    plan.join("\n")
}

/// Fails unless every scan in `plan` of a table keyed by (wallet, asset) finds its rows by
/// an index condition on the wallet.
pub(crate) fn assert_balance_rows_reached_by_wallet(plan: &str) {
    let lines: Vec<&str> = plan.lines().collect();
    for (at, line) in lines.iter().enumerate() {
        let scans_balances = ["wallet_balances", "asset_balances", "positions"]
            .iter()
            .any(|table| line.contains("Scan") && line.contains(&format!(" on {table}")));
        if !scans_balances {
            continue;
        }
        let condition = lines[at + 1..]
            .iter()
            .take_while(|next| !next.contains("->"))
            .find(|next| next.contains("Index Cond:"));
        assert!(
            condition.is_some_and(|c| c.contains("wallet_id = ANY") || c.contains("wallet_id =")),
            "not reached by wallet: {line}\n{plan}"
        );
    }
}
