use crate::store::PgStore;
use async_trait::async_trait;
use multipass_store::WalletStore;

#[async_trait]
impl WalletStore for PgStore {}
