//! What the market use cases take and give: transport types for the UI and the CLI's
//! `--json`. Amounts are integers in minor units (prices, quote amounts) or whole asset units.

use multipass_domain::market::{Depth, DepthLevel};
use multipass_store::{AssetRecord, OrderRecord, PositionRecord, TradeRecord};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreateAssetRequest {
    pub symbol: String,
    pub name: String,
    /// One of native, utility_token, equity_token, carbon_credit, nft, subscription_pass.
    pub asset_type: String,
    #[ts(type = "number")]
    pub total_supply: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IssueRequest {
    pub symbol: String,
    pub wallet_id: String,
    #[ts(type = "number")]
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrderRequest {
    pub wallet_id: String,
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Limit price in minor units of the quote currency per asset unit.
    #[ts(type = "number")]
    pub price: i64,
    #[ts(type = "number")]
    pub quantity: i64,
}

/// An order signed by its wallet's key where that key is; the authority checks the
/// signature before the order reaches the book.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignedOrderRequest {
    pub order: PlaceOrderRequest,
    /// Chosen by the signer, so the signed order can be placed only once.
    pub order_id: String,
    /// Hex ML-DSA-65 signature of the order's canonical text.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AssetView {
    pub id: String,
    pub symbol: String,
    pub name: String,
    pub asset_type: String,
    #[ts(type = "number")]
    pub total_supply: i64,
    #[ts(type = "number")]
    pub circulating_supply: i64,
    pub status: String,
    pub is_tradable: bool,
    pub created_at: String,
}

impl From<AssetRecord> for AssetView {
    fn from(asset: AssetRecord) -> Self {
        Self {
            id: asset.id.to_string(),
            symbol: asset.symbol,
            name: asset.name,
            asset_type: asset.asset_type,
            total_supply: asset.total_supply,
            circulating_supply: asset.circulating_supply,
            status: asset.status,
            is_tradable: asset.is_tradable,
            created_at: time(asset.created_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: String,
    #[ts(type = "number")]
    pub sequence: i64,
    pub asset_id: String,
    pub wallet_id: String,
    pub side: String,
    #[ts(type = "number")]
    pub price: i64,
    #[ts(type = "number")]
    pub quantity: i64,
    #[ts(type = "number")]
    pub filled_quantity: i64,
    /// What the order still holds: quote minor units for a buy, asset units for a sell.
    #[ts(type = "number")]
    pub locked_amount: i64,
    pub status: String,
    pub cancel_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<OrderRecord> for OrderView {
    fn from(order: OrderRecord) -> Self {
        Self {
            id: order.id.to_string(),
            sequence: order.sequence,
            asset_id: order.asset_id.to_string(),
            wallet_id: order.wallet_id.to_string(),
            side: order.side.as_str().to_owned(),
            price: order.price,
            quantity: order.quantity,
            filled_quantity: order.filled_quantity,
            locked_amount: order.locked_amount,
            status: order.status.as_str().to_owned(),
            cancel_reason: order.cancel_reason,
            created_at: time(order.created_at),
            updated_at: time(order.updated_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TradeView {
    pub id: String,
    pub asset_id: String,
    pub buy_order_id: String,
    pub sell_order_id: String,
    pub buyer_wallet_id: String,
    pub seller_wallet_id: String,
    pub aggressor_side: String,
    #[ts(type = "number")]
    pub price: i64,
    #[ts(type = "number")]
    pub quantity: i64,
    pub executed_at: String,
}

impl From<TradeRecord> for TradeView {
    fn from(trade: TradeRecord) -> Self {
        Self {
            id: trade.id.to_string(),
            asset_id: trade.asset_id.to_string(),
            buy_order_id: trade.buy_order_id.to_string(),
            sell_order_id: trade.sell_order_id.to_string(),
            buyer_wallet_id: trade.buyer_wallet_id.to_string(),
            seller_wallet_id: trade.seller_wallet_id.to_string(),
            aggressor_side: trade.aggressor_side.as_str().to_owned(),
            price: trade.price,
            quantity: trade.quantity,
            executed_at: time(trade.executed_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlacedOrderView {
    pub order: OrderView,
    /// In execution order: best price first, then earliest order.
    pub fills: Vec<TradeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BookLevelView {
    #[ts(type = "number")]
    pub price: i64,
    /// Sum of the level's remaining quantities, as a string: it may exceed 2^53.
    pub quantity: String,
    pub orders: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderBookView {
    pub symbol: String,
    /// Highest price first.
    pub bids: Vec<BookLevelView>,
    /// Lowest price first.
    pub asks: Vec<BookLevelView>,
}

impl OrderBookView {
    pub(crate) fn new(symbol: String, depth: Depth) -> Self {
        let levels = |levels: Vec<DepthLevel>| {
            levels
                .into_iter()
                .map(|level| BookLevelView {
                    price: i64::try_from(level.price.get()).unwrap_or(i64::MAX),
                    quantity: level.quantity.to_string(),
                    orders: u32::try_from(level.orders).unwrap_or(u32::MAX),
                })
                .collect()
        };
        Self {
            symbol,
            bids: levels(depth.bids),
            asks: levels(depth.asks),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PositionView {
    pub wallet_id: String,
    pub asset_id: String,
    pub symbol: String,
    #[ts(type = "number")]
    pub quantity: i64,
    #[ts(type = "number")]
    pub cost_basis: i64,
    #[ts(type = "number")]
    pub average_cost: i64,
    #[ts(type = "number")]
    pub realized_pnl: i64,
    pub last_trade_at: Option<String>,
}

impl From<PositionRecord> for PositionView {
    fn from(position: PositionRecord) -> Self {
        Self {
            wallet_id: position.wallet_id.to_string(),
            asset_id: position.asset_id.to_string(),
            symbol: position.symbol,
            quantity: position.quantity,
            cost_basis: position.cost_basis,
            average_cost: position.average_cost,
            realized_pnl: position.realized_pnl,
            last_trade_at: position.last_trade_at.map(time),
        }
    }
}
