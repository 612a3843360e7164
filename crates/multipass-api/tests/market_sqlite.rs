//! The market on the embedded store, on a real file.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;
mod market_scenarios;

use async_trait::async_trait;
use market_scenarios::*;
use multipass_store::OpenMode;
use multipass_store_sqlite::SqliteStore;
use sqlx::{Row, SqlitePool};
use std::sync::Arc;

struct SqliteFixtures(SqlitePool);

#[async_trait]
impl Fixtures for SqliteFixtures {
    async fn make_admin(&self, identity: &str) {
        sqlx::query("UPDATE identity_profiles SET role = 'admin' WHERE id = ?1")
            .bind(identity)
            .execute(&self.0)
            .await
            .unwrap();
    }

    async fn quote(&self, wallet: &str) -> (i64, i64) {
        let row = sqlx::query(
            "SELECT total, locked FROM wallet_balances WHERE wallet_id = ?1 AND asset_type = 'MPC'",
        )
        .bind(wallet)
        .fetch_one(&self.0)
        .await
        .unwrap();
        (row.get("total"), row.get("locked"))
    }

    async fn holding(&self, wallet: &str, asset: &str) -> (i64, i64) {
        let row = sqlx::query("SELECT quantity, locked_quantity FROM asset_balances WHERE wallet_id = ?1 AND asset_id = ?2")
            .bind(wallet)
            .bind(asset)
            .fetch_one(&self.0)
            .await
            .unwrap();
        (row.get("quantity"), row.get("locked_quantity"))
    }

    async fn sums(&self, asset: &str) -> ((i64, i64), (i64, i64)) {
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(SUM(total), 0) FROM wallet_balances WHERE asset_type = 'MPC') AS qt, \
             (SELECT COALESCE(SUM(locked), 0) FROM wallet_balances WHERE asset_type = 'MPC') AS ql, \
             (SELECT COALESCE(SUM(quantity), 0) FROM asset_balances WHERE asset_id = ?1) AS at, \
             (SELECT COALESCE(SUM(locked_quantity), 0) FROM asset_balances WHERE asset_id = ?1) AS al",
        )
        .bind(asset)
        .fetch_one(&self.0)
        .await
        .unwrap();
        (
            (row.get("qt"), row.get("ql")),
            (row.get("at"), row.get("al")),
        )
    }

    async fn locks(&self, asset: &str) -> Vec<(String, i64, i64, i64, i64)> {
        sqlx::query(
            "SELECT w.id, \
             COALESCE((SELECT locked FROM wallet_balances b WHERE b.wallet_id = w.id AND b.asset_type = 'MPC'), 0) AS ql, \
             COALESCE((SELECT locked_quantity FROM asset_balances b WHERE b.wallet_id = w.id AND b.asset_id = ?1), 0) AS al, \
             COALESCE((SELECT SUM(locked_amount) FROM market_orders o WHERE o.wallet_id = w.id AND o.side = 'buy' \
                AND o.status IN ('open', 'partially_filled')), 0) AS bh, \
             COALESCE((SELECT SUM(locked_amount) FROM market_orders o WHERE o.wallet_id = w.id AND o.side = 'sell' \
                AND o.status IN ('open', 'partially_filled')), 0) AS sh \
             FROM wallet_accounts w",
        )
        .bind(asset)
        .fetch_all(&self.0)
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get("id"), row.get("ql"), row.get("al"), row.get("bh"), row.get("sh")))
        .collect()
    }

    async fn order_filled_notifications(&self, identity: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE identity_id = ?1 AND kind = 'order_filled'",
        )
        .bind(identity)
        .fetch_one(&self.0)
        .await
        .unwrap()
    }

    async fn rename_asset(&self, from: &str, to: &str) {
        let renamed = sqlx::query("UPDATE asset_definitions SET symbol = ?2 WHERE symbol = ?1")
            .bind(from)
            .bind(to)
            .execute(&self.0)
            .await
            .unwrap();
        assert_eq!(renamed.rows_affected(), 1);
    }

    async fn trade_legs(&self, wallet: &str) -> (i64, i64, i64) {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, \
             COALESCE(SUM(CASE WHEN direction = 'debit' THEN amount ELSE 0 END), 0) AS debited, \
             COALESCE(SUM(CASE WHEN direction = 'credit' THEN amount ELSE 0 END), 0) AS credited \
             FROM wallet_transactions WHERE wallet_id = ?1 AND tx_type = 'trade' AND asset_type = 'MPC'",
        )
        .bind(wallet)
        .fetch_one(&self.0)
        .await
        .unwrap();
        (row.get("n"), row.get("debited"), row.get("credited"))
    }
}

async fn setup() -> (tempfile::TempDir, Arc<SqliteStore>, Arc<SqliteFixtures>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"), OpenMode::Migrate)
        .await
        .unwrap();
    let fx = Arc::new(SqliteFixtures(store.pool().clone()));
    (dir, Arc::new(store), fx)
}

#[tokio::test]
async fn price_time_priority_golden_case_sqlite() {
    let (_dir, store, fx) = setup().await;
    price_time_priority_golden_case(store, fx).await;
}

#[tokio::test]
async fn bid_side_price_time_priority_sqlite() {
    let (_dir, store, fx) = setup().await;
    bid_side_price_time_priority(store, fx).await;
}

#[tokio::test]
async fn a_random_stream_trades_as_a_naive_book_does_sqlite() {
    let (_dir, store, fx) = setup().await;
    a_random_stream_trades_as_a_naive_book_does(store, fx).await;
}

#[tokio::test]
async fn only_signed_orders_reach_the_book_sqlite() {
    let (_dir, store, fx) = setup().await;
    only_signed_orders_reach_the_book(store, fx).await;
}

#[tokio::test]
async fn own_orders_never_trade_and_cancels_release_locks_sqlite() {
    let (_dir, store, fx) = setup().await;
    own_orders_never_trade_and_cancels_release_locks(store, fx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuance_and_asset_lifecycle_sqlite() {
    let (_dir, store, fx) = setup().await;
    issuance_and_asset_lifecycle(store, fx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asset_renamed_elsewhere_is_looked_up_again_sqlite() {
    let (_dir, store, fx) = setup().await;
    an_asset_renamed_elsewhere_is_looked_up_again(store, fx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_keep_the_invariants_sqlite() {
    let (_dir, store, fx) = setup().await;
    concurrent_orders_keep_the_invariants(store, fx, 8, 50).await;
}
