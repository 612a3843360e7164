use crate::store::SqliteStore;
use async_trait::async_trait;
use multipass_store::WalletStore;

#[async_trait]
impl WalletStore for SqliteStore {}
