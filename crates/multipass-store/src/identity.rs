//! Storage of profiles, KYC verifications and attestations.

use async_trait::async_trait;

#[async_trait]
pub trait IdentityStore: Send + Sync {}
