//! Secrets that must never reach the database (wallet signing keys, SSO signing keys) live in
//! the operating system's keyring: the Keychain on macOS, the Credential Manager on Windows,
//! the Secret Service (GNOME Keyring, KWallet) on Linux.
//!
//! The use cases see only [`SecretVault`], so the keyring is chosen in one place. There is no
//! fallback to a file: when the keyring is missing or locked the operation fails with
//! `keyring_unavailable` and says how to fix it.

use crate::error::{ApiError, ErrorCode};
use std::fmt;
use zeroize::Zeroizing;

/// A name → secret-bytes store owned by the current OS user.
pub trait SecretVault: Send + Sync + fmt::Debug {
    /// Stores `secret` under `name`, replacing any earlier value.
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), VaultError>;
    /// The secret stored under `name`, or `None` when there is none.
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError>;
    /// Removes the secret; removing a missing one is not an error.
    fn delete(&self, name: &str) -> Result<(), VaultError>;
}

#[derive(Debug, thiserror::Error)]
#[error("the keyring {action} failed for {name:?}: {detail}")]
pub struct VaultError {
    pub action: &'static str,
    pub name: String,
    pub detail: String,
    /// From the server's sealed vault rather than the OS keyring.
    pub sealed: bool,
}

impl From<VaultError> for ApiError {
    fn from(err: VaultError) -> Self {
        if err.sealed {
            tracing::error!(error = %err, "sealed secret failure");
            return ApiError::new(
                ErrorCode::Internal,
                "The server's sealed keys cannot be used. Its operator must give every \
                 instance the same MULTIPASS_SECRETS_KEY_FILE; the details are in its log.",
            );
        }
        tracing::warn!(error = %err, "keyring failure");
        ApiError::new(
            ErrorCode::KeyringUnavailable,
            "The system keyring could not be used. Make sure it is running and unlocked \
             (on Linux: GNOME Keyring or another Secret Service provider), then try again.",
        )
    }
}

/// Runs `work` on the vault on the blocking pool: keyring calls block on D-Bus or the
/// Keychain, and the sealed vault on the database.
pub(crate) async fn off_the_runtime<T: Send + 'static>(
    vault: &std::sync::Arc<dyn SecretVault>,
    work: impl FnOnce(&dyn SecretVault) -> Result<T, VaultError> + Send + 'static,
) -> Result<T, ApiError> {
    let vault = std::sync::Arc::clone(vault);
    tokio::task::spawn_blocking(move || work(vault.as_ref()))
        .await
        .map_err(|e| ApiError::internal("The keyring task stopped", &e))?
        .map_err(ApiError::from)
}

/// The OS keyring through the `keyring` crate. Entries are named `<service>` / `<name>`.
#[derive(Debug, Clone)]
pub struct KeyringVault {
    service: String,
}

impl KeyringVault {
    /// `service` separates installations (and tests) from each other in the keyring.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, action: &'static str, name: &str) -> Result<keyring::Entry, VaultError> {
        keyring::Entry::new(&self.service, name).map_err(|e| VaultError {
            action,
            name: name.to_owned(),
            detail: e.to_string(),
            sealed: false,
        })
    }
}

impl Default for KeyringVault {
    fn default() -> Self {
        Self::new("multipass-desktop")
    }
}

impl SecretVault for KeyringVault {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        self.entry("write", name)?
            .set_secret(secret)
            .map_err(|e| VaultError {
                action: "write",
                name: name.to_owned(),
                detail: e.to_string(),
                sealed: false,
            })
    }

    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        match self.entry("read", name)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(VaultError {
                action: "read",
                name: name.to_owned(),
                detail: e.to_string(),
                sealed: false,
            }),
        }
    }

    fn delete(&self, name: &str) -> Result<(), VaultError> {
        match self.entry("delete", name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(VaultError {
                action: "delete",
                name: name.to_owned(),
                detail: e.to_string(),
                sealed: false,
            }),
        }
    }
}
