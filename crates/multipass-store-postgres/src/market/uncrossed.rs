//! An order that crosses nothing, placed in one statement without reading the book.
//!
//! `market_books` keeps, per asset, a ceiling over the prices of the resting bids and a
//! floor under those of the resting asks. A buy priced under the floor (a sell over the
//! ceiling) crosses nothing, so what it does is known without the book: it rests whole and
//! locks what it may spend. One statement, committed on its own, checks that against the
//! book row, moves the bound its own side now needs, locks the funds and inserts the order.
//!
//! The book row is the asset's matching lock (the placement that reads the book, a status
//! change and this statement all update it first), and its check is made on the row as
//! it is once locked: waiting for another placement, PostgreSQL evaluates the condition
//! again on the row that placement committed. So an order placed here can never rest
//! against one it crosses, and the lock is held for the statement and its commit only, with
//! no round trip to this process in between. When the bound says the order may cross, or
//! anything else is not as the order needs (the asset, the wallet, the funds), nothing is
//! written but perhaps a looser bound, and the placement goes the way that reads the book,
//! which also gives the precise refusal.

use super::ORDER_COLUMNS;
use crate::errors::map_err;
use chrono::{DateTime, SubsecRound, Utc};
use multipass_domain::market::OrderStatus;
use multipass_domain::money::NATIVE_ASSET;
use multipass_store::market::matching::MatchPlan;
use multipass_store::{MarketError, NewMarketOrder, OrderRecord};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool};
use std::sync::LazyLock;

/// `$1`–`$11` as [`super::bind_order`] binds them, `$12` the asset's symbol, `$13` the
/// wallet's owner, `$14` the quote currency. Every write depends on the one before it, so a
/// failed condition stops the rest; the first locks the book row, the others a balance row.
pub(super) static PLACE_UNCROSSED_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH book AS (UPDATE market_books SET \
           bid_ceiling = CASE WHEN $4::text = 'buy' THEN GREATEST(bid_ceiling, $5::bigint) ELSE bid_ceiling END, \
           ask_floor = CASE WHEN $4::text = 'sell' THEN LEAST(ask_floor, $5::bigint) ELSE ask_floor END, \
           updated_at = $11 \
         WHERE asset_id = $3 \
           AND CASE WHEN $4::text = 'buy' THEN ask_floor > $5::bigint ELSE bid_ceiling < $5::bigint END \
           AND EXISTS (SELECT 1 FROM asset_definitions a WHERE a.id = $3 AND a.symbol = $12 \
             AND a.status = 'active' AND a.is_tradable) \
           AND EXISTS (SELECT 1 FROM wallet_accounts w WHERE w.id = $2 AND w.identity_id = $13 \
             AND w.status = 'active') \
         RETURNING asset_id), \
       funds AS (UPDATE wallet_balances SET locked = locked + $8 \
         WHERE $4::text = 'buy' AND wallet_id = $2 AND asset_type = $14 AND total - locked >= $8 \
           AND EXISTS (SELECT 1 FROM book) RETURNING wallet_id), \
       holding AS (UPDATE asset_balances SET locked_quantity = locked_quantity + $8 \
         WHERE $4::text = 'sell' AND wallet_id = $2 AND asset_id = $3 \
           AND quantity - locked_quantity >= $8 AND EXISTS (SELECT 1 FROM book) RETURNING wallet_id), \
       o AS (INSERT INTO market_orders (id, wallet_id, asset_id, side, price, quantity, \
           filled_quantity, locked_amount, status, cancel_reason, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11 \
         WHERE EXISTS (SELECT 1 FROM funds UNION ALL SELECT 1 FROM holding) \
         RETURNING {ORDER_COLUMNS}) \
       SELECT * FROM o"
    )
});

/// Places `order` as `alone` (its plan against an empty book) says, if the book row shows
/// that it crosses nothing: the order as written, or `None` when it must read the book.
pub(super) async fn place(
    pool: &PgPool,
    order: &NewMarketOrder,
    alone: &MatchPlan,
) -> Result<Option<OrderRecord>, MarketError> {
    let taker = &alone.settlement.taker;
    if !alone.placement.fills.is_empty() || taker.status != OrderStatus::Open {
        return Ok(None);
    }
    // PostgreSQL keeps microseconds; the order is returned as it reads back.
    let at: DateTime<Utc> = order.at.trunc_subsecs(6);
    let query = super::bind_order(
        sqlx::query(AssertSqlSafe(PLACE_UNCROSSED_SQL.as_str())),
        order,
        taker,
        None,
        at,
    )?;
    let row: Option<PgRow> = query
        .bind(order.symbol.as_str())
        .bind(order.owner.as_uuid())
        .bind(NATIVE_ASSET)
        .fetch_optional(pool)
        .await
        .map_err(map_err)?;
    row.as_ref()
        .map(super::order_from)
        .transpose()
        .map_err(|e| map_err(e).into())
}
