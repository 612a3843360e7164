//! The desktop's half of every wallet operation: wallet keys are made, kept and used here,
//! on the computer of the wallet's owner, and never leave it. The authority (the server, or
//! the API in this process) receives only public keys and signatures, and checks each
//! signature before it writes anything.
//!
//! The 32-byte ML-DSA seed is kept in the OS keyring under `wallet:<id>`. A keyring read is
//! a D-Bus round trip to the Secret Service and costs more than the rest of a transfer
//! together, so each wallet's key pair is kept in process memory after its first read. The
//! pair zeroizes its seed and ML-DSA key when dropped. Keyring calls block (D-Bus,
//! Keychain), so they run on the blocking pool.

use crate::error::{ApiError, ErrorCode};
use crate::market::{PlaceOrderRequest, PlacedOrderView, SignedOrderRequest};
use crate::operations::Operations;
use crate::process_cache::ProcessCache;
use crate::vault::{SecretVault, off_the_runtime};
use crate::wallet::{
    CreateWalletRequest, RegisterWalletRequest, SignedTransferRequest, TransferRequest,
    TransferView, WalletView, fee_policy_for,
};
use multipass_domain::SessionToken;
use multipass_domain::ids::WalletId;
use multipass_domain::market::Symbol;
use multipass_domain::wallet::{FeePolicy, OrderMessage, Signable, TransferMessage, WalletKeyPair};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

fn vault_name(wallet: WalletId) -> String {
    format!("wallet:{wallet}")
}

/// The wallet keys of the person at this computer, and the operations that need them.
#[derive(Debug, Clone)]
pub struct WalletKeys {
    vault: Arc<dyn SecretVault>,
    pairs: Arc<ProcessCache<WalletId, Arc<WalletKeyPair>>>,
    /// The authority's fee schedule as last fetched: signed into every transfer.
    fees: Arc<Mutex<Option<FeePolicy>>>,
}

fn signing_failed(e: &dyn std::fmt::Display) -> ApiError {
    ApiError::internal("The wallet's key could not sign", e)
}

impl WalletKeys {
    pub fn new(vault: Arc<dyn SecretVault>) -> Self {
        Self {
            vault,
            pairs: Arc::default(),
            fees: Arc::default(),
        }
    }

    /// Makes a key pair for a new wallet, keeps its seed in the keyring, and registers the
    /// wallet's public key with the authority. When the authority refuses, the unused seed
    /// is removed again.
    pub async fn create_wallet(
        &self,
        api: &dyn Operations,
        token: &SessionToken,
        wallet: CreateWalletRequest,
    ) -> Result<WalletView, ApiError> {
        let id = WalletId::new_random();
        let pair = self.new_key(id).await?;
        let request = RegisterWalletRequest {
            wallet,
            wallet_id: id.to_string(),
            public_key: pair.public_key_hex(),
        };
        match api.create_wallet(token, request).await {
            Ok(created) => Ok(created),
            Err(refused) => {
                self.forget(id).await;
                Err(refused)
            }
        }
    }

    /// Signs the transfer with the sending wallet's key and the current fee, and sends it.
    /// When the authority says the fee changed, the schedule is fetched afresh for the next
    /// attempt; the person sees the refusal and decides again.
    pub async fn transfer(
        &self,
        api: &dyn Operations,
        token: &SessionToken,
        transfer: TransferRequest,
    ) -> Result<TransferView, ApiError> {
        let signed = self.sign_transfer(api, token, transfer).await?;
        let unsigned = signed.signature.is_empty();
        let outcome = api.transfer(token, signed).await;
        if outcome
            .as_ref()
            .is_err_and(|e| e.code == ErrorCode::Conflict && e.field.as_deref() == Some("fee"))
        {
            *lock(&self.fees) = None;
        }
        outcome.map_err(|refused| explain_unsigned(refused, unsigned))
    }

    /// The transfer as the authority wants it: with its id, fee and signature (empty when
    /// this computer has no key for the wallet: the authority then says whether the wallet
    /// exists and is the caller's before it refuses the missing signature).
    pub async fn sign_transfer(
        &self,
        api: &dyn Operations,
        token: &SessionToken,
        transfer: TransferRequest,
    ) -> Result<SignedTransferRequest, ApiError> {
        let from = parse_wallet(&transfer.from_wallet_id, "fromWalletId")?;
        let to = parse_wallet(&transfer.to_wallet_id, "toWalletId")?;
        let asset = crate::wallet::parse_asset(transfer.asset.as_deref())?;
        let fee =
            fee_policy_for(from, self.fee_schedule(api, token).await?).fee_for(transfer.amount);
        let transfer_id = Uuid::new_v4();
        let message = TransferMessage {
            transfer_id,
            from,
            to,
            asset: asset.as_str().to_owned(),
            amount: transfer.amount,
            fee,
            idempotency_key: transfer.idempotency_key.trim().to_owned(),
        };
        let signature = self.sign(from, message).await?;
        Ok(SignedTransferRequest {
            transfer,
            transfer_id: transfer_id.to_string(),
            fee,
            signature,
        })
    }

    /// Signs the order with its wallet's key and places it.
    pub async fn place_order(
        &self,
        api: &dyn Operations,
        token: &SessionToken,
        order: PlaceOrderRequest,
    ) -> Result<PlacedOrderView, ApiError> {
        let signed = self.sign_order(order).await?;
        let unsigned = signed.signature.is_empty();
        api.place_order(token, signed)
            .await
            .map_err(|refused| explain_unsigned(refused, unsigned))
    }

    /// The order as the authority wants it: with its id and signature (empty when this
    /// computer has no key for the wallet).
    pub async fn sign_order(
        &self,
        order: PlaceOrderRequest,
    ) -> Result<SignedOrderRequest, ApiError> {
        let wallet = parse_wallet(&order.wallet_id, "walletId")?;
        let side = crate::market::parse_side(&order.side)?;
        let symbol = Symbol::parse(&order.symbol)?;
        let order_id = Uuid::new_v4();
        let message = OrderMessage {
            order_id,
            wallet,
            symbol: symbol.as_str().to_owned(),
            side,
            price: order.price,
            quantity: order.quantity,
        };
        let signature = self.sign(wallet, message).await?;
        Ok(SignedOrderRequest {
            order,
            order_id: order_id.to_string(),
            signature,
        })
    }

    /// The authority's fee schedule, fetched once and kept until it says it changed.
    async fn fee_schedule(
        &self,
        api: &dyn Operations,
        token: &SessionToken,
    ) -> Result<FeePolicy, ApiError> {
        if let Some(known) = *lock(&self.fees) {
            return Ok(known);
        }
        let view = api.fee_schedule(token).await?;
        let policy = FeePolicy::new(view.basis_points, view.minimum)
            .map_err(|e| ApiError::internal("The fee schedule cannot be used", &e))?;
        *lock(&self.fees) = Some(policy);
        Ok(policy)
    }

    /// The hex signature of `message` by the wallet's key, or an empty one when the key is
    /// not on this computer.
    async fn sign<M: Signable + Send + 'static>(
        &self,
        wallet: WalletId,
        message: M,
    ) -> Result<String, ApiError> {
        let Some(pair) = self.key(wallet).await? else {
            return Ok(String::new());
        };
        tokio::task::spawn_blocking(move || pair.sign(&message))
            .await
            .map_err(|e| signing_failed(&e))?
            .map_err(|e| signing_failed(&e))
    }

    /// Makes a fresh key pair and stores its seed; nothing is sent anywhere here.
    async fn new_key(&self, wallet: WalletId) -> Result<Arc<WalletKeyPair>, ApiError> {
        let mut seed = zeroize::Zeroizing::new([0_u8; 32]);
        rand::Rng::fill(&mut rand::rng(), &mut seed[..]);
        let pair = Arc::new(WalletKeyPair::from_seed(*seed));
        let stored = zeroize::Zeroizing::new(*pair.seed());
        off_the_runtime(&self.vault, move |v| {
            v.put(&vault_name(wallet), stored.as_slice())
        })
        .await?;
        self.pairs.insert(wallet, pair.clone());
        Ok(pair)
    }

    /// Removes a seed whose wallet was never registered.
    async fn forget(&self, wallet: WalletId) {
        self.pairs.remove(&wallet);
        if let Err(error) =
            off_the_runtime(&self.vault, move |v| v.delete(&vault_name(wallet))).await
        {
            tracing::warn!(?error, %wallet, "an unused wallet key could not be removed");
        }
    }

    /// The wallet's key pair: from memory after the first read from this computer's
    /// keyring; `None` when the keyring has none. A missing or unreadable key is not
    /// remembered, so a later call asks the keyring again.
    async fn key(&self, wallet: WalletId) -> Result<Option<Arc<WalletKeyPair>>, ApiError> {
        if let Some(pair) = self.pairs.get(&wallet) {
            return Ok(Some(pair));
        }
        let seed = off_the_runtime(&self.vault, move |v| v.get(&vault_name(wallet))).await?;
        let Some(seed) = seed else {
            return Ok(None);
        };
        let pair = Arc::new(WalletKeyPair::from_stored_seed(&seed).ok_or_else(|| {
            ApiError::internal(
                "The wallet's key in the keyring is damaged",
                &format!("{} bytes instead of 32", seed.len()),
            )
        })?);
        self.pairs.insert(wallet, pair.clone());
        Ok(Some(pair))
    }
}

/// When the request went without a signature because the key is not here, the authority's
/// refusal of the missing signature says why in the person's terms.
fn explain_unsigned(refused: ApiError, unsigned: bool) -> ApiError {
    if unsigned && refused.field.as_deref() == Some("signature") {
        ApiError::new(
            ErrorCode::InvalidState,
            "The signing key of this wallet is not in this computer's keyring, so it cannot \
             send or trade from here. Use the computer where the wallet was created.",
        )
    } else {
        refused
    }
}

fn parse_wallet(raw: &str, field: &'static str) -> Result<WalletId, ApiError> {
    crate::wallet::parse_uuid(raw, field).map(WalletId::from_uuid)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
