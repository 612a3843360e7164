use crate::store::SqliteStore;
use async_trait::async_trait;
use multipass_store::MarketStore;

#[async_trait]
impl MarketStore for SqliteStore {}
