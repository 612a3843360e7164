//! Storage of wallet accounts, balances, transfers and their history.
//!
//! Every balance change happens inside the backend in one transaction that holds the
//! balance rows it changes locked, so concurrent desktops can neither overdraw a wallet nor
//! lose an update; the schema's CHECK constraints (no negative total, locked within total)
//! back that up.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::ids::WalletId;
use multipass_domain::wallet::{
    Amount, AssetType, Direction, HistoryCursor, IdempotencyKey, Labels, TxStatus, WalletName,
    WalletStatus,
};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewWallet {
    pub id: WalletId,
    pub identity_id: IdentityId,
    pub name: WalletName,
    pub labels: Labels,
    pub key_algorithm: &'static str,
    /// Hex of the encoded public key; the secret stays in the keyring.
    pub public_key: String,
    /// Hex SHA3-256 of the public key.
    pub address: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletRecord {
    pub id: WalletId,
    pub identity_id: IdentityId,
    pub name: String,
    pub status: WalletStatus,
    pub key_algorithm: String,
    pub public_key: Option<String>,
    pub addresses: Vec<String>,
    pub labels: Vec<String>,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRecord {
    pub wallet_id: WalletId,
    pub asset_type: String,
    pub total: i64,
    pub locked: i64,
    /// total - locked, computed by the database.
    pub unlocked: i64,
}

/// The `wallet_transactions.tx_type` values this service writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxType {
    Transfer,
    Fee,
    Deposit,
}

impl TxType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Fee => "fee",
            Self::Deposit => "deposit",
        }
    }
}

/// One row of `wallet_transactions`: one leg of a transfer, a fee or a deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRecord {
    pub id: Uuid,
    pub wallet_id: WalletId,
    pub counterparty_wallet_id: Option<WalletId>,
    pub transfer_id: Uuid,
    pub direction: Direction,
    /// Kept as stored: other services write other types (trade, issuance).
    pub tx_type: String,
    pub asset_type: String,
    pub amount: i64,
    pub fee: i64,
    pub status: TxStatus,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub signature: Option<String>,
    pub balance_after: Option<i64>,
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewDeposit {
    pub transfer_id: Uuid,
    pub wallet_id: WalletId,
    pub asset: AssetType,
    pub amount: Amount,
    /// A JSON object, e.g. who made the deposit and why.
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// A signed transfer, ready to apply. `fee` goes to
/// [`multipass_domain::wallet::TREASURY_WALLET_ID`].
#[derive(Debug, Clone)]
pub struct NewTransfer {
    pub transfer_id: Uuid,
    pub from: WalletId,
    pub to: WalletId,
    /// Whom the caller took `from` and `to` to belong to. Callers keep what they looked up,
    /// so the store checks both under the transfer's locks and refuses with
    /// [`crate::Conflict::PartiesChanged`] when either wallet now belongs to someone else.
    pub from_owner: IdentityId,
    pub to_owner: IdentityId,
    pub asset: AssetType,
    pub amount: Amount,
    pub fee: i64,
    pub idempotency_key: IdempotencyKey,
    pub request_hash: String,
    pub signature: String,
    pub created_at: DateTime<Utc>,
    /// The receiver's notification, stored only when the transfer is applied now (not on a
    /// replay). A backend may write it in the transfer's own transaction, so that a
    /// transfer and its notice commit together, in one flush of the database's log.
    pub notice: Option<crate::NewNotification>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferOutcome {
    /// Applied now; the legs (debit, credit, then the fee credit when there is a fee).
    Created(Vec<TransactionRecord>),
    /// The same request was applied before under this idempotency key: its legs.
    Replayed(Vec<TransactionRecord>),
}

#[derive(Debug, Clone)]
pub struct HistoryQuery {
    pub wallet_id: WalletId,
    pub asset: Option<AssetType>,
    pub direction: Option<Direction>,
    pub status: Option<TxStatus>,
    /// Inclusive lower bound of `created_at`.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive upper bound of `created_at`.
    pub until: Option<DateTime<Utc>>,
    /// Rows strictly after this (created_at, id) in newest-first order.
    pub after: Option<HistoryCursor>,
    pub limit: u32,
}

/// Which of a wallet's rows an export takes: all of them, or those matching every filter.
#[derive(Debug, Clone)]
pub struct ExportQuery {
    pub wallet_id: WalletId,
    pub asset: Option<AssetType>,
    pub direction: Option<Direction>,
    pub status: Option<TxStatus>,
    /// Inclusive lower bound of `created_at`.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive upper bound of `created_at`.
    pub until: Option<DateTime<Utc>>,
}

/// The columns of `wallet_transactions` an export writes; signatures, request hashes and
/// metadata stay out, they are for verification, not bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub transfer_id: Uuid,
    pub counterparty_wallet_id: Option<Uuid>,
    pub direction: String,
    pub tx_type: String,
    pub asset_type: String,
    pub amount: i64,
    pub fee: i64,
    pub status: String,
    pub balance_after: Option<i64>,
}

/// Receives exported rows one at a time; `false` stops the export early.
pub type ExportSink<'a> = dyn FnMut(ExportRow) -> bool + Send + 'a;

#[async_trait]
pub trait WalletStore: Send + Sync {
    /// Inserts the wallet; it becomes its owner's default wallet when the owner has none.
    async fn create_wallet(&self, wallet: NewWallet) -> Result<WalletRecord, StoreError>;

    async fn wallet(&self, id: WalletId) -> Result<WalletRecord, StoreError>;

    /// Two wallets in one look-up (a transfer's parties), each `None` when it does not exist.
    async fn wallet_pair(
        &self,
        first: WalletId,
        second: WalletId,
    ) -> Result<(Option<WalletRecord>, Option<WalletRecord>), StoreError>;

    /// The identity's wallets, closed ones included: the default first, then oldest first.
    async fn wallets_of(&self, identity: IdentityId) -> Result<Vec<WalletRecord>, StoreError>;

    /// Changes the status; refuses with `Conflict::WalletInactive` when the wallet is closed.
    async fn set_wallet_status(
        &self,
        id: WalletId,
        status: WalletStatus,
        now: DateTime<Utc>,
    ) -> Result<WalletRecord, StoreError>;

    /// Makes the wallet its owner's default, the previous default no longer; refuses with
    /// `Conflict::WalletInactive` when the wallet is closed.
    async fn set_default_wallet(
        &self,
        id: WalletId,
        now: DateTime<Utc>,
    ) -> Result<WalletRecord, StoreError>;

    /// The wallet's balances, one per asset it ever held, by asset code.
    async fn balances(&self, wallet: WalletId) -> Result<Vec<BalanceRecord>, StoreError>;

    /// Credits an active wallet (one credit leg of type `deposit`).
    async fn deposit(&self, deposit: NewDeposit) -> Result<TransactionRecord, StoreError>;

    /// Applies a transfer atomically: refuses a sender or receiver that is not active
    /// (`Conflict::WalletInactive`) and a sender whose unlocked balance cannot pay amount and
    /// fee (`Conflict::InsufficientFunds`). A key already used by the sender for the same
    /// request hash gives that transfer back; for another hash, `Conflict::IdempotencyMismatch`.
    async fn transfer(&self, transfer: NewTransfer) -> Result<TransferOutcome, StoreError>;

    /// All rows of one transfer (or deposit), debit first.
    async fn transfer_legs(&self, transfer_id: Uuid) -> Result<Vec<TransactionRecord>, StoreError>;

    /// A page of the wallet's rows, newest first, ordered by (created_at, id) descending.
    async fn history(&self, query: HistoryQuery) -> Result<Vec<TransactionRecord>, StoreError>;

    /// Every row of the wallet matching `query`, oldest first by (created_at, id), handed to
    /// `sink` as it arrives from the database, so that an export of any size holds one row
    /// at a time. Returns how many rows `sink` accepted.
    async fn export_transactions(
        &self,
        query: ExportQuery,
        sink: &mut ExportSink<'_>,
    ) -> Result<u64, StoreError>;
}
