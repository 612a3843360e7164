//! The market in the embedded store. Every change runs in one `BEGIN IMMEDIATE`
//! transaction, which holds SQLite's single write lock from its first statement, so matching,
//! cancelling and issuing are serialised across every process that opens the file.

use crate::errors::map_err;
use crate::store::{SqliteStore, time_from, uuid_from, uuid_text};
use crate::time::{from_text, to_text};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::market::{
    AssetId, AssetStatus, AssetType, BalanceChange, Depth, DepthLevel, OrderId, OrderStatus,
    Position, Price, Side, Symbol, WalletId,
};
use multipass_domain::money::NATIVE_ASSET;
use multipass_store::market::matching::{
    BookRow, MatchPlan, asset_takes_order, plan_match, to_i64, trade_metadata,
};
use multipass_store::{
    AssetRecord, Issuance, MakerFilled, MarketError, MarketRefusal, MarketStore, NewAsset,
    NewMarketOrder, OrderFilter, OrderRecord, PlacedOrder, PositionRecord, StoreError, TradeRecord,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqliteConnection};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use uuid::Uuid;

const ASSET_COLUMNS: &str = "id, symbol, name, asset_type, total_supply, circulating_supply, status, \
     is_tradable, created_at, updated_at";
const ORDER_COLUMNS: &str = "id, sequence, asset_id, wallet_id, side, price, quantity, filled_quantity, \
     locked_amount, status, cancel_reason, created_at, updated_at";
const TRADE_COLUMNS: &str = "id, asset_id, buy_order_id, sell_order_id, buyer_wallet_id, seller_wallet_id, \
     aggressor_side, price, quantity, executed_at";
const RESTING: &str = "status IN ('open', 'partially_filled')";

fn decode_err(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("{what} {value:?}").into())
}

fn side_from(row: &SqliteRow, column: &str) -> Result<Side, sqlx::Error> {
    let text: String = row.try_get(column)?;
    match text.as_str() {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        _ => Err(decode_err(column, &text)),
    }
}

fn asset_from(row: &SqliteRow) -> Result<AssetRecord, sqlx::Error> {
    Ok(AssetRecord {
        id: AssetId::from_uuid(uuid_from(row, "id")?),
        symbol: row.try_get("symbol")?,
        name: row.try_get("name")?,
        asset_type: row.try_get("asset_type")?,
        total_supply: row.try_get("total_supply")?,
        circulating_supply: row.try_get("circulating_supply")?,
        status: row.try_get("status")?,
        is_tradable: row.try_get("is_tradable")?,
        created_at: time_from(row, "created_at")?,
        updated_at: time_from(row, "updated_at")?,
    })
}

fn order_from(row: &SqliteRow) -> Result<OrderRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(OrderRecord {
        id: OrderId::from_uuid(uuid_from(row, "id")?),
        sequence: row.try_get("sequence")?,
        asset_id: AssetId::from_uuid(uuid_from(row, "asset_id")?),
        wallet_id: WalletId::from_uuid(uuid_from(row, "wallet_id")?),
        side: side_from(row, "side")?,
        price: row.try_get("price")?,
        quantity: row.try_get("quantity")?,
        filled_quantity: row.try_get("filled_quantity")?,
        locked_amount: row.try_get("locked_amount")?,
        status: OrderStatus::parse(&status).ok_or_else(|| decode_err("status", &status))?,
        cancel_reason: row.try_get("cancel_reason")?,
        created_at: time_from(row, "created_at")?,
        updated_at: time_from(row, "updated_at")?,
    })
}

fn trade_from(row: &SqliteRow) -> Result<TradeRecord, sqlx::Error> {
    Ok(TradeRecord {
        id: uuid_from(row, "id")?,
        asset_id: AssetId::from_uuid(uuid_from(row, "asset_id")?),
        buy_order_id: OrderId::from_uuid(uuid_from(row, "buy_order_id")?),
        sell_order_id: OrderId::from_uuid(uuid_from(row, "sell_order_id")?),
        buyer_wallet_id: WalletId::from_uuid(uuid_from(row, "buyer_wallet_id")?),
        seller_wallet_id: WalletId::from_uuid(uuid_from(row, "seller_wallet_id")?),
        aggressor_side: side_from(row, "aggressor_side")?,
        price: row.try_get("price")?,
        quantity: row.try_get("quantity")?,
        executed_at: time_from(row, "executed_at")?,
    })
}

/// A JSON array of ids, for `IN (SELECT value FROM json_each(?))`.
fn id_list(wallets: &[WalletId]) -> String {
    let ids: Vec<String> = wallets.iter().map(|w| uuid_text(w.as_uuid())).collect();
    serde_json::Value::from(ids).to_string()
}

async fn read_asset(
    conn: &mut SqliteConnection,
    asset: AssetId,
) -> Result<AssetRecord, MarketError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ASSET_COLUMNS} FROM asset_definitions WHERE id = ?1"
    )))
    .bind(uuid_text(asset.as_uuid()))
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?
    .ok_or(MarketRefusal::AssetNotFound)?;
    Ok(asset_from(&row).map_err(map_err)?)
}

async fn check_wallet(
    conn: &mut SqliteConnection,
    wallet: WalletId,
    owner: Option<IdentityId>,
) -> Result<(), MarketError> {
    let row = sqlx::query("SELECT identity_id, status FROM wallet_accounts WHERE id = ?1")
        .bind(uuid_text(wallet.as_uuid()))
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?
        .ok_or(MarketRefusal::WalletNotFound)?;
    let identity = uuid_from(&row, "identity_id").map_err(map_err)?;
    if owner.is_some_and(|owner| owner.as_uuid() != identity) {
        return Err(MarketRefusal::NotOwner.into());
    }
    let status: String = row.try_get("status").map_err(map_err)?;
    if status != "active" {
        return Err(MarketRefusal::WalletNotActive(status).into());
    }
    Ok(())
}

async fn load_positions(
    conn: &mut SqliteConnection,
    asset: AssetId,
    wallets: &[WalletId],
) -> Result<BTreeMap<WalletId, Position>, StoreError> {
    let rows = sqlx::query(
        "SELECT wallet_id, quantity, cost_basis, realized_pnl FROM positions \
         WHERE asset_id = ?1 AND wallet_id IN (SELECT value FROM json_each(?2))",
    )
    .bind(uuid_text(asset.as_uuid()))
    .bind(id_list(wallets))
    .fetch_all(&mut *conn)
    .await
    .map_err(map_err)?;
    let amount = |row: &SqliteRow, column: &str| -> Result<u64, StoreError> {
        let value: i64 = row.try_get(column).map_err(map_err)?;
        u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column} {value}")))
    };
    rows.iter()
        .map(|row| {
            let wallet = WalletId::from_uuid(uuid_from(row, "wallet_id").map_err(map_err)?);
            let position = Position {
                quantity: amount(row, "quantity")?,
                cost_basis: amount(row, "cost_basis")?,
                realized_pnl: row.try_get("realized_pnl").map_err(map_err)?,
            };
            Ok((wallet, position))
        })
        .collect()
}

async fn save_positions(
    conn: &mut SqliteConnection,
    asset: AssetId,
    positions: &BTreeMap<WalletId, Position>,
    at: DateTime<Utc>,
) -> Result<(), MarketError> {
    for (wallet, position) in positions {
        sqlx::query(
            "INSERT INTO positions (id, wallet_id, asset_id, quantity, cost_basis, average_cost, realized_pnl, \
             opened_at, last_trade_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8) \
             ON CONFLICT (wallet_id, asset_id) DO UPDATE SET quantity = excluded.quantity, \
             cost_basis = excluded.cost_basis, average_cost = excluded.average_cost, \
             realized_pnl = excluded.realized_pnl, last_trade_at = excluded.last_trade_at",
        )
        .bind(uuid_text(Uuid::new_v4()))
        .bind(uuid_text(wallet.as_uuid()))
        .bind(uuid_text(asset.as_uuid()))
        .bind(to_i64(position.quantity)?)
        .bind(to_i64(position.cost_basis)?)
        .bind(to_i64(position.average_cost())?)
        .bind(position.realized_pnl)
        .bind(to_text(at))
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// One currency's balance rows: `wallet_balances` of the native asset or `asset_balances`
/// of one asset, which name their columns differently.
struct Balances {
    table: &'static str,
    total: &'static str,
    locked: &'static str,
    scope_column: &'static str,
    scope: String,
}

impl Balances {
    fn quote() -> Self {
        Self {
            table: "wallet_balances",
            total: "total",
            locked: "locked",
            scope_column: "asset_type",
            scope: NATIVE_ASSET.to_owned(),
        }
    }

    fn asset(asset: AssetId) -> Self {
        Self {
            table: "asset_balances",
            total: "quantity",
            locked: "locked_quantity",
            scope_column: "asset_id",
            scope: uuid_text(asset.as_uuid()),
        }
    }

    async fn available(
        &self,
        conn: &mut SqliteConnection,
        wallet: WalletId,
    ) -> Result<i64, StoreError> {
        let Self {
            table,
            total,
            locked,
            scope_column,
            ..
        } = self;
        let available: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {total} - {locked} FROM {table} WHERE wallet_id = ?1 AND {scope_column} = ?2"
        )))
        .bind(uuid_text(wallet.as_uuid()))
        .bind(&self.scope)
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?;
        Ok(available.unwrap_or(0))
    }

    async fn apply(
        &self,
        conn: &mut SqliteConnection,
        changes: &BTreeMap<WalletId, BalanceChange>,
    ) -> Result<(), MarketError> {
        let Self {
            table,
            total,
            locked,
            scope_column,
            ..
        } = self;
        for (wallet, change) in changes {
            if change.total == 0 && change.locked == 0 {
                continue;
            }
            // The row is created empty first: SQLite checks an upsert's candidate row
            // against the CHECK constraints, which a lone lock change would fail.
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {table} (id, wallet_id, {scope_column}) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (wallet_id, {scope_column}) DO NOTHING"
            )))
            .bind(uuid_text(Uuid::new_v4()))
            .bind(uuid_text(wallet.as_uuid()))
            .bind(&self.scope)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET {total} = {total} + ?3, {locked} = {locked} + ?4 \
                 WHERE wallet_id = ?1 AND {scope_column} = ?2"
            )))
            .bind(uuid_text(wallet.as_uuid()))
            .bind(&self.scope)
            .bind(to_i64(change.total)?)
            .bind(to_i64(change.locked)?)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
        }
        Ok(())
    }
}

async fn settle_balances(
    conn: &mut SqliteConnection,
    asset: AssetId,
    plan: &MatchPlan,
) -> Result<(), MarketError> {
    let (quote, assets) = (Balances::quote(), Balances::asset(asset));
    let taker_balances = match plan.order.side {
        Side::Buy => &quote,
        Side::Sell => &assets,
    };
    plan.require_available(taker_balances.available(conn, plan.order.wallet).await?)?;
    quote.apply(conn, &plan.settlement.quote).await?;
    assets.apply(conn, &plan.settlement.asset).await
}

async fn record_orders_and_trades(
    conn: &mut SqliteConnection,
    order: &NewMarketOrder,
    plan: &MatchPlan,
) -> Result<PlacedOrder, MarketError> {
    let taker = plan.settlement.taker;
    let at = to_text(order.at);
    let row = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO market_orders (id, sequence, wallet_id, asset_id, side, price, quantity, filled_quantity, \
         locked_amount, status, cancel_reason, created_at, updated_at) \
         VALUES (?1, (SELECT COALESCE(MAX(sequence), 0) + 1 FROM market_orders), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) \
         RETURNING {ORDER_COLUMNS}"
    )))
    .bind(uuid_text(order.id.as_uuid()))
    .bind(uuid_text(order.wallet.as_uuid()))
    .bind(uuid_text(order.asset.as_uuid()))
    .bind(order.side.as_str())
    .bind(to_i64(order.price.get())?)
    .bind(to_i64(order.quantity.get())?)
    .bind(to_i64(taker.filled)?)
    .bind(to_i64(taker.locked)?)
    .bind(taker.status.as_str())
    .bind(plan.placement.cancelled.map(|c| c.reason.as_str()))
    .bind(&at)
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err)?;
    let written = order_from(&row).map_err(map_err)?;

    for maker in &plan.settlement.makers {
        sqlx::query(
            "UPDATE market_orders SET filled_quantity = filled_quantity + ?2, locked_amount = locked_amount - ?3, \
             updated_at = ?4, status = CASE WHEN filled_quantity + ?2 = quantity THEN 'filled' \
             ELSE 'partially_filled' END WHERE id = ?1",
        )
        .bind(uuid_text(maker.order.as_uuid()))
        .bind(to_i64(maker.quantity)?)
        .bind(to_i64(maker.lock_used)?)
        .bind(&at)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }

    let mut fills = Vec::with_capacity(plan.placement.fills.len());
    for fill in &plan.placement.fills {
        let row = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO trades (id, asset_id, buy_order_id, sell_order_id, buyer_wallet_id, seller_wallet_id, \
             aggressor_side, price, quantity, executed_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING {TRADE_COLUMNS}"
        )))
        .bind(uuid_text(Uuid::new_v4()))
        .bind(uuid_text(order.asset.as_uuid()))
        .bind(uuid_text(fill.buy_order().as_uuid()))
        .bind(uuid_text(fill.sell_order().as_uuid()))
        .bind(uuid_text(fill.buyer().as_uuid()))
        .bind(uuid_text(fill.seller().as_uuid()))
        .bind(fill.taker_side.as_str())
        .bind(to_i64(fill.price.get())?)
        .bind(to_i64(fill.quantity.get())?)
        .bind(&at)
        .fetch_one(&mut *conn)
        .await
        .map_err(map_err)?;
        let trade = trade_from(&row).map_err(map_err)?;
        // The quote legs, so the wallet's history explains every change of its balance.
        for (wallet, counterparty, direction) in [
            (fill.buyer(), fill.seller(), "debit"),
            (fill.seller(), fill.buyer(), "credit"),
        ] {
            sqlx::query(
                "INSERT INTO wallet_transactions (id, wallet_id, counterparty_wallet_id, transfer_id, direction, \
                 tx_type, asset_type, amount, metadata, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'trade', ?6, ?7, ?8, ?9)",
            )
            .bind(uuid_text(Uuid::new_v4()))
            .bind(uuid_text(wallet.as_uuid()))
            .bind(uuid_text(counterparty.as_uuid()))
            .bind(uuid_text(trade.id))
            .bind(direction)
            .bind(NATIVE_ASSET)
            .bind(to_i64(fill.quote_consumed)?)
            .bind(trade_metadata(&trade).to_string())
            .bind(&at)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
        }
        let owner: String =
            sqlx::query_scalar("SELECT identity_id FROM wallet_accounts WHERE id = ?1")
                .bind(uuid_text(fill.maker_wallet.as_uuid()))
                .fetch_one(&mut *conn)
                .await
                .map_err(map_err)?;
        let owner = Uuid::parse_str(&owner)
            .map_err(|_| StoreError::Corrupt(format!("identity id {owner:?}")))?;
        fills.push(MakerFilled {
            order: fill.maker_order,
            owner: IdentityId::from_uuid(owner),
            trade,
        });
    }

    let positions = load_positions(conn, order.asset, &plan.traders()).await?;
    let positions = plan.positions_after(positions)?;
    save_positions(conn, order.asset, &positions, order.at).await?;
    Ok(PlacedOrder {
        order: written,
        fills,
    })
}

/// Cancels a resting order for `reason`, handing back exactly what it still holds.
async fn release_order(
    conn: &mut SqliteConnection,
    order: &OrderRecord,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<OrderRecord, MarketError> {
    let balances = match order.side {
        Side::Buy => Balances::quote(),
        Side::Sell => Balances::asset(order.asset_id),
    };
    let release = BTreeMap::from([(
        order.wallet_id,
        BalanceChange {
            total: 0,
            locked: -i128::from(order.locked_amount),
        },
    )]);
    balances.apply(conn, &release).await?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "UPDATE market_orders SET status = 'cancelled', cancel_reason = ?3, locked_amount = 0, \
         updated_at = ?2 WHERE id = ?1 RETURNING {ORDER_COLUMNS}"
    )))
    .bind(uuid_text(order.id.as_uuid()))
    .bind(to_text(at))
    .bind(reason)
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(order_from(&row).map_err(map_err)?)
}

/// [`crossing_sql`] of each side, built once per process rather than per placement.
static CROSSING_ASKS_SQL: LazyLock<String> = LazyLock::new(|| crossing_sql(Side::Sell));
static CROSSING_BIDS_SQL: LazyLock<String> = LazyLock::new(|| crossing_sql(Side::Buy));

/// The crossing orders an incoming order at `?3` for `?4` units can reach, resting on
/// `side` (`?2`) of asset `?1`: those with less than `?4` units ahead of them in priority
/// order. Each holds at least one unit, so no more than `?4` of them can be reached, and the
/// book is read in priority order only that far; asks in the book index's own order, bids by
/// price from the top (the index read backwards, each level put in time order). Before, every
/// order at a crossing price was read and summed, however deep the book.
fn crossing_sql(side: Side) -> String {
    let (reachable, priority) = match side {
        Side::Sell => ("price <= ?3", "price, sequence"),
        Side::Buy => ("price >= ?3", "price DESC, sequence"),
    };
    format!(
        "SELECT id, wallet_id, side, price, remaining, sequence, locked_amount FROM ( \
         SELECT *, COALESCE(SUM(remaining) OVER (ORDER BY {priority} \
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ahead FROM ( \
           SELECT id, wallet_id, side, price, quantity - filled_quantity AS remaining, sequence, \
           locked_amount FROM market_orders WHERE asset_id = ?1 AND side = ?2 AND {RESTING} \
           AND {reachable} ORDER BY {priority} LIMIT ?4)) WHERE ahead < ?4"
    )
}

#[async_trait]
impl MarketStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn create_asset(&self, asset: NewAsset) -> Result<AssetRecord, MarketError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO asset_definitions (id, symbol, name, asset_type, total_supply, is_tradable, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING {ASSET_COLUMNS}"
        )))
        .bind(uuid_text(asset.id.as_uuid()))
        .bind(asset.symbol.as_str())
        .bind(asset.name.as_str())
        .bind(asset.asset_type.as_str())
        .bind(to_i64(asset.total_supply)?)
        .bind(asset.asset_type != AssetType::Native)
        .bind(to_text(asset.at))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(asset_from(&row).map_err(map_err)?)
    }

    async fn assets(&self) -> Result<Vec<AssetRecord>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM asset_definitions ORDER BY symbol"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(asset_from)
        .collect::<Result<_, _>>()
        .map_err(map_err)
    }

    async fn asset_by_symbol(&self, symbol: &Symbol) -> Result<Option<AssetRecord>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM asset_definitions WHERE symbol = ?1"
        )))
        .bind(symbol.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(asset_from)
        .transpose()
        .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn set_asset_status(
        &self,
        asset: AssetId,
        to: AssetStatus,
        at: DateTime<Utc>,
    ) -> Result<AssetRecord, MarketError> {
        let mut tx = self.begin_write().await?;
        let current = read_asset(&mut tx, asset).await?;
        if !AssetStatus::parse(&current.status).is_ok_and(|from| from.may_become(to)) {
            return Err(MarketRefusal::InvalidTransition {
                from: current.status,
                to,
            }
            .into());
        }
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE asset_definitions SET status = ?2, updated_at = ?3 WHERE id = ?1 RETURNING {ASSET_COLUMNS}"
        )))
        .bind(uuid_text(asset.as_uuid()))
        .bind(to.as_str())
        .bind(to_text(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        if to == AssetStatus::Retired {
            // A retired asset never trades again, so nothing may stay locked in its book.
            let resting = sqlx::query(AssertSqlSafe(format!(
                "SELECT {ORDER_COLUMNS} FROM market_orders WHERE asset_id = ?1 AND {RESTING}"
            )))
            .bind(uuid_text(asset.as_uuid()))
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
            for order in &resting {
                let order = order_from(order).map_err(map_err)?;
                release_order(&mut tx, &order, "asset_halted", at).await?;
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(asset_from(&row).map_err(map_err)?)
    }

    #[tracing::instrument(skip_all)]
    async fn issue(&self, issuance: Issuance) -> Result<AssetRecord, MarketError> {
        let mut tx = self.begin_write().await?;
        let asset = read_asset(&mut tx, issuance.asset).await?;
        if asset.status != AssetStatus::Active.as_str() {
            return Err(MarketRefusal::AssetNotActive(asset.status).into());
        }
        let requested = issuance.quantity.get();
        let fits = i64::try_from(requested)
            .ok()
            .and_then(|q| asset.circulating_supply.checked_add(q))
            .is_some_and(|after| after <= asset.total_supply);
        if !fits {
            return Err(MarketRefusal::SupplyExceeded {
                total: asset.total_supply,
                circulating: asset.circulating_supply,
                requested,
            }
            .into());
        }
        check_wallet(&mut tx, issuance.wallet, None).await?;
        let quantity = to_i64(requested)?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE asset_definitions SET circulating_supply = circulating_supply + ?2, updated_at = ?3 \
             WHERE id = ?1 RETURNING {ASSET_COLUMNS}"
        )))
        .bind(uuid_text(issuance.asset.as_uuid()))
        .bind(quantity)
        .bind(to_text(issuance.at))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let credit = BTreeMap::from([(
            issuance.wallet,
            BalanceChange {
                total: i128::from(quantity),
                locked: 0,
            },
        )]);
        Balances::asset(issuance.asset)
            .apply(&mut tx, &credit)
            .await?;
        let mut positions = load_positions(&mut tx, issuance.asset, &[issuance.wallet]).await?;
        let position = positions.entry(issuance.wallet).or_default();
        *position = position
            .bought(requested, 0)
            .map_err(|_| MarketRefusal::TooLarge)?;
        save_positions(&mut tx, issuance.asset, &positions, issuance.at).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(asset_from(&row).map_err(map_err)?)
    }

    #[tracing::instrument(skip_all)]
    async fn place_order(&self, order: NewMarketOrder) -> Result<PlacedOrder, MarketError> {
        let mut tx = self.begin_write().await?;
        asset_takes_order(&read_asset(&mut tx, order.asset).await?, &order)?;
        check_wallet(&mut tx, order.wallet, Some(order.owner)).await?;
        let crossing_sql = match order.side.opposite() {
            Side::Sell => &CROSSING_ASKS_SQL,
            Side::Buy => &CROSSING_BIDS_SQL,
        };
        let crossing = sqlx::query(AssertSqlSafe(crossing_sql.as_str()))
            .bind(uuid_text(order.asset.as_uuid()))
            .bind(order.side.opposite().as_str())
            .bind(to_i64(order.price.get())?)
            .bind(to_i64(order.quantity.get())?)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| {
                Ok(BookRow {
                    id: OrderId::from_uuid(uuid_from(row, "id")?),
                    wallet: WalletId::from_uuid(uuid_from(row, "wallet_id")?),
                    side: side_from(row, "side")?,
                    price: row.try_get("price")?,
                    remaining: row.try_get("remaining")?,
                    sequence: row.try_get("sequence")?,
                    locked_amount: row.try_get("locked_amount")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(map_err)?;
        let plan = plan_match(&order, crossing)?;
        settle_balances(&mut tx, order.asset, &plan).await?;
        let placed = record_orders_and_trades(&mut tx, &order, &plan).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(placed)
    }

    #[tracing::instrument(skip_all)]
    async fn cancel_order(
        &self,
        order: OrderId,
        owner: IdentityId,
        at: DateTime<Utc>,
    ) -> Result<OrderRecord, MarketError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS}, (SELECT identity_id FROM wallet_accounts w WHERE w.id = o.wallet_id) AS owner \
             FROM market_orders o WHERE id = ?1"
        )))
        .bind(uuid_text(order.as_uuid()))
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?
        .ok_or(MarketRefusal::OrderNotFound)?;
        let current = order_from(&row).map_err(map_err)?;
        let order_owner: Option<String> = row.try_get("owner").map_err(map_err)?;
        if order_owner != Some(uuid_text(owner.as_uuid())) {
            return Err(MarketRefusal::NotOwner.into());
        }
        if !current.status.is_resting() {
            return Err(MarketRefusal::OrderNotResting(current.status).into());
        }
        let cancelled = release_order(&mut tx, &current, "user", at).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(cancelled)
    }

    async fn orders(&self, filter: OrderFilter) -> Result<Vec<OrderRecord>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM market_orders WHERE wallet_id IN \
             (SELECT id FROM wallet_accounts WHERE identity_id = ?1) \
             AND (?2 IS NULL OR asset_id = ?2) AND (NOT ?3 OR {RESTING}) \
             ORDER BY sequence DESC LIMIT ?4"
        )))
        .bind(uuid_text(filter.owner.as_uuid()))
        .bind(filter.asset.map(|a| uuid_text(a.as_uuid())))
        .bind(filter.resting_only)
        .bind(i64::from(filter.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(order_from)
        .collect::<Result<_, _>>()
        .map_err(map_err)
    }

    async fn order_book(&self, asset: AssetId, levels: u32) -> Result<Depth, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT side, price, SUM(quantity - filled_quantity) AS quantity, COUNT(*) AS orders \
             FROM market_orders WHERE asset_id = ?1 AND {RESTING} GROUP BY side, price"
        )))
        .bind(uuid_text(asset.as_uuid()))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut depth = Depth::default();
        for row in &rows {
            let corrupt = |what: &str| StoreError::Corrupt(format!("order book {what}"));
            let price: i64 = row.try_get("price").map_err(map_err)?;
            let quantity: i64 = row.try_get("quantity").map_err(map_err)?;
            let orders: i64 = row.try_get("orders").map_err(map_err)?;
            let level = DepthLevel {
                price: u64::try_from(price)
                    .ok()
                    .and_then(|p| Price::new(p).ok())
                    .ok_or_else(|| corrupt("price"))?,
                quantity: u128::try_from(quantity).map_err(|_| corrupt("quantity"))?,
                orders: usize::try_from(orders).map_err(|_| corrupt("count"))?,
            };
            match side_from(row, "side").map_err(map_err)? {
                Side::Buy => depth.bids.push(level),
                Side::Sell => depth.asks.push(level),
            }
        }
        Ok(multipass_store::market::best_levels(depth, levels))
    }

    async fn trades(&self, asset: AssetId, limit: u32) -> Result<Vec<TradeRecord>, StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {TRADE_COLUMNS} FROM trades WHERE asset_id = ?1 ORDER BY executed_at DESC, rowid DESC LIMIT ?2"
        )))
        .bind(uuid_text(asset.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(trade_from)
        .collect::<Result<_, _>>()
        .map_err(map_err)
    }

    async fn positions(&self, owner: IdentityId) -> Result<Vec<PositionRecord>, StoreError> {
        sqlx::query(
            "SELECT p.wallet_id, p.asset_id, a.symbol, p.quantity, p.cost_basis, p.average_cost, \
             p.realized_pnl, p.last_trade_at FROM positions p \
             JOIN wallet_accounts w ON w.id = p.wallet_id JOIN asset_definitions a ON a.id = p.asset_id \
             WHERE w.identity_id = ?1 ORDER BY a.symbol, p.wallet_id",
        )
        .bind(uuid_text(owner.as_uuid()))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| {
            Ok(PositionRecord {
                wallet_id: WalletId::from_uuid(uuid_from(row, "wallet_id")?),
                asset_id: AssetId::from_uuid(uuid_from(row, "asset_id")?),
                symbol: row.try_get("symbol")?,
                quantity: row.try_get("quantity")?,
                cost_basis: row.try_get("cost_basis")?,
                average_cost: row.try_get("average_cost")?,
                realized_pnl: row.try_get("realized_pnl")?,
                last_trade_at: row
                    .try_get::<Option<String>, _>("last_trade_at")?
                    .as_deref()
                    .map(from_text)
                    .transpose()?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(map_err)
    }
}
