//! Amounts are integers in minor units everywhere; there is no float near a balance.

/// The enterprise's own currency: every wallet's native balance in `wallet_balances`, the
/// quote currency of the market (order prices are minor units of it), and what fees are
/// paid in. Amounts of it are in minor units (1 MPC = 100 minor units).
pub const NATIVE_ASSET: &str = "MPC";

/// Minor units per whole unit of [`NATIVE_ASSET`], for display only.
pub const NATIVE_MINOR_UNITS: i64 = 100;
