//! Storage of TOTP, backup codes, session listing and revocation, password change, unlock, roles.

use async_trait::async_trait;

#[async_trait]
pub trait FactorStore: Send + Sync {}
