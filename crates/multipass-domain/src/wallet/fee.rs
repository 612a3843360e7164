//! The transfer fee: a share of the amount in basis points, rounded up, never below a
//! minimum, paid by the sender on top of the amount and credited to the treasury wallet.

use crate::identity::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeePolicy {
    /// Hundredths of a percent of the amount (10 = 0.1 %); at most 10 000.
    basis_points: u32,
    /// The smallest fee, in minor units.
    minimum: i64,
}

impl Default for FeePolicy {
    /// 0.1 % with a minimum of one minor unit: small enough not to matter for everyday
    /// transfers, and never zero, so a transfer is never free to spam.
    fn default() -> Self {
        Self {
            basis_points: 10,
            minimum: 1,
        }
    }
}

impl FeePolicy {
    pub const MAX_BASIS_POINTS: u32 = 10_000;

    pub fn new(basis_points: u32, minimum: i64) -> Result<Self, ValidationError> {
        if basis_points > Self::MAX_BASIS_POINTS {
            return Err(ValidationError::new(
                "feeBasisPoints",
                "A fee can be at most 10000 basis points (100 %).",
            ));
        }
        if minimum < 0 {
            return Err(ValidationError::new(
                "feeMinimum",
                "The minimum fee cannot be negative.",
            ));
        }
        Ok(Self {
            basis_points,
            minimum,
        })
    }

    pub const fn basis_points(self) -> u32 {
        self.basis_points
    }

    pub const fn minimum(self) -> i64 {
        self.minimum
    }

    /// No fee at all (transfers out of the treasury itself).
    pub const fn free() -> Self {
        Self {
            basis_points: 0,
            minimum: 0,
        }
    }

    /// The fee for sending `amount` minor units (`amount` > 0). Integer math throughout:
    /// ceil(amount × bps / 10 000) in i128, which cannot overflow and is at most `amount`.
    pub fn fee_for(self, amount: i64) -> i64 {
        let amount = i128::from(amount.max(0));
        // Both factors are non-negative, so adding 9 999 first rounds the quotient up.
        let share = (amount * i128::from(self.basis_points) + 9_999) / 10_000;
        // share <= amount <= i64::MAX, so the conversion always succeeds.
        let share = i64::try_from(share).unwrap_or(i64::MAX);
        share.max(self.minimum)
    }

    /// What leaves the sender's balance: amount plus fee, or `None` when that exceeds any
    /// possible balance.
    pub fn total_debit(self, amount: i64) -> Option<i64> {
        amount.checked_add(self.fee_for(amount))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::minimum_applies(FeePolicy::default(), 1, 1)]
    #[case::rounds_up(FeePolicy::default(), 1_001, 2)]
    #[case::exact(FeePolicy::default(), 10_000, 10)]
    #[case::large(FeePolicy::default(), 1_000_000_000, 1_000_000)]
    #[case::free(FeePolicy::free(), 5_000, 0)]
    #[case::everything(FeePolicy::new(10_000, 0).unwrap(), 77, 77)]
    #[case::high_minimum(FeePolicy::new(0, 50).unwrap(), 10, 50)]
    #[case::no_overflow(FeePolicy::new(10_000, 0).unwrap(), i64::MAX, i64::MAX)]
    fn fees(#[case] policy: FeePolicy, #[case] amount: i64, #[case] fee: i64) {
        assert_eq!(policy.fee_for(amount), fee);
    }

    #[test]
    fn total_debit_reports_overflow_instead_of_wrapping() {
        assert_eq!(FeePolicy::default().total_debit(1_000), Some(1_001));
        assert_eq!(FeePolicy::default().total_debit(i64::MAX), None);
    }

    #[rstest]
    #[case::too_many_bps(10_001, 0, "feeBasisPoints")]
    #[case::negative_minimum(5, -1, "feeMinimum")]
    fn bad_policies(#[case] bps: u32, #[case] minimum: i64, #[case] field: &str) {
        assert_eq!(FeePolicy::new(bps, minimum).unwrap_err().field, field);
    }
}
