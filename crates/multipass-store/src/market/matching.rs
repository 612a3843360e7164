//! The part of placing an order that is the same on every backend: rebuilding the crossing
//! part of the book from its rows, running the engine, and turning fills into positions.
//! Backends only read the rows, hold the locks and write back what comes out.

use super::{AssetRecord, MarketError, MarketRefusal, NewMarketOrder};
use crate::StoreError;
use multipass_domain::market::{
    AssetStatus, Fill, Lock, NewOrder, OrderBook, OrderId, PlaceError, Placement, Position, Price,
    Quantity, Settlement, Side, WalletId,
};
use std::collections::BTreeMap;

/// Refuses `order` on the asset row its backend locked: an id that no longer carries the
/// order's symbol (the caller's record of it is stale) is no such asset, and an asset that is
/// not active and tradable takes no orders.
pub fn asset_takes_order(asset: &AssetRecord, order: &NewMarketOrder) -> Result<(), MarketRefusal> {
    if asset.symbol != order.symbol.as_str() {
        return Err(MarketRefusal::AssetNotFound);
    }
    if asset.status != AssetStatus::Active.as_str() || !asset.is_tradable {
        return Err(MarketRefusal::AssetNotTradable {
            status: asset.status.clone(),
        });
    }
    Ok(())
}

/// A resting order as loaded from `market_orders`.
#[derive(Debug, Clone, Copy)]
pub struct BookRow {
    pub id: OrderId,
    pub wallet: WalletId,
    pub side: Side,
    pub price: i64,
    pub remaining: i64,
    pub sequence: i64,
    pub locked_amount: i64,
}

#[derive(Debug, Clone)]
pub struct MatchPlan {
    pub order: NewOrder,
    pub placement: Placement,
    pub settlement: Settlement,
}

fn corrupt(what: impl std::fmt::Display) -> MarketError {
    MarketError::Store(StoreError::Corrupt(what.to_string()))
}

fn positive<T>(
    value: i64,
    make: fn(u64) -> Result<T, multipass_domain::market::AmountError>,
    what: &str,
) -> Result<T, MarketError> {
    u64::try_from(value)
        .ok()
        .and_then(|v| make(v).ok())
        .ok_or_else(|| corrupt(format!("{what} {value} is not a positive amount")))
}

/// Rebuilds the book from `crossing` (the opposite side's resting orders that the incoming
/// order's limit reaches), checks every row's lock against what the engine says it holds,
/// and matches `order` against it. `crossing` may come in any order.
pub fn plan_match(
    order: &NewMarketOrder,
    mut crossing: Vec<BookRow>,
) -> Result<MatchPlan, MarketError> {
    crossing.sort_by_key(|row| row.sequence);
    let mut book = OrderBook::new();
    let mut last_sequence = 0_u64;
    for row in &crossing {
        let sequence =
            u64::try_from(row.sequence).map_err(|_| corrupt("a negative order sequence"))?;
        last_sequence = sequence;
        let placement = book
            .place(NewOrder {
                id: row.id,
                wallet: row.wallet,
                side: row.side,
                price: positive(row.price, Price::new, "price")?,
                quantity: positive(row.remaining, Quantity::new, "remaining quantity")?,
                sequence,
            })
            .map_err(corrupt)?;
        let held = placement.resting.map(|rest| rest.locked.amount());
        if !placement.fills.is_empty() || held != u64::try_from(row.locked_amount).ok() {
            return Err(corrupt(format!(
                "order {} holds {} but its remaining quantity needs {held:?}",
                row.id, row.locked_amount
            )));
        }
    }
    // The database assigns the real sequence on insert; any value after the loaded ones
    // gives the incoming order the same place in time.
    let incoming = NewOrder {
        id: order.id,
        wallet: order.wallet,
        side: order.side,
        price: order.price,
        quantity: order.quantity,
        sequence: last_sequence + 1,
    };
    let placement = book.place(incoming).map_err(|err| match err {
        PlaceError::LockOverflow { .. } => MarketError::Refused(MarketRefusal::TooLarge),
        other => corrupt(other),
    })?;
    let settlement = Settlement::of(&incoming, &placement);
    Ok(MatchPlan {
        order: incoming,
        placement,
        settlement,
    })
}

impl MatchPlan {
    /// What the incoming order locks on arrival.
    pub fn lock(&self) -> Lock {
        self.placement.locked
    }

    /// Refuses the order unless `available` covers its lock.
    pub fn require_available(&self, available: i64) -> Result<(), MarketError> {
        let needed = self.lock().amount();
        if u64::try_from(available).is_ok_and(|available| available >= needed) {
            Ok(())
        } else {
            Err(MarketRefusal::InsufficientFunds {
                side: self.order.side,
                needed,
                available,
            }
            .into())
        }
    }

    /// The wallets whose position in the asset the fills change, ascending.
    pub fn traders(&self) -> Vec<WalletId> {
        let mut wallets: Vec<_> = self
            .placement
            .fills
            .iter()
            .flat_map(|fill| [fill.buyer(), fill.seller()])
            .collect();
        wallets.sort_unstable();
        wallets.dedup();
        wallets
    }

    /// `positions` (the traders' current ones; a missing wallet holds nothing) after the fills.
    pub fn positions_after(
        &self,
        mut positions: BTreeMap<WalletId, Position>,
    ) -> Result<BTreeMap<WalletId, Position>, StoreError> {
        for fill in &self.placement.fills {
            apply_fill(&mut positions, fill)?;
        }
        Ok(positions)
    }
}

fn apply_fill(positions: &mut BTreeMap<WalletId, Position>, fill: &Fill) -> Result<(), StoreError> {
    let buyer = positions.entry(fill.buyer()).or_default();
    *buyer = buyer
        .bought_at(fill.quantity, fill.price)
        .map_err(|e| StoreError::Corrupt(format!("position of {}: {e}", fill.buyer())))?;
    let seller = positions.entry(fill.seller()).or_default();
    *seller = seller
        .sold(fill.quantity, fill.price)
        .map_err(|e| StoreError::Corrupt(format!("position of {}: {e}", fill.seller())))?;
    Ok(())
}

/// An amount for a `BIGINT` column.
pub fn to_i64(value: impl TryInto<i64>) -> Result<i64, MarketError> {
    value
        .try_into()
        .map_err(|_| MarketError::Refused(MarketRefusal::TooLarge))
}

/// Net balance changes as parallel columns, for one batched `UPDATE ... FROM unnest(...)`.
#[derive(Debug, Default)]
pub struct ChangeColumns {
    pub wallets: Vec<WalletId>,
    pub totals: Vec<i64>,
    pub locks: Vec<i64>,
}

/// Skips wallets whose balance does not move; ascending by wallet.
pub fn change_columns(
    changes: &BTreeMap<WalletId, multipass_domain::market::BalanceChange>,
) -> Result<ChangeColumns, MarketError> {
    let mut columns = ChangeColumns::default();
    for (wallet, change) in changes {
        if change.total == 0 && change.locked == 0 {
            continue;
        }
        columns.wallets.push(*wallet);
        columns.totals.push(to_i64(change.total)?);
        columns.locks.push(to_i64(change.locked)?);
    }
    Ok(columns)
}

/// `wallet_transactions.metadata` of a trade's quote legs.
pub fn trade_metadata(trade: &super::TradeRecord) -> serde_json::Value {
    serde_json::json!({
        "tradeId": trade.id,
        "assetId": trade.asset_id,
        "buyOrderId": trade.buy_order_id,
        "sellOrderId": trade.sell_order_id,
        "price": trade.price,
        "quantity": trade.quantity,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::Utc;
    use multipass_domain::IdentityId;
    use multipass_domain::market::{AssetId, Symbol};
    use uuid::Uuid;

    fn wallet(n: u128) -> WalletId {
        WalletId::from_uuid(Uuid::from_u128(1_000 + n))
    }

    fn ask(sequence: i64, owner: u128, price: i64, remaining: i64, locked_amount: i64) -> BookRow {
        BookRow {
            id: OrderId::from_uuid(Uuid::from_u128(u128::try_from(sequence).unwrap())),
            wallet: wallet(owner),
            side: Side::Sell,
            price,
            remaining,
            sequence,
            locked_amount,
        }
    }

    fn buy(price: u64, quantity: u64) -> NewMarketOrder {
        NewMarketOrder {
            id: OrderId::from_uuid(Uuid::from_u128(99)),
            asset: AssetId::from_uuid(Uuid::from_u128(7)),
            symbol: Symbol::parse("ACME").unwrap(),
            wallet: wallet(9),
            owner: IdentityId::from_uuid(Uuid::from_u128(9)),
            side: Side::Buy,
            price: Price::new(price).unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
            at: Utc::now(),
        }
    }

    #[test]
    fn rows_in_any_order_match_by_price_then_sequence() {
        let rows = vec![
            ask(4, 4, 1605, 20, 20),
            ask(2, 2, 1600, 7, 7),
            ask(1, 1, 1599, 10, 10),
            ask(3, 3, 1600, 3, 3),
        ];
        let plan = plan_match(&buy(1605, 40), rows).unwrap();
        let makers: Vec<_> = plan
            .placement
            .fills
            .iter()
            .map(|f| (f.maker_wallet, f.price.get()))
            .collect();
        assert_eq!(
            makers,
            [
                (wallet(1), 1599),
                (wallet(2), 1600),
                (wallet(3), 1600),
                (wallet(4), 1605)
            ]
        );
        assert_eq!(plan.lock(), Lock::Quote(40 * 1605));
        assert_eq!(
            plan.traders(),
            [wallet(1), wallet(2), wallet(3), wallet(4), wallet(9)]
        );
        assert!(plan.require_available(64_199).is_err());
        assert!(plan.require_available(64_200).is_ok());
        let positions = plan.positions_after(BTreeMap::new());
        // The sellers hold no position, so the store's data would be out of step.
        assert!(matches!(positions, Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn a_row_whose_lock_disagrees_with_its_remainder_is_corrupt() {
        let err = plan_match(&buy(1605, 1), vec![ask(1, 1, 1599, 10, 9)]).unwrap_err();
        assert!(
            matches!(err, MarketError::Store(StoreError::Corrupt(_))),
            "{err:?}"
        );
        let err = plan_match(&buy(1605, 1), vec![ask(1, 1, 1599, 0, 0)]).unwrap_err();
        assert!(
            matches!(err, MarketError::Store(StoreError::Corrupt(_))),
            "{err:?}"
        );
    }

    #[test]
    fn a_lock_beyond_bigint_is_refused_as_too_large() {
        let err = plan_match(&buy(u64::try_from(i64::MAX).unwrap(), 2), Vec::new()).unwrap_err();
        assert!(
            matches!(err, MarketError::Refused(MarketRefusal::TooLarge)),
            "{err:?}"
        );
    }
}
