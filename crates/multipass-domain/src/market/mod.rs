//! The matching engine of the internal asset market.
//!
//! One [`OrderBook`] per asset matches limit orders by price, then time, each fill at the
//! resting order's price, and reports for every fill exactly how much of each order's lock
//! it consumed and released. It does no I/O: the storage layer drives it under a per-asset
//! lock and persists what it returns.

mod asset;
mod book;
mod position;
mod settlement;
mod types;

#[cfg(test)]
mod reference_tests;

pub use crate::ids::AssetId;
pub use asset::{AssetName, AssetStatus, AssetType, Symbol};
pub use book::{
    CancelReason, Cancelled, CancelledRemainder, Depth, DepthLevel, Fill, NewOrder, OrderBook,
    PlaceError, Placement, RestingOrder, SelfTradePolicy,
};
pub use position::{Position, PositionError};
pub use settlement::{BalanceChange, MakerChange, OrderStatus, Settlement, TakerOutcome};
pub use types::{AmountError, Lock, MAX_AMOUNT, OrderId, Price, Quantity, Side, WalletId};
