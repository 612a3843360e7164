//! The market on real PostgreSQL, a fresh database per test.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;
mod market_scenarios;

use async_trait::async_trait;
use market_scenarios::*;
use multipass_api::ErrorCode;
use multipass_store_postgres::{PgStore, migrator};
use sqlx::{PgPool, Row};
use std::sync::Arc;
use uuid::Uuid;

struct PgFixtures(PgPool);

fn id(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap()
}

#[async_trait]
impl Fixtures for PgFixtures {
    async fn make_admin(&self, identity: &str) {
        sqlx::query("UPDATE identity_profiles SET role = 'admin' WHERE id = $1")
            .bind(id(identity))
            .execute(&self.0)
            .await
            .unwrap();
    }

    async fn quote(&self, wallet: &str) -> (i64, i64) {
        let row = sqlx::query(
            "SELECT total, locked FROM wallet_balances WHERE wallet_id = $1 AND asset_type = 'MPC'",
        )
        .bind(id(wallet))
        .fetch_one(&self.0)
        .await
        .unwrap();
        (row.get("total"), row.get("locked"))
    }

    async fn holding(&self, wallet: &str, asset: &str) -> (i64, i64) {
        let row = sqlx::query("SELECT quantity, locked_quantity FROM asset_balances WHERE wallet_id = $1 AND asset_id = $2")
            .bind(id(wallet))
            .bind(id(asset))
            .fetch_one(&self.0)
            .await
            .unwrap();
        (row.get("quantity"), row.get("locked_quantity"))
    }

    async fn sums(&self, asset: &str) -> ((i64, i64), (i64, i64)) {
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(SUM(total), 0)::bigint FROM wallet_balances WHERE asset_type = 'MPC') AS qt, \
             (SELECT COALESCE(SUM(locked), 0)::bigint FROM wallet_balances WHERE asset_type = 'MPC') AS ql, \
             (SELECT COALESCE(SUM(quantity), 0)::bigint FROM asset_balances WHERE asset_id = $1) AS at, \
             (SELECT COALESCE(SUM(locked_quantity), 0)::bigint FROM asset_balances WHERE asset_id = $1) AS al",
        )
        .bind(id(asset))
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
             COALESCE((SELECT locked_quantity FROM asset_balances b WHERE b.wallet_id = w.id AND b.asset_id = $1), 0) AS al, \
             COALESCE((SELECT SUM(locked_amount) FROM market_orders o WHERE o.wallet_id = w.id AND o.side = 'buy' \
                AND o.status IN ('open', 'partially_filled')), 0)::bigint AS bh, \
             COALESCE((SELECT SUM(locked_amount) FROM market_orders o WHERE o.wallet_id = w.id AND o.side = 'sell' \
                AND o.status IN ('open', 'partially_filled')), 0)::bigint AS sh \
             FROM wallet_accounts w",
        )
        .bind(id(asset))
        .fetch_all(&self.0)
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get::<Uuid, _>("id").to_string(), row.get("ql"), row.get("al"), row.get("bh"), row.get("sh")))
        .collect()
    }

    async fn order_filled_notifications(&self, identity: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE identity_id = $1 AND kind = 'order_filled'",
        )
        .bind(id(identity))
        .fetch_one(&self.0)
        .await
        .unwrap()
    }

    async fn rename_asset(&self, from: &str, to: &str) {
        let renamed = sqlx::query("UPDATE asset_definitions SET symbol = $2 WHERE symbol = $1")
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
             COALESCE(SUM(CASE WHEN direction = 'debit' THEN amount ELSE 0 END), 0)::bigint AS debited, \
             COALESCE(SUM(CASE WHEN direction = 'credit' THEN amount ELSE 0 END), 0)::bigint AS credited \
             FROM wallet_transactions WHERE wallet_id = $1 AND tx_type = 'trade' AND asset_type = 'MPC'",
        )
        .bind(id(wallet))
        .fetch_one(&self.0)
        .await
        .unwrap();
        (row.get("n"), row.get("debited"), row.get("credited"))
    }
}

async fn setup(pool: PgPool) -> (Arc<PgStore>, Arc<PgFixtures>) {
    migrator().run(&pool).await.unwrap();
    (
        Arc::new(common::runtime_store(&pool).await),
        Arc::new(PgFixtures(pool)),
    )
}

#[sqlx::test(migrations = false)]
async fn price_time_priority_golden_case_postgres(pool: PgPool) {
    let (store, fx) = setup(pool).await;
    price_time_priority_golden_case(store, fx).await;
}

#[sqlx::test(migrations = false)]
async fn bid_side_price_time_priority_postgres(pool: PgPool) {
    let (store, fx) = setup(pool).await;
    bid_side_price_time_priority(store, fx).await;
}

#[sqlx::test(migrations = false)]
async fn a_random_stream_trades_as_a_naive_book_does_postgres(pool: PgPool) {
    let (store, fx) = setup(pool.clone()).await;
    a_random_stream_trades_as_a_naive_book_does(store, fx).await;
    assert_book_rows_bound_their_books(&pool).await;
}

#[sqlx::test(migrations = false)]
async fn only_signed_orders_reach_the_book_postgres(pool: PgPool) {
    let (store, fx) = setup(pool).await;
    only_signed_orders_reach_the_book(store, fx).await;
}

#[sqlx::test(migrations = false)]
async fn own_orders_never_trade_and_cancels_release_locks_postgres(pool: PgPool) {
    let (store, fx) = setup(pool).await;
    own_orders_never_trade_and_cancels_release_locks(store, fx).await;
}

#[sqlx::test(migrations = false)]
async fn issuance_and_asset_lifecycle_postgres(pool: PgPool) {
    let (store, fx) = setup(pool).await;
    issuance_and_asset_lifecycle(store, fx).await;
}

#[sqlx::test(migrations = false)]
async fn an_asset_renamed_elsewhere_is_looked_up_again_postgres(pool: PgPool) {
    let (store, fx) = setup(pool).await;
    an_asset_renamed_elsewhere_is_looked_up_again(store, fx).await;
}

#[sqlx::test(migrations = false)]
async fn concurrent_orders_keep_the_invariants_postgres(pool: PgPool) {
    let (store, fx) = setup(pool.clone()).await;
    concurrent_orders_keep_the_invariants(store, fx, 8, 50).await;
    assert_book_rows_bound_their_books(&pool).await;
}

/// Every asset's `market_books` row bounds its book: no resting buy above `bid_ceiling`, no
/// resting sell below `ask_floor`. An order placed without reading the book relies on it.
async fn assert_book_rows_bound_their_books(pool: &PgPool) {
    let rows = sqlx::query(
        "SELECT a.symbol, b.bid_ceiling, b.ask_floor, \
         (SELECT max(price) FROM market_orders o WHERE o.asset_id = a.id AND o.side = 'buy' \
            AND o.status IN ('open', 'partially_filled')) AS best_bid, \
         (SELECT min(price) FROM market_orders o WHERE o.asset_id = a.id AND o.side = 'sell' \
            AND o.status IN ('open', 'partially_filled')) AS best_ask \
         FROM asset_definitions a JOIN market_books b ON b.asset_id = a.id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let symbol: String = row.get("symbol");
        let (ceiling, floor): (i64, i64) = (row.get("bid_ceiling"), row.get("ask_floor"));
        let best_bid: Option<i64> = row.get("best_bid");
        let best_ask: Option<i64> = row.get("best_ask");
        assert!(
            best_bid.is_none_or(|bid| bid <= ceiling),
            "{symbol}: bid {best_bid:?} over {ceiling}"
        );
        assert!(
            best_ask.is_none_or(|ask| ask >= floor),
            "{symbol}: ask {best_ask:?} under {floor}"
        );
    }
}

async fn book_row(pool: &PgPool, asset: &str) -> (i64, i64) {
    sqlx::query_as("SELECT bid_ceiling, ask_floor FROM market_books WHERE asset_id = $1")
        .bind(id(asset))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// An order that crosses nothing is placed without the asset's row lock, so an issuance
/// in progress (which holds it) does not hold the order up, while one that crosses waits
/// for the lock and then trades. The book row follows the book either way: exact after a
/// placement that read the book, the new order's price when one rests beyond it.
#[sqlx::test(migrations = false)]
async fn an_order_that_crosses_nothing_does_not_wait_for_the_asset_postgres(pool: PgPool) {
    let (store, fx) = setup(pool.clone()).await;
    let m = Market::new(store, fx).await;
    let asset = m.asset("ACME", 1_000).await;
    assert_eq!(
        book_row(&pool, &asset).await,
        (0, i64::MAX),
        "a new book is empty"
    );
    let ann = m.trader("ann", 1_000_000).await;
    let bob = m.trader("bob", 1_000_000).await;
    m.issue("ACME", &bob, 100).await;

    let mut busy = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM asset_definitions WHERE id = $1 FOR NO KEY UPDATE")
        .bind(id(&asset))
        .execute(&mut *busy)
        .await
        .unwrap();
    let wait = std::time::Duration::from_secs(60);
    let bid = tokio::time::timeout(wait, m.place(&ann, "ACME", "buy", 100, 5))
        .await
        .expect("a bid that crosses nothing waited for the asset's lock")
        .unwrap();
    assert_eq!((bid.order.status.as_str(), bid.fills.len()), ("open", 0));
    let ask = tokio::time::timeout(wait, m.place(&bob, "ACME", "sell", 105, 5))
        .await
        .expect("an ask that crosses nothing waited for the asset's lock")
        .unwrap();
    assert_eq!(ask.order.status, "open");
    assert_eq!(book_row(&pool, &asset).await, (100, 105));

    let crossing = {
        let api = m.api.clone();
        let (token, wallet) = (bob.token.clone(), bob.wallet.clone());
        tokio::spawn(async move {
            api.place_order(&token, order(&wallet, "ACME", "sell", 100, 2))
                .await
        })
    };
    busy.commit().await.unwrap();
    let crossed = crossing.await.unwrap().unwrap();
    assert_eq!(crossed.fills.len(), 1);
    assert_eq!(crossed.order.status, "filled");
    // Read afresh: the bid still rests with 3 of its 5.
    assert_eq!(book_row(&pool, &asset).await, (100, 105));
    m.check_invariants("ACME", &asset, 2_000_000).await;
}

/// A change of the asset's status leaves its book row claiming nothing, so that no order is
/// placed without the asset's status being read under its lock; the first placement that
/// reads the book sets the row again.
#[sqlx::test(migrations = false)]
async fn a_status_change_makes_the_book_row_claim_nothing_postgres(pool: PgPool) {
    let (store, fx) = setup(pool.clone()).await;
    let m = Market::new(store, fx).await;
    let asset = m.asset("ACME", 1_000).await;
    let ann = m.trader("ann", 1_000_000).await;
    m.place(&ann, "ACME", "buy", 100, 5).await.unwrap();
    assert_eq!(book_row(&pool, &asset).await, (100, i64::MAX));
    m.api
        .set_asset_status(&m.admin, "ACME", "halted")
        .await
        .unwrap();
    assert_eq!(book_row(&pool, &asset).await, (i64::MAX, 0));
    let refused = m.place(&ann, "ACME", "buy", 90, 1).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidState, "{refused:?}");
    assert_eq!(book_row(&pool, &asset).await, (i64::MAX, 0));
    m.api
        .set_asset_status(&m.admin, "ACME", "active")
        .await
        .unwrap();
    m.place(&ann, "ACME", "buy", 90, 1).await.unwrap();
    assert_eq!(book_row(&pool, &asset).await, (100, i64::MAX));
}

/// An asset written by other means than the app has no book row: its first placement makes
/// one, from the book.
#[sqlx::test(migrations = false)]
async fn an_asset_without_a_book_row_gets_one_postgres(pool: PgPool) {
    let (store, fx) = setup(pool.clone()).await;
    let m = Market::new(store, fx).await;
    let asset = m.asset("ACME", 1_000).await;
    let bob = m.trader("bob", 1_000_000).await;
    m.issue("ACME", &bob, 100).await;
    sqlx::query("DELETE FROM market_books")
        .execute(&pool)
        .await
        .unwrap();
    m.place(&bob, "ACME", "sell", 120, 5).await.unwrap();
    assert_eq!(book_row(&pool, &asset).await, (0, 120));
}
