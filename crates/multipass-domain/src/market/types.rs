//! The values the matching engine trades in: identifiers, positive integer amounts, sides and
//! the funds an order holds locked.
//!
//! Amounts are integers throughout (prices in minor units of the quote currency, quantities
//! in whole asset units) so that a fill never loses or invents a fraction of a unit.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU64;

/// The largest price, quantity or locked amount the engine accepts: every one of them is
/// stored in a `BIGINT` column, so anything above `i64::MAX` could be matched here and then
/// refused by the database.
pub const MAX_AMOUNT: u64 = i64::MAX.unsigned_abs();

pub use crate::ids::{OrderId, WalletId};

/// A price or quantity outside `1..=MAX_AMOUNT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("the amount must be at least 1")]
    Zero,
    #[error("the amount {0} exceeds the largest storable amount")]
    TooLarge(u64),
}

macro_rules! positive_amount {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Zero is unrepresentable, so an order that has nothing left cannot rest by mistake.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "u64", into = "u64")]
        pub struct $name(NonZeroU64);

        impl $name {
            pub const MAX: Self = match Self::new(MAX_AMOUNT) {
                Ok(max) => max,
                Err(_) => panic!("MAX_AMOUNT is positive"),
            };

            pub const fn new(value: u64) -> Result<Self, AmountError> {
                if value > MAX_AMOUNT {
                    return Err(AmountError::TooLarge(value));
                }
                match NonZeroU64::new(value) {
                    Some(value) => Ok(Self(value)),
                    None => Err(AmountError::Zero),
                }
            }

            pub const fn get(self) -> u64 {
                self.0.get()
            }
        }

        impl TryFrom<u64> for $name {
            type Error = AmountError;

            fn try_from(value: u64) -> Result<Self, AmountError> {
                Self::new(value)
            }
        }

        impl From<$name> for u64 {
            fn from(value: $name) -> u64 {
                value.get()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_amount!(
    /// A limit or execution price, in minor units of the quote currency per asset unit.
    Price
);
positive_amount!(
    /// A number of whole asset units.
    Quantity
);

/// Which way an order trades the asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub const fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }

    /// The value of `market_orders.side` and `trades.aggressor_side`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "buy",
            Self::Sell => "sell",
        }
    }

    /// Whether an incoming order on this side with limit `limit` may trade against a resting
    /// order at `resting`: a buyer accepts any price up to its limit, a seller any price down
    /// to it.
    pub fn crosses(self, limit: Price, resting: Price) -> bool {
        match self {
            Self::Buy => resting <= limit,
            Self::Sell => resting >= limit,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Funds held by an order so that every fill it can make is already paid for: a buy holds
/// quote currency (quantity × limit price), a sell holds the asset it offers. The variant
/// names the balance the amount belongs to, so a quote amount cannot be released into an
/// asset balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lock {
    /// Minor units of the quote currency.
    Quote(u64),
    /// Asset units.
    Asset(u64),
}

impl Lock {
    /// What an order of `quantity` at limit `price` must lock, or `None` when that exceeds
    /// [`MAX_AMOUNT`] (or `u64`) and so could be neither stored nor settled.
    pub fn for_order(side: Side, price: Price, quantity: Quantity) -> Option<Self> {
        match side {
            Side::Buy => quantity
                .get()
                .checked_mul(price.get())
                .filter(|&amount| amount <= MAX_AMOUNT)
                .map(Self::Quote),
            Side::Sell => Some(Self::Asset(quantity.get())),
        }
    }

    /// The zero lock in the currency that `side` locks.
    pub const fn zero(side: Side) -> Self {
        match side {
            Side::Buy => Self::Quote(0),
            Side::Sell => Self::Asset(0),
        }
    }

    pub const fn amount(self) -> u64 {
        match self {
            Self::Quote(amount) | Self::Asset(amount) => amount,
        }
    }

    /// This lock less `amount` of the same currency.
    ///
    /// # Panics
    /// When `amount` exceeds the lock: that would release funds the order never held, which
    /// only a bug in the engine can cause.
    pub(super) fn less(self, amount: u64) -> Self {
        assert!(
            amount <= self.amount(),
            "releasing {amount} from a lock of {self:?}"
        );
        match self {
            Self::Quote(held) => Self::Quote(held - amount),
            Self::Asset(held) => Self::Asset(held - amount),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::zero(0, Err(AmountError::Zero))]
    #[case::one(1, Ok(1))]
    #[case::largest_storable(MAX_AMOUNT, Ok(MAX_AMOUNT))]
    #[case::beyond_bigint(MAX_AMOUNT + 1, Err(AmountError::TooLarge(MAX_AMOUNT + 1)))]
    #[case::u64_max(u64::MAX, Err(AmountError::TooLarge(u64::MAX)))]
    fn amounts_are_positive_and_storable(
        #[case] raw: u64,
        #[case] expected: Result<u64, AmountError>,
    ) {
        assert_eq!(Price::new(raw).map(Price::get), expected);
        assert_eq!(Quantity::new(raw).map(Quantity::get), expected);
    }

    #[rstest]
    #[case::sell_locks_the_asset(Side::Sell, MAX_AMOUNT, 7, Some(Lock::Asset(7)))]
    #[case::buy_locks_quantity_times_limit(Side::Buy, 1605, 40, Some(Lock::Quote(64_200)))]
    #[case::buy_at_the_bigint_limit(Side::Buy, MAX_AMOUNT, 1, Some(Lock::Quote(MAX_AMOUNT)))]
    #[case::buy_beyond_bigint(Side::Buy, MAX_AMOUNT / 2 + 1, 2, None)]
    #[case::buy_beyond_u64(Side::Buy, MAX_AMOUNT, MAX_AMOUNT, None)]
    fn order_locks(
        #[case] side: Side,
        #[case] price: u64,
        #[case] quantity: u64,
        #[case] expected: Option<Lock>,
    ) {
        let price = Price::new(price).unwrap();
        let quantity = Quantity::new(quantity).unwrap();
        assert_eq!(Lock::for_order(side, price, quantity), expected);
    }

    #[rstest]
    #[case::buy_takes_lower_asks(Side::Buy, 100, 99, true)]
    #[case::buy_takes_equal_ask(Side::Buy, 100, 100, true)]
    #[case::buy_skips_higher_ask(Side::Buy, 100, 101, false)]
    #[case::sell_takes_higher_bids(Side::Sell, 100, 101, true)]
    #[case::sell_takes_equal_bid(Side::Sell, 100, 100, true)]
    #[case::sell_skips_lower_bid(Side::Sell, 100, 99, false)]
    fn crossing(
        #[case] side: Side,
        #[case] limit: u64,
        #[case] resting: u64,
        #[case] crosses: bool,
    ) {
        let price = |p| Price::new(p).unwrap();
        assert_eq!(side.crosses(price(limit), price(resting)), crosses);
    }

    #[test]
    #[should_panic(expected = "releasing 8 from a lock")]
    fn a_lock_cannot_release_more_than_it_holds() {
        let _ = Lock::Quote(7).less(8);
    }
}
