//! The market on the shared database. Matching for an asset is serialised across every
//! desktop by the row lock of its book (`market_books`): an order that crosses nothing is
//! placed in one statement that takes it ([`uncrossed`]); any other placement, and a change
//! of the asset's status, runs in a transaction that takes it first. Locks are taken in one
//! order everywhere: the book row, the asset row (`FOR NO KEY UPDATE`, which leaves the
//! foreign-key checks of inserted orders free to pass), then balance rows, `wallet_balances`
//! by ascending wallet, then `asset_balances` by ascending wallet, then `positions`.

mod uncrossed;

use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use multipass_domain::IdentityId;
use multipass_domain::market::{
    AssetId, AssetStatus, AssetType, Depth, DepthLevel, OrderId, OrderStatus, Position, Price,
    Side, Symbol, TakerOutcome, WalletId,
};
use multipass_domain::money::NATIVE_ASSET;
use multipass_store::market::matching::{
    BookRow, MatchPlan, asset_takes_order, change_columns, plan_match, to_i64, trade_metadata,
};
use multipass_store::{
    AssetRecord, Issuance, MakerFilled, MarketError, MarketRefusal, MarketStore, NewAsset,
    NewMarketOrder, OrderFilter, OrderRecord, PlacedOrder, PositionRecord, StoreError, TradeRecord,
};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
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
/// The ends of the price range, for the bounds of `market_books`: a side with no resting
/// order has its bound at the far end (a ceiling at the bottom, a floor at the top), and a
/// book row that claims nothing, which every order may cross, has them the other way round.
const PRICE_TOP: i64 = i64::MAX;
const PRICE_BOTTOM: i64 = 0;

fn decode_err(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("{what} {value:?}").into())
}

fn side_from(row: &PgRow, column: &str) -> Result<Side, sqlx::Error> {
    let text: String = row.try_get(column)?;
    match text.as_str() {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        _ => Err(decode_err(column, &text)),
    }
}

fn asset_from(row: &PgRow) -> Result<AssetRecord, sqlx::Error> {
    Ok(AssetRecord {
        id: AssetId::from_uuid(row.try_get("id")?),
        symbol: row.try_get("symbol")?,
        name: row.try_get("name")?,
        asset_type: row.try_get("asset_type")?,
        total_supply: row.try_get("total_supply")?,
        circulating_supply: row.try_get("circulating_supply")?,
        status: row.try_get("status")?,
        is_tradable: row.try_get("is_tradable")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn order_from(row: &PgRow) -> Result<OrderRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(OrderRecord {
        id: OrderId::from_uuid(row.try_get("id")?),
        sequence: row.try_get("sequence")?,
        asset_id: AssetId::from_uuid(row.try_get("asset_id")?),
        wallet_id: WalletId::from_uuid(row.try_get("wallet_id")?),
        side: side_from(row, "side")?,
        price: row.try_get("price")?,
        quantity: row.try_get("quantity")?,
        filled_quantity: row.try_get("filled_quantity")?,
        locked_amount: row.try_get("locked_amount")?,
        status: OrderStatus::parse(&status).ok_or_else(|| decode_err("status", &status))?,
        cancel_reason: row.try_get("cancel_reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn trade_from(row: &PgRow) -> Result<TradeRecord, sqlx::Error> {
    Ok(TradeRecord {
        id: row.try_get("id")?,
        asset_id: AssetId::from_uuid(row.try_get("asset_id")?),
        buy_order_id: OrderId::from_uuid(row.try_get("buy_order_id")?),
        sell_order_id: OrderId::from_uuid(row.try_get("sell_order_id")?),
        buyer_wallet_id: WalletId::from_uuid(row.try_get("buyer_wallet_id")?),
        seller_wallet_id: WalletId::from_uuid(row.try_get("seller_wallet_id")?),
        aggressor_side: side_from(row, "aggressor_side")?,
        price: row.try_get("price")?,
        quantity: row.try_get("quantity")?,
        executed_at: row.try_get("executed_at")?,
    })
}

fn uuids(wallets: &[WalletId]) -> Vec<Uuid> {
    wallets.iter().map(WalletId::as_uuid).collect()
}

/// Takes the asset's lock: from here until commit, no other transaction can match, cancel
/// or issue on this asset. `FOR NO KEY UPDATE` rather than `FOR UPDATE`: the first lets the
/// foreign-key check of an order inserted beside it pass, which an uncrossed placement
/// makes while it holds the book row that a placement here may be waiting for.
async fn lock_asset(conn: &mut PgConnection, asset: AssetId) -> Result<AssetRecord, MarketError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ASSET_COLUMNS} FROM asset_definitions WHERE id = $1 FOR NO KEY UPDATE"
    )))
    .bind(asset.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?
    .ok_or(MarketRefusal::AssetNotFound)?;
    Ok(asset_from(&row).map_err(map_err)?)
}

/// Asks rest in the book index's own order (price, then sequence), so the index is read
/// forward and stops after `$4` rows.
fn crossing_asks_cte() -> String {
    format!(
        "crossing AS (SELECT id, wallet_id, side, price, remaining, sequence, locked_amount, \
         (SELECT identity_id FROM wallet_accounts w WHERE w.id = reached.wallet_id) AS owner FROM ( \
           SELECT *, COALESCE(SUM(remaining) OVER (ORDER BY price, sequence \
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ahead FROM ( \
             SELECT id, wallet_id, side, price, quantity - filled_quantity AS remaining, sequence, \
             locked_amount FROM market_orders WHERE asset_id = $1 AND side = $2 \
             AND {RESTING} AND price <= $3 ORDER BY price, sequence LIMIT $4) AS reachable) AS reached \
         WHERE ahead < $4)"
    )
}

/// Bids rest in price-descending, sequence-ascending order, which no scan of the book index
/// (price and sequence both ascending) gives: read as one ordered query, PostgreSQL sorts the
/// whole best price level first (4.5 ms at 4,000 orders a level). So the book is walked one
/// order at a time, each step an index probe: the next order of the same level, or else the
/// first order of the next lower level; the walk stops once `$4` units are ahead.
fn crossing_bids_cte() -> String {
    let book = format!("asset_id = $1 AND side = $2 AND {RESTING}");
    let columns = "id, wallet_id, side, price, quantity - filled_quantity AS remaining, sequence, \
                   locked_amount";
    format!(
        "walk AS ( \
           (SELECT {columns}, 0::bigint AS ahead FROM market_orders WHERE {book} \
            AND price = (SELECT max(price) FROM market_orders WHERE {book} AND price >= $3) \
            ORDER BY sequence LIMIT 1) \
           UNION ALL \
           SELECT next.id, next.wallet_id, next.side, next.price, next.remaining, next.sequence, \
             next.locked_amount, walk.ahead + walk.remaining \
           FROM walk CROSS JOIN LATERAL ( \
             SELECT * FROM ( \
               (SELECT 0 AS step, {columns} FROM market_orders WHERE {book} \
                AND price = walk.price AND sequence > walk.sequence ORDER BY sequence LIMIT 1) \
               UNION ALL \
               (SELECT 1 AS step, {columns} FROM market_orders WHERE {book} \
                AND price = (SELECT max(price) FROM market_orders WHERE {book} \
                             AND price >= $3 AND price < walk.price) \
                ORDER BY sequence LIMIT 1)) AS candidates \
             ORDER BY step LIMIT 1) AS next \
           WHERE walk.ahead + walk.remaining < $4), \
         crossing AS (SELECT id, wallet_id, side, price, remaining, sequence, locked_amount, \
         (SELECT identity_id FROM wallet_accounts w WHERE w.id = walk.wallet_id) AS owner FROM walk)"
    )
}

/// [`crossing_sql`] of each side, built once: it is sent holding the asset's lock.
static CROSSING_ASKS_SQL: LazyLock<String> = LazyLock::new(|| crossing_sql(Side::Sell));
static CROSSING_BIDS_SQL: LazyLock<String> = LazyLock::new(|| crossing_sql(Side::Buy));

/// The crossing orders and the locks of the balance rows and positions the placement
/// changes, in the order [`lock_balances`] takes them: quote rows, asset rows, then
/// positions, each by ascending wallet. When nothing crosses, those are the rows of `$5`
/// (quote) and `$7` (asset) wallets, what the order does alone; when orders cross, the rows
/// of the taker `$8` and of every crossing order's wallet (a superset of what the fills
/// touch: a self-trade cancellation can stop short of the last). Each round trip here is
/// made holding the asset's lock, which every placement of the asset waits for; finding the
/// book and locking what it needs in one statement spares a trading placement the separate
/// locking statement.
///
/// The crossing orders are the resting orders of `side` that an incoming order at `$3` for
/// `$4` units can reach, as the CTE `crossing`: those with less than `$4` ahead of them in
/// priority order. As each holds at least one unit, no more than `$4` of them can be
/// reached, so the read stops there; before this, every crossing order was read and summed,
/// which grew with the book.
fn crossing_sql(side: Side) -> String {
    let crossing = match side {
        Side::Sell => crossing_asks_cte(),
        Side::Buy => crossing_bids_cte(),
    };
    // Arrays computed once (init plans), so each lock is an index probe per wallet.
    let traders = "ARRAY(SELECT wallet_id FROM crossing UNION SELECT $8::uuid)";
    format!(
        "WITH RECURSIVE {crossing}, \
         crosses AS (SELECT EXISTS (SELECT 1 FROM crossing) AS crossed), \
         quote_rows AS (SELECT wallet_id, total - locked AS available FROM wallet_balances \
           WHERE asset_type = $6 AND wallet_id = ANY((SELECT CASE WHEN crossed THEN {traders} \
             ELSE $5::uuid[] END FROM crosses)::uuid[]) \
           ORDER BY wallet_id FOR UPDATE), \
         asset_rows AS (SELECT wallet_id, quantity - locked_quantity AS available FROM asset_balances \
           WHERE asset_id = $1 AND wallet_id = ANY((SELECT CASE WHEN crossed THEN {traders} \
             ELSE $7::uuid[] END FROM crosses)::uuid[]) \
           ORDER BY wallet_id FOR UPDATE), \
         position_rows AS (SELECT wallet_id, quantity, cost_basis, realized_pnl FROM positions \
           WHERE asset_id = $1 AND wallet_id = ANY((SELECT CASE WHEN crossed THEN {traders} \
             ELSE '{{}}'::uuid[] END FROM crosses)::uuid[]) \
           ORDER BY wallet_id FOR UPDATE) \
         SELECT 'order' AS kind, id, wallet_id, side, price, remaining, sequence, locked_amount, \
           owner, NULL::bigint AS available, NULL::bigint AS quantity, NULL::bigint AS cost_basis, \
           NULL::bigint AS realized_pnl FROM crossing \
         UNION ALL SELECT 'quote', NULL, wallet_id, NULL, NULL, NULL, NULL, NULL, NULL, available, \
           NULL, NULL, NULL FROM quote_rows \
         UNION ALL SELECT 'asset', NULL, wallet_id, NULL, NULL, NULL, NULL, NULL, NULL, available, \
           NULL, NULL, NULL FROM asset_rows \
         UNION ALL SELECT 'position', NULL, wallet_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
           quantity, cost_basis, realized_pnl FROM position_rows"
    )
}

/// Takes the asset's book row, then its lock as [`lock_asset`] does, and in the same round
/// trip reads the owner and status of the ordering wallet (not locked, as before: an order
/// only needs the wallet to be active when it is placed). A book row missing (an asset
/// written by other means than the app) is made here, claiming nothing. The asset row's
/// lock is what makes its status current when the wait for the book row was long: the
/// row is read again as the lock finds it.
async fn lock_asset_for_order(
    conn: &mut PgConnection,
    order: &NewMarketOrder,
) -> Result<AssetRecord, MarketError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "WITH book AS (INSERT INTO market_books (asset_id) \
           SELECT id FROM asset_definitions WHERE id = $1 \
           ON CONFLICT (asset_id) DO UPDATE SET updated_at = market_books.updated_at \
           RETURNING asset_id) \
         SELECT {ASSET_COLUMNS}, w.wallet_owner, w.wallet_status \
         FROM book JOIN asset_definitions ON asset_definitions.id = book.asset_id LEFT JOIN LATERAL \
         (SELECT identity_id AS wallet_owner, status AS wallet_status FROM wallet_accounts \
          WHERE id = $2) AS w ON TRUE \
         FOR NO KEY UPDATE OF asset_definitions"
    )))
    .bind(order.asset.as_uuid())
    .bind(order.wallet.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?
    .ok_or(MarketRefusal::AssetNotFound)?;
    let asset = asset_from(&row).map_err(map_err)?;
    asset_takes_order(&asset, order)?;
    let owner: Option<Uuid> = row.try_get("wallet_owner").map_err(map_err)?;
    let status: Option<String> = row.try_get("wallet_status").map_err(map_err)?;
    wallet_may_order(owner.zip(status), Some(order.owner))?;
    Ok(asset)
}

/// Refuses a wallet that is missing (`None`), someone else's or not active.
fn wallet_may_order(
    found: Option<(Uuid, String)>,
    owner: Option<IdentityId>,
) -> Result<(), MarketError> {
    let (identity, status) = found.ok_or(MarketRefusal::WalletNotFound)?;
    if owner.is_some_and(|owner| owner.as_uuid() != identity) {
        return Err(MarketRefusal::NotOwner.into());
    }
    if status != "active" {
        return Err(MarketRefusal::WalletNotActive(status).into());
    }
    Ok(())
}

/// The wallet's owner, refusing a wallet that is missing, someone else's or not active.
async fn check_wallet(
    conn: &mut PgConnection,
    wallet: WalletId,
    owner: Option<IdentityId>,
) -> Result<(), MarketError> {
    let found = sqlx::query("SELECT identity_id, status FROM wallet_accounts WHERE id = $1")
        .bind(wallet.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?
        .map(|row| -> Result<(Uuid, String), sqlx::Error> {
            Ok((row.try_get("identity_id")?, row.try_get("status")?))
        })
        .transpose()
        .map_err(map_err)?;
    wallet_may_order(found, owner)
}

async fn load_positions(
    conn: &mut PgConnection,
    asset: AssetId,
    wallets: &[WalletId],
) -> Result<BTreeMap<WalletId, Position>, StoreError> {
    if wallets.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows = sqlx::query(
        "SELECT wallet_id, quantity, cost_basis, realized_pnl FROM positions \
         WHERE asset_id = $1 AND wallet_id = ANY($2) ORDER BY wallet_id FOR UPDATE",
    )
    .bind(asset.as_uuid())
    .bind(uuids(wallets))
    .fetch_all(&mut *conn)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(|row| {
            let wallet = WalletId::from_uuid(row.try_get("wallet_id").map_err(map_err)?);
            Ok((wallet, position_from(row)?))
        })
        .collect()
}

/// Positions as `unnest` arrays, for one upsert of every trader.
#[derive(Default)]
struct PositionColumns {
    wallets: Vec<Uuid>,
    quantities: Vec<i64>,
    costs: Vec<i64>,
    averages: Vec<i64>,
    pnls: Vec<i64>,
}

impl PositionColumns {
    fn of(positions: &BTreeMap<WalletId, Position>) -> Result<Self, MarketError> {
        let mut columns = Self::default();
        for (wallet, position) in positions {
            columns.wallets.push(wallet.as_uuid());
            columns.quantities.push(to_i64(position.quantity)?);
            columns.costs.push(to_i64(position.cost_basis)?);
            columns.averages.push(to_i64(position.average_cost())?);
            columns.pnls.push(position.realized_pnl);
        }
        Ok(columns)
    }
}

/// The upsert of [`PositionColumns`] bound from `$first` on (wallets, quantities, costs,
/// average costs, realised P&L), for asset `$asset` at time `$at`. The rows are already
/// locked (or new) in wallet order.
fn upsert_positions_sql(first: u8, asset: u8, at: u8) -> String {
    let [w, q, c, a, p] = [first, first + 1, first + 2, first + 3, first + 4];
    format!(
        "INSERT INTO positions (wallet_id, asset_id, quantity, cost_basis, average_cost, realized_pnl, \
         opened_at, last_trade_at, created_at) \
         SELECT p.wallet_id, ${asset}, p.quantity, p.cost_basis, p.average_cost, p.realized_pnl, ${at}, ${at}, ${at} \
         FROM unnest(${w}::uuid[], ${q}::bigint[], ${c}::bigint[], ${a}::bigint[], ${p}::bigint[]) \
         AS p(wallet_id, quantity, cost_basis, average_cost, realized_pnl) \
         ON CONFLICT (wallet_id, asset_id) DO UPDATE SET quantity = EXCLUDED.quantity, \
         cost_basis = EXCLUDED.cost_basis, average_cost = EXCLUDED.average_cost, \
         realized_pnl = EXCLUDED.realized_pnl, last_trade_at = EXCLUDED.last_trade_at"
    )
}

async fn save_positions(
    conn: &mut PgConnection,
    asset: AssetId,
    positions: &BTreeMap<WalletId, Position>,
    at: DateTime<Utc>,
) -> Result<(), MarketError> {
    if positions.is_empty() {
        return Ok(());
    }
    let columns = PositionColumns::of(positions)?;
    sqlx::query(AssertSqlSafe(upsert_positions_sql(3, 1, 2)))
        .bind(asset.as_uuid())
        .bind(at)
        .bind(columns.wallets)
        .bind(columns.quantities)
        .bind(columns.costs)
        .bind(columns.averages)
        .bind(columns.pnls)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Locks the balance rows the plan moves, `wallet_balances` then `asset_balances`, each by
/// ascending wallet, then the traders' positions in the asset, in one statement; checks the
/// taker can cover its lock and returns the positions as they were. A wallet that receives a
/// currency or asset for the first time gets an empty row first (under the asset's lock, so
/// no other order waits on that insert).
async fn lock_balances(
    conn: &mut PgConnection,
    asset: AssetId,
    plan: &MatchPlan,
) -> Result<BTreeMap<WalletId, Position>, MarketError> {
    let (quote_wallets, asset_wallets) = plan_wallets(plan);
    let traders = uuids(&plan.traders());
    // The positions ride along in the locking statement rather than a statement of their
    // own: every round trip here is made holding the asset's lock, which all placements of
    // the asset queue behind.
    let lock = || {
        sqlx::query(
            "WITH q AS (SELECT wallet_id, total - locked AS available FROM wallet_balances \
               WHERE asset_type = $2 AND wallet_id = ANY($1) ORDER BY wallet_id FOR UPDATE), \
             a AS (SELECT wallet_id, quantity - locked_quantity AS available FROM asset_balances \
               WHERE asset_id = $4 AND wallet_id = ANY($3) ORDER BY wallet_id FOR UPDATE), \
             p AS (SELECT wallet_id, quantity, cost_basis, realized_pnl FROM positions \
               WHERE asset_id = $4 AND wallet_id = ANY($5) ORDER BY wallet_id FOR UPDATE) \
             SELECT 'quote' AS kind, wallet_id, available, NULL::bigint AS quantity, \
               NULL::bigint AS cost_basis, NULL::bigint AS realized_pnl FROM q \
             UNION ALL SELECT 'asset', wallet_id, available, NULL, NULL, NULL FROM a \
             UNION ALL SELECT 'position', wallet_id, NULL, quantity, cost_basis, realized_pnl FROM p",
        )
        .bind(&quote_wallets)
        .bind(NATIVE_ASSET)
        .bind(&asset_wallets)
        .bind(asset.as_uuid())
        .bind(&traders)
    };
    let fetch_locked = async |conn: &mut PgConnection| -> Result<_, MarketError> {
        let rows = lock().fetch_all(&mut *conn).await.map_err(map_err)?;
        let rows = rows
            .iter()
            .map(crossing_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(locked_rows(rows))
    };
    let (mut locked, mut positions) = fetch_locked(&mut *conn).await?;
    if !locks_cover(plan, &locked) {
        sqlx::query(
            "WITH q AS (INSERT INTO wallet_balances (wallet_id, asset_type) \
               SELECT w, $2 FROM unnest($1::uuid[]) AS w ON CONFLICT (wallet_id, asset_type) DO NOTHING) \
             INSERT INTO asset_balances (wallet_id, asset_id) SELECT w, $4 FROM unnest($3::uuid[]) AS w \
             ON CONFLICT (wallet_id, asset_id) DO NOTHING",
        )
        .bind(&quote_wallets)
        .bind(NATIVE_ASSET)
        .bind(&asset_wallets)
        .bind(asset.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
        (locked, positions) = fetch_locked(&mut *conn).await?;
    }
    require_taker_available(plan, &locked)?;
    Ok(positions)
}

fn position_from(row: &PgRow) -> Result<Position, StoreError> {
    let amount = |column: &str| -> Result<u64, StoreError> {
        let value: i64 = row.try_get(column).map_err(map_err)?;
        u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column} {value}")))
    };
    Ok(Position {
        quantity: amount("quantity")?,
        cost_basis: amount("cost_basis")?,
        realized_pnl: row.try_get("realized_pnl").map_err(map_err)?,
    })
}

/// A balance row locked for a placement, with what it has available.
struct LockedBalance {
    /// The quote currency's row, not the asset's.
    quote: bool,
    wallet: Uuid,
    available: i64,
}

/// One row of [`crossing_sql`] or [`lock_balances`]: a crossing order with its owner, a
/// locked balance row, or a locked position.
enum CrossingRow {
    Order { book: BookRow, owner: Uuid },
    Locked(LockedBalance),
    Position(WalletId, Position),
}

fn crossing_row(row: &PgRow) -> Result<CrossingRow, StoreError> {
    let kind: &str = row.try_get("kind").map_err(map_err)?;
    let wallet: Uuid = row.try_get("wallet_id").map_err(map_err)?;
    match kind {
        "order" => {
            let order = || -> Result<CrossingRow, sqlx::Error> {
                Ok(CrossingRow::Order {
                    owner: row.try_get("owner")?,
                    book: BookRow {
                        id: OrderId::from_uuid(row.try_get("id")?),
                        wallet: WalletId::from_uuid(wallet),
                        side: side_from(row, "side")?,
                        price: row.try_get("price")?,
                        remaining: row.try_get("remaining")?,
                        sequence: row.try_get("sequence")?,
                        locked_amount: row.try_get("locked_amount")?,
                    },
                })
            };
            order().map_err(map_err)
        }
        "position" => Ok(CrossingRow::Position(
            WalletId::from_uuid(wallet),
            position_from(row)?,
        )),
        "quote" | "asset" => Ok(CrossingRow::Locked(LockedBalance {
            quote: kind == "quote",
            wallet,
            available: row.try_get("available").map_err(map_err)?,
        })),
        other => Err(map_err(decode_err("kind", other))),
    }
}

/// The locked balance rows and positions of `rows`, the crossing orders set aside.
fn locked_rows(rows: Vec<CrossingRow>) -> (Vec<LockedBalance>, BTreeMap<WalletId, Position>) {
    let mut locked = Vec::new();
    let mut positions = BTreeMap::new();
    for row in rows {
        match row {
            CrossingRow::Order { .. } => {}
            CrossingRow::Locked(balance) => locked.push(balance),
            CrossingRow::Position(wallet, position) => {
                positions.insert(wallet, position);
            }
        }
    }
    (locked, positions)
}

/// Whether `locked` holds a row of every wallet whose balances `plan` changes.
fn locks_cover(plan: &MatchPlan, locked: &[LockedBalance]) -> bool {
    let (quote_wallets, asset_wallets) = plan_wallets(plan);
    let has = |quote: bool, wallet: &Uuid| {
        locked
            .iter()
            .any(|row| row.quote == quote && row.wallet == *wallet)
    };
    quote_wallets.iter().all(|wallet| has(true, wallet))
        && asset_wallets.iter().all(|wallet| has(false, wallet))
}

/// Refuses the placement unless the taker's locked row has what the order must lock.
fn require_taker_available(plan: &MatchPlan, locked: &[LockedBalance]) -> Result<(), MarketError> {
    let taker = plan.order.wallet.as_uuid();
    let taker_pays_quote = plan.order.side == Side::Buy;
    let available = locked
        .iter()
        .find(|row| row.quote == taker_pays_quote && row.wallet == taker)
        .map_or(0, |row| row.available);
    plan.require_available(available)
}

/// The wallets whose quote and asset rows `plan` changes, in locking order.
fn plan_wallets(plan: &MatchPlan) -> (Vec<Uuid>, Vec<Uuid>) {
    let settlement = &plan.settlement;
    (
        uuids(&settlement.quote.keys().copied().collect::<Vec<_>>()),
        uuids(&settlement.asset.keys().copied().collect::<Vec<_>>()),
    )
}

/// The balance changes and the incoming order, as one statement: the rows were locked by
/// the crossing read or [`lock_balances`], and each CTE touches a different table. `$1`–`$18`.
const RECORD_ORDER_SQL: &str = "q AS (UPDATE wallet_balances b SET total = b.total + c.total, \
       locked = b.locked + c.locked \
       FROM unnest($12::uuid[], $13::bigint[], $14::bigint[]) AS c(wallet_id, total, locked) \
       WHERE b.wallet_id = c.wallet_id AND b.wallet_id = ANY($12) AND b.asset_type = $15), \
     a AS (UPDATE asset_balances b SET quantity = b.quantity + c.total, \
       locked_quantity = b.locked_quantity + c.locked \
       FROM unnest($16::uuid[], $17::bigint[], $18::bigint[]) AS c(wallet_id, total, locked) \
       WHERE b.wallet_id = c.wallet_id AND b.wallet_id = ANY($16) AND b.asset_id = $3)";

/// What a placement that traded writes besides [`RECORD_ORDER_SQL`]: the trades, their quote
/// legs (so each wallet's history explains every change of its balance) and the traders'
/// positions, all fills at once, from `$19` on.
fn record_fills_sql() -> String {
    let positions = upsert_positions_sql(28, 3, 11);
    format!(
        "fills AS (SELECT * FROM unnest($19::uuid[], $20::uuid[], $21::uuid[], $22::uuid[], \
           $23::uuid[], $24::bigint[], $25::bigint[], $26::bigint[], $27::jsonb[]) \
           AS f(id, buy_order_id, sell_order_id, buyer, seller, price, quantity, quote, metadata)), \
         t AS (INSERT INTO trades (id, asset_id, buy_order_id, sell_order_id, buyer_wallet_id, \
           seller_wallet_id, aggressor_side, price, quantity, executed_at, created_at) \
           SELECT id, $3, buy_order_id, sell_order_id, buyer, seller, $4, price, quantity, $11, $11 \
           FROM fills), \
         l AS (INSERT INTO wallet_transactions (wallet_id, counterparty_wallet_id, transfer_id, \
           direction, tx_type, asset_type, amount, metadata, created_at) \
           SELECT leg.wallet, leg.counterparty, fills.id, leg.direction, 'trade', $15, fills.quote, \
           fills.metadata, $11 FROM fills CROSS JOIN LATERAL (VALUES \
             (fills.buyer, fills.seller, 'debit'), (fills.seller, fills.buyer, 'credit')) \
           AS leg(wallet, counterparty, direction)), \
         p AS ({positions})"
    )
}

/// The book row set to what the book is once the placement is written, so that later
/// orders that cross nothing can be placed without reading it ([`uncrossed`]). The
/// statement sees the book as the makers' update left it, without the incoming order it
/// inserts itself (`$4` side, `$5` price, `$9` status): the best resting price of each side,
/// or the incoming order's own when it rests and beats it. Each side is one probe of the
/// book index.
fn refresh_book_sql() -> String {
    let rests = "$9::text IN ('open', 'partially_filled')";
    format!(
        "bk AS (UPDATE market_books SET \
           bid_ceiling = GREATEST(COALESCE((SELECT max(price) FROM market_orders \
             WHERE asset_id = $3 AND side = 'buy' AND {RESTING}), {PRICE_BOTTOM}), \
             CASE WHEN $4::text = 'buy' AND {rests} THEN $5::bigint ELSE {PRICE_BOTTOM} END), \
           ask_floor = LEAST(COALESCE((SELECT min(price) FROM market_orders \
             WHERE asset_id = $3 AND side = 'sell' AND {RESTING}), {PRICE_TOP}), \
             CASE WHEN $4::text = 'sell' AND {rests} THEN $5::bigint ELSE {PRICE_TOP} END), \
           updated_at = $11 \
         WHERE asset_id = $3)"
    )
}

/// [`record_sql`] of each kind, built once: it is sent holding the asset's lock.
static RECORD_ALONE_SQL: LazyLock<String> = LazyLock::new(|| record_sql(false));
static RECORD_TRADING_SQL: LazyLock<String> = LazyLock::new(|| record_sql(true));

/// The statement [`record_orders_and_trades`] sends: the order and its balance changes,
/// with [`record_fills_sql`] when it traded. It answers the order as written.
fn record_sql(trading: bool) -> String {
    let fills_sql = if trading {
        format!("{}, ", record_fills_sql())
    } else {
        String::new()
    };
    let book = refresh_book_sql();
    format!(
        "WITH {RECORD_ORDER_SQL}, {book}, {fills_sql}o AS (INSERT INTO market_orders (id, wallet_id, asset_id, \
         side, price, quantity, filled_quantity, locked_amount, status, cancel_reason, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         RETURNING {ORDER_COLUMNS}) SELECT * FROM o"
    )
}

/// The trades of `plan`'s fills, as [`record_orders_and_trades`] writes them.
fn planned_trades(
    order: &NewMarketOrder,
    plan: &MatchPlan,
    at: DateTime<Utc>,
) -> Result<Vec<TradeRecord>, MarketError> {
    plan.placement
        .fills
        .iter()
        .map(|fill| {
            Ok(TradeRecord {
                id: Uuid::new_v4(),
                asset_id: order.asset,
                buy_order_id: fill.buy_order(),
                sell_order_id: fill.sell_order(),
                buyer_wallet_id: fill.buyer(),
                seller_wallet_id: fill.seller(),
                aggressor_side: fill.taker_side,
                price: to_i64(fill.price.get())?,
                quantity: to_i64(fill.quantity.get())?,
                executed_at: at,
            })
        })
        .collect()
}

/// Records the makers' progress. A statement of its own, planned afresh on every call
/// (`persistent(false)`): a connection's cached generic plan keeps the table size it saw
/// when the plan was made. Made while the book was small and not replanned until an ANALYZE
/// (never, with autovacuum off), it scanned the whole of `market_orders` for every fill:
/// 15,000 rows and 3.4 ms a placement that traded, in the persisted benchmark, instead of
/// one primary-key probe per maker. Folded into the prepared statement of the other writes,
/// it made that statement planned afresh too, which cost 0.8 ms a trading placement (parse
/// 0.34 ms, plan 0.43 ms) against about 0.1 ms for this one alone.
async fn record_makers(
    conn: &mut PgConnection,
    plan: &MatchPlan,
    at: DateTime<Utc>,
) -> Result<(), MarketError> {
    let makers = &plan.settlement.makers;
    let quantities = makers
        .iter()
        .map(|m| to_i64(m.quantity))
        .collect::<Result<Vec<_>, _>>()?;
    let used = makers
        .iter()
        .map(|m| to_i64(m.lock_used))
        .collect::<Result<Vec<_>, _>>()?;
    let updated = sqlx::query(
        "UPDATE market_orders o SET filled_quantity = o.filled_quantity + c.quantity, \
         locked_amount = o.locked_amount - c.used, updated_at = $4, \
         status = CASE WHEN o.filled_quantity + c.quantity = o.quantity THEN 'filled' ELSE 'partially_filled' END \
         FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS c(id, quantity, used) WHERE o.id = c.id",
    )
    .persistent(false)
    .bind(makers.iter().map(|m| m.order.as_uuid()).collect::<Vec<_>>())
    .bind(quantities)
    .bind(used)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?
    .rows_affected();
    if usize::try_from(updated).ok() != Some(makers.len()) {
        return Err(StoreError::Corrupt(format!(
            "{updated} of {} filled orders were updated",
            makers.len()
        ))
        .into());
    }
    Ok(())
}

/// Writes the incoming order, the makers' progress, the trades and the positions: two
/// statements when it traded ([`record_makers`], then one for everything else), one when it
/// did not. They are sent holding the asset's lock, which every placement of the asset
/// waits for; a trading placement used to send one statement for the order, one for the
/// makers, two per fill and two for the positions.
async fn record_orders_and_trades(
    conn: &mut PgConnection,
    order: &NewMarketOrder,
    plan: &MatchPlan,
    owners: &BTreeMap<Uuid, Uuid>,
    positions: BTreeMap<WalletId, Position>,
) -> Result<PlacedOrder, MarketError> {
    // The trades are returned as built here, so their time must be what PostgreSQL keeps.
    let at = order.at.trunc_subsecs(6);
    let cancel_reason = plan.placement.cancelled.map(|c| c.reason.as_str());
    let quote = change_columns(&plan.settlement.quote)?;
    let held = change_columns(&plan.settlement.asset)?;
    let trades = planned_trades(order, plan, at)?;
    let trading = !trades.is_empty();
    if trading {
        record_makers(conn, plan, at).await?;
    }
    let statement = if trading {
        &RECORD_TRADING_SQL
    } else {
        &RECORD_ALONE_SQL
    };
    let mut query = bind_order(
        sqlx::query(AssertSqlSafe(statement.as_str())),
        order,
        &plan.settlement.taker,
        cancel_reason,
        at,
    )?
    .bind(uuids(&quote.wallets))
    .bind(quote.totals)
    .bind(quote.locks)
    .bind(NATIVE_ASSET)
    .bind(uuids(&held.wallets))
    .bind(held.totals)
    .bind(held.locks);
    let mut fills = Vec::with_capacity(trades.len());
    if trading {
        let quote_consumed = plan
            .placement
            .fills
            .iter()
            .map(|fill| to_i64(fill.quote_consumed))
            .collect::<Result<Vec<_>, _>>()?;
        let positions = PositionColumns::of(&plan.positions_after(positions)?)?;
        let trade_uuids =
            |column: fn(&TradeRecord) -> Uuid| trades.iter().map(column).collect::<Vec<_>>();
        query = query
            .bind(trades.iter().map(|t| t.id).collect::<Vec<_>>())
            .bind(trade_uuids(|t| t.buy_order_id.as_uuid()))
            .bind(trade_uuids(|t| t.sell_order_id.as_uuid()))
            .bind(trade_uuids(|t| t.buyer_wallet_id.as_uuid()))
            .bind(trade_uuids(|t| t.seller_wallet_id.as_uuid()))
            .bind(trades.iter().map(|t| t.price).collect::<Vec<_>>())
            .bind(trades.iter().map(|t| t.quantity).collect::<Vec<_>>())
            .bind(quote_consumed)
            .bind(trades.iter().map(trade_metadata).collect::<Vec<_>>())
            .bind(positions.wallets)
            .bind(positions.quantities)
            .bind(positions.costs)
            .bind(positions.averages)
            .bind(positions.pnls);
        for (fill, trade) in plan.placement.fills.iter().zip(trades) {
            let owner = owners.get(&fill.maker_wallet.as_uuid()).ok_or_else(|| {
                StoreError::Corrupt(format!("wallet {} has no owner", fill.maker_wallet))
            })?;
            fills.push(MakerFilled {
                order: fill.maker_order,
                owner: IdentityId::from_uuid(*owner),
                trade,
            });
        }
    }
    let row = query.fetch_one(&mut *conn).await.map_err(map_err)?;
    Ok(PlacedOrder {
        order: order_from(&row).map_err(map_err)?,
        fills,
    })
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds `$1`–`$11` of a statement that writes the incoming order as `taker` says it ends
/// ([`record_sql`], [`uncrossed`]): id, wallet, asset, side, price, quantity, filled
/// quantity, what it locks, status, cancel reason, time.
fn bind_order<'q>(
    query: PgQuery<'q>,
    order: &NewMarketOrder,
    taker: &TakerOutcome,
    cancel_reason: Option<&'static str>,
    at: DateTime<Utc>,
) -> Result<PgQuery<'q>, MarketError> {
    Ok(query
        .bind(order.id.as_uuid())
        .bind(order.wallet.as_uuid())
        .bind(order.asset.as_uuid())
        .bind(order.side.as_str())
        .bind(to_i64(order.price.get())?)
        .bind(to_i64(order.quantity.get())?)
        .bind(to_i64(taker.filled)?)
        .bind(to_i64(taker.locked)?)
        .bind(taker.status.as_str())
        .bind(cancel_reason)
        .bind(at))
}

/// Cancels a resting order for `reason`, handing back exactly what it still holds.
async fn release_order(
    conn: &mut PgConnection,
    order: &OrderRecord,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<OrderRecord, MarketError> {
    let release = match order.side {
        Side::Buy => sqlx::query(
            "UPDATE wallet_balances SET locked = locked - $2 WHERE wallet_id = $1 AND asset_type = $3",
        )
        .bind(order.wallet_id.as_uuid())
        .bind(order.locked_amount)
        .bind(NATIVE_ASSET),
        Side::Sell => sqlx::query(
            "UPDATE asset_balances SET locked_quantity = locked_quantity - $2 \
             WHERE wallet_id = $1 AND asset_id = $3",
        )
        .bind(order.wallet_id.as_uuid())
        .bind(order.locked_amount)
        .bind(order.asset_id.as_uuid()),
    };
    release.execute(&mut *conn).await.map_err(map_err)?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "UPDATE market_orders SET status = 'cancelled', cancel_reason = $3, locked_amount = 0, \
         updated_at = $2 WHERE id = $1 RETURNING {ORDER_COLUMNS}"
    )))
    .bind(order.id.as_uuid())
    .bind(at)
    .bind(reason)
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(order_from(&row).map_err(map_err)?)
}

#[async_trait]
impl MarketStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn create_asset(&self, asset: NewAsset) -> Result<AssetRecord, MarketError> {
        // A new asset's book is empty, and its book row says so.
        let row = sqlx::query(AssertSqlSafe(format!(
            "WITH a AS (INSERT INTO asset_definitions (id, symbol, name, asset_type, total_supply, \
               is_tradable, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
               RETURNING {ASSET_COLUMNS}), \
             b AS (INSERT INTO market_books (asset_id, bid_ceiling, ask_floor, updated_at) \
               SELECT id, {PRICE_BOTTOM}, {PRICE_TOP}, $7 FROM a) \
             SELECT * FROM a"
        )))
        .bind(asset.id.as_uuid())
        .bind(asset.symbol.as_str())
        .bind(asset.name.as_str())
        .bind(asset.asset_type.as_str())
        .bind(to_i64(asset.total_supply)?)
        .bind(asset.asset_type != AssetType::Native)
        .bind(asset.at)
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
            "SELECT {ASSET_COLUMNS} FROM asset_definitions WHERE symbol = $1"
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
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        // The book row first, as every placement takes it, set to claim nothing: an order
        // placed without reading the book ([`uncrossed`]) waits for this change and then
        // finds that it may cross, so it goes the way that reads the asset's new status.
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE market_books SET bid_ceiling = {PRICE_TOP}, ask_floor = {PRICE_BOTTOM}, \
             updated_at = $2 WHERE asset_id = $1"
        )))
        .bind(asset.as_uuid())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let current = lock_asset(&mut tx, asset).await?;
        if !AssetStatus::parse(&current.status).is_ok_and(|from| from.may_become(to)) {
            return Err(MarketRefusal::InvalidTransition {
                from: current.status,
                to,
            }
            .into());
        }
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE asset_definitions SET status = $2, updated_at = $3 WHERE id = $1 RETURNING {ASSET_COLUMNS}"
        )))
        .bind(asset.as_uuid())
        .bind(to.as_str())
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        if to == AssetStatus::Retired {
            // A retired asset never trades again, so nothing may stay locked in its book.
            // Buys before sells and each by wallet: the order placement locks balances in.
            let resting = sqlx::query(AssertSqlSafe(format!(
                "SELECT {ORDER_COLUMNS} FROM market_orders WHERE asset_id = $1 AND {RESTING} \
                 ORDER BY side, wallet_id FOR UPDATE"
            )))
            .bind(asset.as_uuid())
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
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let asset = lock_asset(&mut tx, issuance.asset).await?;
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
            "UPDATE asset_definitions SET circulating_supply = circulating_supply + $2, updated_at = $3 \
             WHERE id = $1 RETURNING {ASSET_COLUMNS}"
        )))
        .bind(issuance.asset.as_uuid())
        .bind(quantity)
        .bind(issuance.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO asset_balances (wallet_id, asset_id, quantity, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (wallet_id, asset_id) DO UPDATE SET quantity = asset_balances.quantity + EXCLUDED.quantity",
        )
        .bind(issuance.wallet.as_uuid())
        .bind(issuance.asset.as_uuid())
        .bind(quantity)
        .bind(issuance.at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
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
        // What the order does if nothing crosses it: a pure function of the order, so it can
        // be written without reading the book when the book row shows nothing crosses it,
        // and otherwise the rows it changes can be locked by the statement that finds the
        // book empty. An order too large to plan is refused after the checks under the
        // lock, as before.
        let alone = plan_match(&order, Vec::new());
        if let Ok(alone) = &alone
            && let Some(rested) = uncrossed::place(&self.pool, &order, alone).await?
        {
            return Ok(PlacedOrder {
                order: rested,
                fills: Vec::new(),
            });
        }
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        lock_asset_for_order(&mut tx, &order).await?;
        let alone = alone?;
        let (alone_quote, alone_asset) = plan_wallets(&alone);
        let mut owners = BTreeMap::new();
        let mut crossing = Vec::new();
        let mut rows = Vec::new();
        let crossing_sql = match order.side.opposite() {
            Side::Sell => &CROSSING_ASKS_SQL,
            Side::Buy => &CROSSING_BIDS_SQL,
        };
        for row in sqlx::query(AssertSqlSafe(crossing_sql.as_str()))
            .bind(order.asset.as_uuid())
            .bind(order.side.opposite().as_str())
            .bind(to_i64(order.price.get())?)
            .bind(to_i64(order.quantity.get())?)
            .bind(&alone_quote)
            .bind(NATIVE_ASSET)
            .bind(&alone_asset)
            .bind(order.wallet.as_uuid())
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?
        {
            match crossing_row(&row)? {
                CrossingRow::Order { book, owner } => {
                    owners.insert(book.wallet.as_uuid(), owner);
                    crossing.push(book);
                }
                other => rows.push(other),
            }
        }
        let plan = if crossing.is_empty() {
            alone
        } else {
            plan_match(&order, crossing)?
        };
        let (locked, mut positions) = locked_rows(rows);
        if locks_cover(&plan, &locked) {
            require_taker_available(&plan, &locked)?;
        } else {
            // A balance row the placement needs does not exist yet and must be made first.
            positions = lock_balances(&mut tx, order.asset, &plan).await?;
        }
        let placed = record_orders_and_trades(&mut tx, &order, &plan, &owners, positions).await?;
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
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let asset: Uuid = sqlx::query_scalar("SELECT asset_id FROM market_orders WHERE id = $1")
            .bind(order.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or(MarketRefusal::OrderNotFound)?;
        lock_asset(&mut tx, AssetId::from_uuid(asset)).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS}, (SELECT identity_id FROM wallet_accounts w WHERE w.id = o.wallet_id) AS owner \
             FROM market_orders o WHERE id = $1 FOR UPDATE"
        )))
        .bind(order.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let current = order_from(&row).map_err(map_err)?;
        let order_owner: Option<Uuid> = row.try_get("owner").map_err(map_err)?;
        if order_owner != Some(owner.as_uuid()) {
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
             (SELECT id FROM wallet_accounts WHERE identity_id = $1) \
             AND ($2::uuid IS NULL OR asset_id = $2) AND (NOT $3 OR {RESTING}) \
             ORDER BY sequence DESC LIMIT $4"
        )))
        .bind(filter.owner.as_uuid())
        .bind(filter.asset.map(|a| a.as_uuid()))
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
            "SELECT side, price, SUM(quantity - filled_quantity)::text AS quantity, COUNT(*) AS orders \
             FROM market_orders WHERE asset_id = $1 AND {RESTING} GROUP BY side, price"
        )))
        .bind(asset.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut depth = Depth::default();
        for row in &rows {
            let corrupt = |what: &str| StoreError::Corrupt(format!("order book {what}"));
            let price: i64 = row.try_get("price").map_err(map_err)?;
            let quantity: String = row.try_get("quantity").map_err(map_err)?;
            let orders: i64 = row.try_get("orders").map_err(map_err)?;
            let level = DepthLevel {
                price: u64::try_from(price)
                    .ok()
                    .and_then(|p| Price::new(p).ok())
                    .ok_or_else(|| corrupt("price"))?,
                quantity: quantity.parse().map_err(|_| corrupt("quantity"))?,
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
            "SELECT {TRADE_COLUMNS} FROM trades WHERE asset_id = $1 ORDER BY executed_at DESC, id DESC LIMIT $2"
        )))
        .bind(asset.as_uuid())
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
             WHERE w.identity_id = $1 ORDER BY a.symbol, p.wallet_id",
        )
        .bind(owner.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| {
            Ok(PositionRecord {
                wallet_id: WalletId::from_uuid(row.try_get("wallet_id")?),
                asset_id: AssetId::from_uuid(row.try_get("asset_id")?),
                symbol: row.try_get("symbol")?,
                quantity: row.try_get("quantity")?,
                cost_basis: row.try_get("cost_basis")?,
                average_cost: row.try_get("average_cost")?,
                realized_pnl: row.try_get("realized_pnl")?,
                last_trade_at: row.try_get("last_trade_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(map_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic_plans::{assert_balance_rows_reached_by_wallet, generic_plan};
    use sqlx::PgPool;

    /// The prepared statements that write a placement must not read the whole of
    /// `market_orders`: on the empty table here, reading the whole table is what a generic
    /// plan would choose ([`record_makers`]). They read the book's best prices by probing
    /// its index only, and reach each balance row by its wallet.
    #[sqlx::test(migrations = false)]
    async fn the_prepared_writes_of_a_placement_never_read_the_whole_book(pool: PgPool) {
        crate::migrator().run(&pool).await.unwrap();
        for (statement, parameters) in [(record_sql(true), 32), (record_sql(false), 18)] {
            let plan = generic_plan(&pool, &statement, parameters).await;
            assert!(plan.contains("Insert on market_orders"), "{plan}");
            assert!(plan.contains("Update on market_books"), "{plan}");
            assert!(!plan.contains("Scan on market_orders"), "{plan}");
            assert_balance_rows_reached_by_wallet(&plan);
        }
    }

    /// The crossing read locks the balance rows and positions of the wallets it names.
    #[sqlx::test(migrations = false)]
    async fn the_crossing_reads_lock_balance_rows_by_wallet(pool: PgPool) {
        crate::migrator().run(&pool).await.unwrap();
        for statement in [CROSSING_ASKS_SQL.as_str(), CROSSING_BIDS_SQL.as_str()] {
            let plan = generic_plan(&pool, statement, 8).await;
            assert!(plan.contains("LockRows"), "{plan}");
            assert_balance_rows_reached_by_wallet(&plan);
        }
    }

    /// The statement that places an uncrossed order holds the asset's book row while it
    /// runs: it must reach every row it touches by its key, however large the tables grew
    /// after a connection cached its plan.
    #[sqlx::test(migrations = false)]
    async fn an_uncrossed_placement_reaches_its_rows_by_key(pool: PgPool) {
        crate::migrator().run(&pool).await.unwrap();
        let plan = generic_plan(&pool, &uncrossed::PLACE_UNCROSSED_SQL, 14).await;
        assert!(plan.contains("Insert on market_orders"), "{plan}");
        assert!(plan.contains("Update on market_books"), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
        assert_balance_rows_reached_by_wallet(&plan);
    }
}
