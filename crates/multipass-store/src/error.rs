use thiserror::Error;

/// A uniqueness rule that an insert or update ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    EmailTaken,
    UsernameTaken,
    ReportNameTaken,
    SymbolTaken,
    /// The unlocked balance cannot pay for a debit.
    InsufficientFunds,
    /// The wallet is frozen or closed, so it can neither send nor receive.
    WalletInactive,
    /// An idempotency key was used before for a different request.
    IdempotencyMismatch,
    /// A credit would take a balance past the largest amount a BIGINT holds.
    BalanceLimit,
    ModuleNameTaken,
    /// The hardware pass's credential id is already enrolled.
    PassCredentialTaken,
    /// A wallet with the id its key's owner chose exists already.
    WalletIdTaken,
    /// An order with this id was placed already: a signed order is placed once.
    OrderIdTaken,
    /// A wallet of a transfer belongs to someone other than the caller took it to: the
    /// caller's record of it is stale, and nothing was changed.
    PartiesChanged,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// A CHECK or foreign-key constraint refused a write: a bug above the store, since the
    /// domain layer validates first, but reported with the constraint's name, never as a panic.
    #[error("the database refused the change (constraint {constraint})")]
    ConstraintViolated { constraint: String },
    /// The database is unreachable or the connection dropped.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database holds a schema newer than this build knows; nothing was changed.
    #[error(
        "the database schema is version {found}, newer than the {known} this version of Multipass knows"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// Migrating failed, e.g. because the schema was changed by hand.
    #[error("migrating the database failed: {0}")]
    Migration(String),
    /// A stored value does not decode into its domain type.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unexpected database error: {0}")]
    Unexpected(String),
    /// A report query ran past its time limit and was cancelled.
    #[error("the report query was cancelled by its time limit")]
    ReportTimedOut,
    /// The database refused to run a report query; `detail` is for the log.
    #[error("the report query was refused ({reason:?}): {detail}")]
    ReportQueryRefused {
        reason: crate::reporting::QueryRefusal,
        detail: String,
    },
}
