//! The storage interface of Multipass.
//!
//! One trait, [`Store`], implemented by `multipass-store-postgres` (the enterprise's shared
//! database) and `multipass-store-sqlite` (the embedded offline store). The application
//! layer is written against the trait only. Every method that reads and then writes does
//! so atomically inside the backend, because many desktops share one PostgreSQL.

pub mod apps;
pub mod audit;
mod error;
pub mod factors;
pub mod identity;
pub mod market;
pub mod passes;
pub mod policy;
mod records;
pub mod report_cache;
pub mod reporting;
pub mod secrets;
pub mod wallet;

pub use apps::AppStore;
pub use apps::{
    AppChangeApplied, AppChangeOutcome, AppChangePlan, AppEventCursor, AppEventRecord,
    ModuleChanges, ModuleRecord, NewModule, NewSsoKey, NewSsoSession, SsoKeyRecord,
    SsoSessionOpened, SsoSessionRecord, app_state_from_stored, next_event_time, plan_app_change,
};
pub use audit::{
    AuditStore, FORGET_SIGN_IN_FAILURES_SQL, NewSecurityEvent, RECORD_SIGN_IN_FAILURE_SQL,
    SecurityEventRecord, SecurityEventType,
};
pub use error::{Conflict, StoreError};
pub use factors::FactorStore;
pub use factors::{SecondFactors, SessionSummary};
pub use identity::IdentityStore;
pub use market::MarketStore;
pub use market::{
    AssetRecord, Issuance, MakerFilled, MarketError, MarketRefusal, NewAsset, NewMarketOrder,
    OrderFilter, OrderRecord, PlacedOrder, PositionRecord, TradeRecord,
};
pub use passes::PassStore;
pub use policy::{SharedPolicyStore, StoredPolicy};
pub use records::*;
pub use report_cache::{CachedReport, CachedReportSummary, CachedSession, ReportCache};
pub use reporting::{
    GeneratedReport, GeneratedReportSummary, NewGeneratedReport, NewReportDefinition,
    NotificationCursor, NotificationQuery, NotificationRecord, QueryLimits, QueryRefusal,
    QueryRows, ReportDefinitionContent, ReportDefinitionRecord, ReportResult,
};
pub use reporting::{NewNotification, NotificationKind, ReportStore};
pub use secrets::ServerSecretStore;
pub use wallet::WalletStore;
pub use wallet::{
    BalanceRecord, HistoryQuery, NewDeposit, NewTransfer, NewWallet, TransactionRecord,
    TransferOutcome, TxType, WalletRecord,
};
pub use wallet::{ExportQuery, ExportRow, ExportSink};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::{CredentialId, IdentityId, TokenHash, Username};

/// Everything the application layer may ask of a store. Each service's operations live in a
/// trait of their own module; this one keeps sign-up and sign-in.
#[async_trait]
pub trait Store:
    IdentityStore
    + WalletStore
    + FactorStore
    + AppStore
    + MarketStore
    + ReportStore
    + PassStore
    + AuditStore
    + Send
    + Sync
    + std::fmt::Debug
{
    /// Which backend this is and where it lives (password-free), plus schema version and health.
    async fn status(&self) -> Result<StoreStatus, StoreError>;

    /// Where the server keeps its sealed secrets; `None` for a backend that has no
    /// `server_secrets` (the embedded store: a desktop keeps its secrets in its keyring).
    fn server_secrets(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn ServerSecretStore>> {
        None
    }

    /// Where the shared security policy and the database's clock are; `None` for the
    /// embedded store, whose desktop is its own authority and takes both from its settings
    /// and its system clock.
    fn shared_policy(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn SharedPolicyStore>> {
        None
    }

    /// Creates an identity and its credentials in one transaction.
    async fn create_identity(
        &self,
        identity: NewIdentity,
        credentials: NewCredentials,
    ) -> Result<Identity, StoreError>;

    async fn identity(&self, id: IdentityId) -> Result<Identity, StoreError>;

    async fn credentials_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<CredentialRecord>, StoreError>;

    /// Counts one failed sign-in in a single atomic statement, locking the account when the
    /// count reaches `max_failed_attempts`. A lock set at or before `stale_lock_cutoff` has
    /// lapsed and counting starts again. Newly locking revokes the identity's open sessions.
    async fn record_failed_sign_in(
        &self,
        credential: CredentialId,
        max_failed_attempts: u32,
        stale_lock_cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<FailedSignIn, StoreError>;

    /// After a verified password: under a row lock on the credentials, refuses if the
    /// account is locked (a lock newer than `stale_lock_cutoff`), otherwise clears the
    /// failure count and inserts the session.
    async fn open_session(
        &self,
        credential: CredentialId,
        session: NewSession,
        stale_lock_cutoff: DateTime<Utc>,
    ) -> Result<SessionOpened, StoreError>;

    /// The session whose token hashes to `token_hash`, if it exists, is not revoked and has
    /// not expired at `now`. SSO rows never match: a module's token is not a sign-in.
    async fn active_session(
        &self,
        token_hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// Revokes one session; returns false if it was unknown or already revoked.
    async fn revoke_session(
        &self,
        token_hash: &TokenHash,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Replaces a password hash (used to upgrade hashes made with weaker parameters).
    async fn replace_password_hash(
        &self,
        credential: CredentialId,
        new_hash: &str,
    ) -> Result<(), StoreError>;
}
