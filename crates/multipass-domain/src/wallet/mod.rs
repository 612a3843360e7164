//! Wallet rules without I/O: what a valid wallet name, label, asset or amount is, the fee
//! rule, the canonical form of a transfer that the sender signs with ML-DSA-65, and the
//! opaque history cursor.

mod cursor;
mod fee;
mod inputs;
mod signing;

pub use cursor::HistoryCursor;
pub use fee::FeePolicy;
pub use inputs::{
    Amount, AssetType, Direction, IdempotencyKey, Labels, TxStatus, WalletName, WalletStatus,
};
pub use signing::{
    KEY_ALGORITHM, OrderMessage, Signable, SignatureError, TransferMessage, WalletKeyPair,
    address_of, check_public_key, request_hash, verify_signature,
};

use crate::ids::{IdentityId, WalletId};
use uuid::Uuid;

/// The identity that owns the fee-collection treasury. It has no credentials, so nobody
/// signs in as it; administrators see its wallet.
pub const TREASURY_IDENTITY_ID: IdentityId =
    IdentityId::from_uuid(Uuid::from_u128(0x6d70_0000_0000_4000_8000_0000_0000_0fee));

/// The wallet every transfer fee is credited to, so the sum over all wallets is conserved.
pub const TREASURY_WALLET_ID: WalletId =
    WalletId::from_uuid(Uuid::from_u128(0x6d70_0000_0000_4000_8000_0000_0000_1fee));
