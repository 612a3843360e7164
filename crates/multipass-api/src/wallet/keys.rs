//! Wallet signing keys in the OS keyring: the 32-byte ML-DSA seed under `wallet:<id>`.
//! Keyring calls block (D-Bus, Keychain), so they run on the blocking pool.
//!
//! A keyring read is a D-Bus round trip to the Secret Service and costs more than the rest
//! of a transfer together, so each wallet's key pair is kept in process memory after its
//! first read ([`KeyCache`]). The pair zeroizes its seed and ML-DSA key when dropped, which
//! happens when the API (and every clone of it) is dropped or the key is forgotten.

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use crate::process_cache::ProcessCache;
use crate::vault::{SecretVault, VaultError};
use multipass_domain::ids::WalletId;
use multipass_domain::wallet::WalletKeyPair;
use std::sync::Arc;

pub(crate) fn vault_name(wallet: WalletId) -> String {
    format!("wallet:{wallet}")
}

/// Key pairs read from the vault by this process, per wallet.
pub(crate) type KeyCache = ProcessCache<WalletId, Arc<WalletKeyPair>>;

async fn blocking<T: Send + 'static>(
    vault: Arc<dyn SecretVault>,
    work: impl FnOnce(&dyn SecretVault) -> Result<T, VaultError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || work(vault.as_ref()))
        .await
        .map_err(|e| ApiError::internal("The keyring task stopped", &e))?
        .map_err(ApiError::from)
}

impl MultipassApi {
    /// Makes a fresh key pair and stores its seed; nothing is written to the database here.
    pub(crate) async fn new_wallet_key(&self, wallet: WalletId) -> Result<WalletKeyPair, ApiError> {
        let mut seed = zeroize::Zeroizing::new([0_u8; 32]);
        rand::Rng::fill(&mut rand::rng(), &mut seed[..]);
        let pair = WalletKeyPair::from_seed(*seed);
        let stored = zeroize::Zeroizing::new(*pair.seed());
        blocking(self.vault.clone(), move |v| {
            v.put(&vault_name(wallet), stored.as_slice())
        })
        .await?;
        Ok(pair)
    }

    /// Removes a seed whose wallet row could not be written.
    pub(crate) async fn forget_wallet_key(&self, wallet: WalletId) {
        self.wallet_keys.remove(&wallet);
        if let Err(error) =
            blocking(self.vault.clone(), move |v| v.delete(&vault_name(wallet))).await
        {
            tracing::warn!(?error, %wallet, "an unused wallet key could not be removed");
        }
    }

    /// The wallet's key pair: from memory after the first read from this computer's keyring.
    /// A missing or unreadable key is not remembered, so a later call asks the keyring again.
    pub(crate) async fn wallet_key(
        &self,
        wallet: WalletId,
    ) -> Result<Arc<WalletKeyPair>, ApiError> {
        if let Some(pair) = self.wallet_keys.get(&wallet) {
            return Ok(pair);
        }
        let seed = blocking(self.vault.clone(), move |v| v.get(&vault_name(wallet))).await?;
        let seed = seed.ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidState,
                "The signing key of this wallet is not in this computer's keyring, so it cannot \
                 send from here. Send from the computer where the wallet was created.",
            )
        })?;
        let pair = Arc::new(WalletKeyPair::from_stored_seed(&seed).ok_or_else(|| {
            ApiError::internal(
                "The wallet's key in the keyring is damaged",
                &format!("{} bytes instead of 32", seed.len()),
            )
        })?);
        self.wallet_keys.insert(wallet, pair.clone());
        Ok(pair)
    }
}
