//! Storage of the hardware-pass registry and its challenges.

use async_trait::async_trait;

#[async_trait]
pub trait PassStore: Send + Sync {}
