//! What the wallet use cases take and give: transport types for the UI (camelCase JSON) and
//! the CLI's `--json`. Ids are UUID strings, amounts integers in minor units, times RFC 3339.

use multipass_store::{BalanceRecord, TransactionRecord, WalletRecord};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreateWalletRequest {
    pub name: String,
    #[serde(default)]
    pub labels: Vec<String>,
}

/// A new wallet as the authority receives it: the key pair was made where the wallet's
/// owner is, its seed stays in their keyring, and only the public half travels.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RegisterWalletRequest {
    pub wallet: CreateWalletRequest,
    /// Chosen where the key was made, so the keyring entry is named before the wallet exists.
    pub wallet_id: String,
    /// Hex of the encoded ML-DSA-65 public key.
    pub public_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DepositRequest {
    pub wallet_id: String,
    /// Defaults to the native currency, MPC.
    #[serde(default)]
    pub asset: Option<String>,
    pub amount: i64,
    /// Why the funds were added, kept with the deposit.
    #[serde(default)]
    pub memo: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferRequest {
    pub from_wallet_id: String,
    pub to_wallet_id: String,
    /// Defaults to the native currency, MPC.
    #[serde(default)]
    pub asset: Option<String>,
    pub amount: i64,
    /// Chosen by the client, one per intended transfer: sending the same request again
    /// with it returns the first result instead of paying twice.
    pub idempotency_key: String,
}

/// A transfer signed by the sending wallet's key where that key is: the authority checks
/// the fee and the signature before anything is written.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignedTransferRequest {
    pub transfer: TransferRequest,
    /// Chosen by the signer; part of what is signed.
    pub transfer_id: String,
    /// The fee the sender agreed to, in minor units; it must be the current fee.
    pub fee: i64,
    /// Hex ML-DSA-65 signature of the transfer's canonical text.
    pub signature: String,
}

/// How transfer fees are computed: a share in basis points, rounded up, never below the
/// minimum; transfers out of the treasury pay none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FeeScheduleView {
    pub basis_points: u32,
    pub minimum: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRequest {
    pub wallet_id: String,
    #[serde(default)]
    pub asset: Option<String>,
    /// `credit` or `debit`.
    #[serde(default)]
    pub direction: Option<String>,
    /// `pending`, `completed`, `failed` or `reversed`.
    #[serde(default)]
    pub status: Option<String>,
    /// RFC 3339; rows at or after it.
    #[serde(default)]
    pub since: Option<String>,
    /// RFC 3339; rows before it.
    #[serde(default)]
    pub until: Option<String>,
    /// The `nextCursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200; 50 when absent.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WalletView {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    /// `active`, `frozen` or `closed`.
    pub status: String,
    pub key_algorithm: String,
    /// Hex of the ML-DSA-65 public key (none for the fee treasury, which never signs).
    pub public_key: Option<String>,
    /// Hex SHA3-256 of the public key.
    pub addresses: Vec<String>,
    pub labels: Vec<String>,
    pub is_default: bool,
    pub created_at: String,
}

impl From<WalletRecord> for WalletView {
    fn from(w: WalletRecord) -> Self {
        Self {
            id: w.id.to_string(),
            owner_id: w.identity_id.to_string(),
            name: w.name,
            status: w.status.as_str().to_owned(),
            key_algorithm: w.key_algorithm,
            public_key: w.public_key,
            addresses: w.addresses,
            labels: w.labels,
            is_default: w.is_default,
            created_at: w.created_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BalanceView {
    pub asset: String,
    pub total: i64,
    pub locked: i64,
    /// total - locked: what can be sent.
    pub unlocked: i64,
}

impl From<BalanceRecord> for BalanceView {
    fn from(b: BalanceRecord) -> Self {
        Self {
            asset: b.asset_type,
            total: b.total,
            locked: b.locked,
            unlocked: b.unlocked,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub id: String,
    pub wallet_id: String,
    pub counterparty_wallet_id: Option<String>,
    pub transfer_id: String,
    /// `credit` or `debit`.
    pub direction: String,
    /// `transfer`, `fee`, `deposit`, ...
    pub tx_type: String,
    pub asset: String,
    pub amount: i64,
    pub fee: i64,
    pub status: String,
    pub balance_after: Option<i64>,
    /// Hex ML-DSA-65 signature, on a transfer's debit leg.
    pub signature: Option<String>,
    pub created_at: String,
}

impl From<TransactionRecord> for TransactionView {
    fn from(t: TransactionRecord) -> Self {
        Self {
            id: t.id.to_string(),
            wallet_id: t.wallet_id.to_string(),
            counterparty_wallet_id: t.counterparty_wallet_id.map(|w| w.to_string()),
            transfer_id: t.transfer_id.to_string(),
            direction: t.direction.as_str().to_owned(),
            tx_type: t.tx_type,
            asset: t.asset_type,
            amount: t.amount,
            fee: t.fee,
            status: t.status.as_str().to_owned(),
            balance_after: t.balance_after,
            signature: t.signature,
            created_at: t.created_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    pub transfer_id: String,
    /// True when this idempotency key had already been used for this same request: nothing
    /// moved now, and this is the first result again.
    pub replayed: bool,
    pub amount: i64,
    pub fee: i64,
    /// Debit, credit, then the fee credit to the treasury when there is a fee.
    pub legs: Vec<TransactionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub items: Vec<TransactionView>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerificationView {
    pub transfer_id: String,
    pub valid: bool,
    /// Why it is not valid, for people.
    pub problem: Option<String>,
    pub signer_wallet_id: String,
    pub signer_public_key: Option<String>,
}
