//! Storage of assets, issuance, orders, matching, positions and trades.

use async_trait::async_trait;

#[async_trait]
pub trait MarketStore: Send + Sync {}
