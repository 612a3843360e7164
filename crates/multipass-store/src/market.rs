//! Storage of assets, issuance, orders, matching, positions and trades.
//!
//! Matching for one asset is serialised across every desktop by a lock in the database (the
//! asset's row on PostgreSQL, the write lock on SQLite): under it a backend loads the crossing
//! part of the book, runs [`multipass_domain::market::OrderBook`], and writes back exactly the
//! [`multipass_domain::market::Settlement`] of what it returned.

pub mod matching;

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::market::{
    AssetId, AssetName, AssetStatus, AssetType, Depth, OrderId, OrderStatus, Price, Quantity, Side,
    Symbol, WalletId,
};

#[derive(Debug, Clone)]
pub struct NewAsset {
    pub id: AssetId,
    pub symbol: Symbol,
    pub name: AssetName,
    pub asset_type: AssetType,
    pub total_supply: u64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRecord {
    pub id: AssetId,
    pub symbol: String,
    pub name: String,
    pub asset_type: String,
    pub total_supply: i64,
    pub circulating_supply: i64,
    pub status: String,
    pub is_tradable: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Issuance {
    pub asset: AssetId,
    pub wallet: WalletId,
    pub quantity: Quantity,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewMarketOrder {
    pub id: OrderId,
    pub asset: AssetId,
    /// The symbol the caller knows `asset` by. Callers keep ids they looked up, so the
    /// store refuses with [`MarketRefusal::AssetNotFound`] when the asset no longer
    /// carries it, rather than trade an asset that was renamed behind the caller's back.
    pub symbol: Symbol,
    pub wallet: WalletId,
    /// Who places it: it must own `wallet`.
    pub owner: IdentityId,
    pub side: Side,
    pub price: Price,
    pub quantity: Quantity,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: OrderId,
    pub sequence: i64,
    pub asset_id: AssetId,
    pub wallet_id: WalletId,
    pub side: Side,
    pub price: i64,
    pub quantity: i64,
    pub filled_quantity: i64,
    pub locked_amount: i64,
    pub status: OrderStatus,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    pub id: uuid::Uuid,
    pub asset_id: AssetId,
    pub buy_order_id: OrderId,
    pub sell_order_id: OrderId,
    pub buyer_wallet_id: WalletId,
    pub seller_wallet_id: WalletId,
    pub aggressor_side: Side,
    pub price: i64,
    pub quantity: i64,
    pub executed_at: DateTime<Utc>,
}

/// A resting order that traded with an incoming one, and whom to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakerFilled {
    pub order: OrderId,
    pub owner: IdentityId,
    pub trade: TradeRecord,
}

#[derive(Debug, Clone)]
pub struct PlacedOrder {
    /// The incoming order as written: filled, resting or cancelled by self-trade prevention.
    pub order: OrderRecord,
    /// In execution order.
    pub fills: Vec<MakerFilled>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionRecord {
    pub wallet_id: WalletId,
    pub asset_id: AssetId,
    pub symbol: String,
    pub quantity: i64,
    pub cost_basis: i64,
    pub average_cost: i64,
    pub realized_pnl: i64,
    pub last_trade_at: Option<DateTime<Utc>>,
}

/// Which orders to list; every filter is optional except whose they are.
#[derive(Debug, Clone)]
pub struct OrderFilter {
    pub owner: IdentityId,
    pub asset: Option<AssetId>,
    pub resting_only: bool,
    pub limit: u32,
}

/// Why the market refused a request. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketRefusal {
    #[error("no such asset")]
    AssetNotFound,
    #[error("no such wallet")]
    WalletNotFound,
    #[error("no such order")]
    OrderNotFound,
    #[error("the wallet belongs to someone else")]
    NotOwner,
    #[error("the wallet is {0}")]
    WalletNotActive(String),
    #[error("the asset is {status} or not tradable")]
    AssetNotTradable { status: String },
    #[error("the asset is {0}")]
    AssetNotActive(String),
    #[error("issuing {requested} would exceed the total supply ({circulating} of {total} issued)")]
    SupplyExceeded {
        total: i64,
        circulating: i64,
        requested: u64,
    },
    #[error("the order needs {needed} available, the wallet has {available}")]
    InsufficientFunds {
        side: Side,
        needed: u64,
        available: i64,
    },
    #[error("the order would lock more than can be stored")]
    TooLarge,
    #[error("the order is {0}")]
    OrderNotResting(OrderStatus),
    #[error("an asset cannot go from {from} to {to}")]
    InvalidTransition { from: String, to: AssetStatus },
}

#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    #[error(transparent)]
    Refused(#[from] MarketRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait MarketStore: Send + Sync {
    /// Refuses a taken symbol with [`crate::Conflict::SymbolTaken`].
    async fn create_asset(&self, asset: NewAsset) -> Result<AssetRecord, MarketError>;

    async fn assets(&self) -> Result<Vec<AssetRecord>, StoreError>;

    async fn asset_by_symbol(&self, symbol: &Symbol) -> Result<Option<AssetRecord>, StoreError>;

    /// Halts, resumes or retires an asset, as [`AssetStatus::may_become`] allows. Halted
    /// orders keep their place; retiring cancels every resting order (`asset_halted`) and
    /// releases its lock.
    async fn set_asset_status(
        &self,
        asset: AssetId,
        to: AssetStatus,
        at: DateTime<Utc>,
    ) -> Result<AssetRecord, MarketError>;

    /// Credits newly issued units to a wallet under the asset's lock, so that concurrent
    /// issuers together never exceed the total supply.
    async fn issue(&self, issuance: Issuance) -> Result<AssetRecord, MarketError>;

    /// Locks what the order needs, matches it and writes back the result, in one transaction.
    async fn place_order(&self, order: NewMarketOrder) -> Result<PlacedOrder, MarketError>;

    /// Cancels a resting order of `owner`'s, releasing exactly what it still holds.
    async fn cancel_order(
        &self,
        order: OrderId,
        owner: IdentityId,
        at: DateTime<Utc>,
    ) -> Result<OrderRecord, MarketError>;

    /// Newest first.
    async fn orders(&self, filter: OrderFilter) -> Result<Vec<OrderRecord>, StoreError>;

    /// The best `levels` price levels of each side.
    async fn order_book(&self, asset: AssetId, levels: u32) -> Result<Depth, StoreError>;

    /// Newest first.
    async fn trades(&self, asset: AssetId, limit: u32) -> Result<Vec<TradeRecord>, StoreError>;

    /// The positions of every wallet `owner` holds.
    async fn positions(&self, owner: IdentityId) -> Result<Vec<PositionRecord>, StoreError>;
}

/// Sorts each side best first (bids highest, asks lowest) and keeps the best `levels`.
pub fn best_levels(mut depth: Depth, levels: u32) -> Depth {
    let keep = usize::try_from(levels).unwrap_or(usize::MAX);
    depth
        .bids
        .sort_by_key(|level| std::cmp::Reverse(level.price));
    depth.asks.sort_by_key(|level| level.price);
    depth.bids.truncate(keep);
    depth.asks.truncate(keep);
    depth
}
