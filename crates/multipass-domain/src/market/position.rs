//! A wallet's holding of one asset with its cost, in integer minor units of the quote
//! currency: `cost_basis` is what the units still held cost in total, and selling takes out
//! the held units' share of it, so average cost stays put and the rest becomes realised P&L.

use super::types::{Price, Quantity};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub quantity: u64,
    pub cost_basis: u64,
    pub realized_pnl: i64,
}

/// A trade the position cannot take: the numbers would leave the `BIGINT` columns, or more
/// would be sold than is held (which only a balance out of step with its position causes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    #[error("the position would exceed the largest storable amount")]
    Overflow,
    #[error("selling {selling} units from a position of {held}")]
    SellsMoreThanHeld { held: u64, selling: u64 },
}

fn storable(value: u128) -> Result<u64, PositionError> {
    u64::try_from(value)
        .ok()
        .filter(|&v| i64::try_from(v).is_ok())
        .ok_or(PositionError::Overflow)
}

impl Position {
    /// Cost per unit held, rounded down; zero when nothing is held.
    pub fn average_cost(&self) -> u64 {
        self.cost_basis.checked_div(self.quantity).unwrap_or(0)
    }

    /// Units received at `price` each; issued units come in at a price of zero.
    pub fn bought(self, quantity: u64, price: u64) -> Result<Self, PositionError> {
        let cost = u128::from(quantity) * u128::from(price);
        Ok(Self {
            quantity: storable(u128::from(self.quantity) + u128::from(quantity))?,
            cost_basis: storable(u128::from(self.cost_basis) + cost)?,
            realized_pnl: self.realized_pnl,
        })
    }

    pub fn bought_at(self, quantity: Quantity, price: Price) -> Result<Self, PositionError> {
        self.bought(quantity.get(), price.get())
    }

    /// Units delivered at `price` each. The cost leaving with them is the held cost's
    /// proportional share, rounded down; selling the last unit takes all that is left, so no
    /// rounding remainder stays behind on an empty position.
    pub fn sold(self, quantity: Quantity, price: Price) -> Result<Self, PositionError> {
        let selling = quantity.get();
        if selling > self.quantity {
            return Err(PositionError::SellsMoreThanHeld {
                held: self.quantity,
                selling,
            });
        }
        let removed_cost = storable(
            u128::from(self.cost_basis) * u128::from(selling) / u128::from(self.quantity),
        )?;
        let proceeds = i128::from(storable(u128::from(selling) * u128::from(price.get()))?);
        let pnl = i128::from(self.realized_pnl) + proceeds - i128::from(removed_cost);
        Ok(Self {
            quantity: self.quantity - selling,
            cost_basis: self.cost_basis - removed_cost,
            realized_pnl: i64::try_from(pnl).map_err(|_| PositionError::Overflow)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn q(n: u64) -> Quantity {
        Quantity::new(n).unwrap()
    }

    fn p(n: u64) -> Price {
        Price::new(n).unwrap()
    }

    #[rstest]
    // (bought at, then sold) -> (quantity, cost basis, average cost, realised)
    #[case::one_buy(&[(10, 1599)], &[], (10, 15_990, 1599, 0))]
    #[case::two_buys_average(&[(10, 1599), (7, 1600)], &[], (17, 27_190, 1599, 0))]
    #[case::sell_part_at_a_gain(&[(10, 100)], &[(4, 150)], (6, 600, 100, 200))]
    #[case::sell_part_at_a_loss(&[(10, 100)], &[(4, 90)], (6, 600, 100, -40))]
    #[case::rounding_goes_with_the_rest(&[(1, 100), (2, 101)], &[(1, 100)], (2, 202, 101, 0))]
    #[case::last_unit_takes_all_cost(&[(1, 100), (2, 101)], &[(1, 100), (2, 101)], (0, 0, 0, 0))]
    #[case::issued_units_cost_nothing(&[(5, 0)], &[(5, 20)], (0, 0, 0, 100))]
    fn positions(
        #[case] buys: &[(u64, u64)],
        #[case] sells: &[(u64, u64)],
        #[case] expected: (u64, u64, u64, i64),
    ) {
        let mut position = Position::default();
        for &(quantity, price) in buys {
            position = position.bought(quantity, price).unwrap();
        }
        for &(quantity, price) in sells {
            position = position.sold(q(quantity), p(price)).unwrap();
        }
        assert_eq!(
            (
                position.quantity,
                position.cost_basis,
                position.average_cost(),
                position.realized_pnl
            ),
            expected
        );
    }

    #[rstest]
    #[case::more_than_held(Position { quantity: 3, ..Position::default() }, 4, PositionError::SellsMoreThanHeld { held: 3, selling: 4 })]
    #[case::proceeds_beyond_bigint(Position { quantity: 2, ..Position::default() }, 2, PositionError::Overflow)]
    fn refused_sales(
        #[case] position: Position,
        #[case] selling: u64,
        #[case] error: PositionError,
    ) {
        assert_eq!(position.sold(q(selling), Price::MAX), Err(error));
    }

    #[test]
    fn cost_beyond_bigint_is_refused() {
        assert_eq!(
            Position::default().bought(2, i64::MAX.unsigned_abs()),
            Err(PositionError::Overflow)
        );
    }
}
