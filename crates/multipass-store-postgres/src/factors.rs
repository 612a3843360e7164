use crate::store::PgStore;
use async_trait::async_trait;
use multipass_store::FactorStore;

#[async_trait]
impl FactorStore for PgStore {}
