//! Storage of wallet accounts, balances, transfers and their history.

use async_trait::async_trait;

#[async_trait]
pub trait WalletStore: Send + Sync {}
