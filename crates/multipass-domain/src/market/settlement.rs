//! What a placement does to balances and orders, as net changes the storage layer applies
//! in one transaction. Computing it here, once, keeps the two backends to plain writes and
//! lets the tests check conservation without a database.

use super::book::{NewOrder, Placement};
use super::types::{Lock, OrderId, WalletId};
use std::collections::BTreeMap;
use std::fmt;

/// `market_orders.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Open,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
}

impl OrderStatus {
    pub const ALL: [Self; 5] = [
        Self::Open,
        Self::PartiallyFilled,
        Self::Filled,
        Self::Cancelled,
        Self::Rejected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::PartiallyFilled => "partially_filled",
            Self::Filled => "filled",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == stored)
    }

    /// Whether the order is in the book and may still trade or be cancelled.
    pub const fn is_resting(self) -> bool {
        matches!(self, Self::Open | Self::PartiallyFilled)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A net change to one balance row: `total` (`wallet_balances.total` or
/// `asset_balances.quantity`) and `locked` (`locked` or `locked_quantity`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BalanceChange {
    pub total: i128,
    pub locked: i128,
}

/// How one resting order changed: it traded `quantity` more and gave up `lock_used` of what
/// it held. It is filled when nothing remains, which the storage layer reads off its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MakerChange {
    pub order: OrderId,
    pub wallet: WalletId,
    pub quantity: u64,
    pub lock_used: u64,
}

/// The incoming order as it is written: how much traded, what it still holds, its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TakerOutcome {
    pub filled: u64,
    pub locked: u64,
    pub status: OrderStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Quote currency per wallet.
    pub quote: BTreeMap<WalletId, BalanceChange>,
    /// The traded asset per wallet.
    pub asset: BTreeMap<WalletId, BalanceChange>,
    pub makers: Vec<MakerChange>,
    pub taker: TakerOutcome,
}

impl Settlement {
    /// Everything `placement` of `order` moves: the taker's lock, each fill's payment and
    /// delivery with the buyer's price improvement released, and any cancelled remainder.
    pub fn of(order: &NewOrder, placement: &Placement) -> Self {
        let mut settlement = Self {
            quote: BTreeMap::new(),
            asset: BTreeMap::new(),
            makers: Vec::with_capacity(placement.fills.len()),
            taker: TakerOutcome {
                filled: placement.filled(),
                locked: placement.resting.map_or(0, |rest| rest.locked.amount()),
                status: match (&placement.resting, &placement.cancelled) {
                    (_, Some(_)) => OrderStatus::Cancelled,
                    (None, None) => OrderStatus::Filled,
                    (Some(_), None) if placement.fills.is_empty() => OrderStatus::Open,
                    (Some(_), None) => OrderStatus::PartiallyFilled,
                },
            },
        };
        settlement.lock(order.wallet, placement.locked, 1);
        for fill in &placement.fills {
            let quantity = i128::from(fill.quantity.get());
            let paid = i128::from(fill.quote_consumed);
            let maker_side = fill.maker_side();
            settlement.makers.push(MakerChange {
                order: fill.maker_order,
                wallet: fill.maker_wallet,
                quantity: fill.quantity.get(),
                lock_used: fill.consumed(maker_side).amount() + fill.released(maker_side).amount(),
            });
            let buyer = settlement.quote.entry(fill.buyer()).or_default();
            buyer.total -= paid;
            buyer.locked -= paid + i128::from(fill.quote_released);
            settlement.quote.entry(fill.seller()).or_default().total += paid;
            let seller = settlement.asset.entry(fill.seller()).or_default();
            seller.total -= quantity;
            seller.locked -= quantity;
            settlement.asset.entry(fill.buyer()).or_default().total += quantity;
        }
        if let Some(cancelled) = placement.cancelled {
            settlement.lock(order.wallet, cancelled.released, -1);
        }
        settlement
    }

    fn lock(&mut self, wallet: WalletId, lock: Lock, sign: i128) {
        let (balances, amount) = match lock {
            Lock::Quote(amount) => (&mut self.quote, amount),
            Lock::Asset(amount) => (&mut self.asset, amount),
        };
        balances.entry(wallet).or_default().locked += sign * i128::from(amount);
    }

    /// Every wallet the settlement touches, ascending: the order in which balance rows are
    /// locked, the same order every other writer of those rows uses.
    pub fn wallets(&self) -> Vec<WalletId> {
        let mut wallets: Vec<_> = self
            .quote
            .keys()
            .chain(self.asset.keys())
            .copied()
            .collect();
        wallets.sort_unstable();
        wallets.dedup();
        wallets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{OrderBook, Price, Quantity, Side};
    use uuid::Uuid;

    fn wallet(n: u128) -> WalletId {
        WalletId::from_uuid(Uuid::from_u128(1_000 + n))
    }

    fn order(sequence: u64, owner: u128, side: Side, price: u64, quantity: u64) -> NewOrder {
        NewOrder {
            id: OrderId::from_uuid(Uuid::from_u128(u128::from(sequence))),
            wallet: wallet(owner),
            side,
            price: Price::new(price).unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
            sequence,
        }
    }

    fn change(total: i128, locked: i128) -> BalanceChange {
        BalanceChange { total, locked }
    }

    #[test]
    fn the_golden_buy_pays_each_seller_its_price_and_releases_the_improvement() {
        let mut book = OrderBook::new();
        for (sequence, (owner, price, quantity)) in
            (1..).zip([(1, 1599, 10), (2, 1600, 7), (3, 1600, 3), (4, 1605, 20)])
        {
            book.place(order(sequence, owner, Side::Sell, price, quantity))
                .unwrap();
        }
        let buy = order(5, 9, Side::Buy, 1605, 40);
        let settlement = Settlement::of(&buy, &book.place(buy).unwrap());

        let paid = 10 * 1599 + 7 * 1600 + 3 * 1600 + 20 * 1605;
        assert_eq!(settlement.quote[&wallet(9)], change(-paid, 0));
        assert_eq!(settlement.quote[&wallet(1)], change(15_990, 0));
        assert_eq!(settlement.quote[&wallet(4)], change(32_100, 0));
        assert_eq!(settlement.asset[&wallet(9)], change(40, 0));
        assert_eq!(settlement.asset[&wallet(2)], change(-7, -7));
        assert_eq!(
            settlement.taker,
            TakerOutcome {
                filled: 40,
                locked: 0,
                status: OrderStatus::Filled
            }
        );
        let makers: Vec<_> = settlement
            .makers
            .iter()
            .map(|m| (m.quantity, m.lock_used))
            .collect();
        assert_eq!(makers, [(10, 10), (7, 7), (3, 3), (20, 20)]);
        for balances in [&settlement.quote, &settlement.asset] {
            assert_eq!(balances.values().map(|c| c.total).sum::<i128>(), 0);
        }
        assert_eq!(
            settlement.wallets(),
            [wallet(1), wallet(2), wallet(3), wallet(4), wallet(9)]
        );
    }

    #[test]
    fn a_resting_remainder_keeps_its_lock_and_a_self_trade_releases_it() {
        let mut book = OrderBook::new();
        book.place(order(1, 1, Side::Sell, 100, 5)).unwrap();
        book.place(order(2, 2, Side::Sell, 101, 5)).unwrap();

        let buy = order(3, 3, Side::Buy, 100, 8);
        let settlement = Settlement::of(&buy, &book.place(buy).unwrap());
        assert_eq!(settlement.quote[&wallet(3)], change(-500, 300));
        assert_eq!(
            settlement.taker,
            TakerOutcome {
                filled: 5,
                locked: 300,
                status: OrderStatus::PartiallyFilled
            }
        );

        let own = order(4, 2, Side::Buy, 102, 2);
        let settlement = Settlement::of(&own, &book.place(own).unwrap());
        assert_eq!(settlement.quote[&wallet(2)], change(0, 0));
        assert_eq!(settlement.taker.status, OrderStatus::Cancelled);
        assert!(settlement.makers.is_empty());

        let sell = order(5, 4, Side::Sell, 90, 1);
        let settlement = Settlement::of(&sell, &book.place(sell).unwrap());
        // The resting buy trades at its own limit: its lock shrinks by exactly what it pays.
        assert_eq!(settlement.quote[&wallet(3)], change(-100, -100));
        assert_eq!(settlement.asset[&wallet(4)], change(-1, 0));
        assert_eq!(settlement.makers[0].lock_used, 100);
    }
}
