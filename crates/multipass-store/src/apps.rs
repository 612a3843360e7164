//! Storage of application modules, installs and consents, SSO tokens and signing keys.

use async_trait::async_trait;

#[async_trait]
pub trait AppStore: Send + Sync {}
