//! Who owns each wallet a transfer names, and what the wallet is called, as this process
//! last looked them up.
//!
//! Looking both wallets up cost every transfer a statement of its own, queued behind the
//! session check. No use case gives a wallet to someone else or renames it (and wallets are
//! never deleted), so what a transfer needs is kept after the first look-up. The store
//! checks the owners under the transfer's locks, which is where the authority lies: when
//! either differs (a change made outside the app), the entries are dropped and the wallets
//! looked up again.

use crate::process_cache::ProcessCache;
use multipass_domain::IdentityId;
use multipass_domain::ids::WalletId;
use multipass_store::WalletRecord;

/// What a transfer needs to know of one of its wallets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Party {
    pub id: WalletId,
    pub owner: IdentityId,
    pub name: String,
    /// Hex ML-DSA-65 public key: what the wallet's signatures are checked against. No use
    /// case changes a wallet's key.
    pub public_key: Option<String>,
}

impl From<&WalletRecord> for Party {
    fn from(wallet: &WalletRecord) -> Self {
        Self {
            id: wallet.id,
            owner: wallet.identity_id,
            name: wallet.name.as_str().to_owned(),
            public_key: wallet.public_key.clone(),
        }
    }
}

pub(crate) type Parties = ProcessCache<WalletId, Party>;
