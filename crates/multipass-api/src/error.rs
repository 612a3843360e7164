//! What the UI and the CLI receive when something fails: a code from a closed set, which the
//! TypeScript side mirrors, and a message written for people. Raw database or library text
//! never reaches them; it goes to the log.

use multipass_domain::ValidationError;
use multipass_store::{Conflict, StoreError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// An input was refused; `field` names it.
    InvalidInput,
    /// Wrong username, wrong password, or locked account: deliberately indistinguishable.
    InvalidCredentials,
    /// The change collides with existing data (a taken email or username).
    Conflict,
    NotFound,
    /// No valid session: signed out, expired or revoked.
    Unauthenticated,
    /// The database cannot be reached.
    Unavailable,
    /// The database was migrated by a newer Multipass.
    SchemaTooNew,
    /// A setting is malformed.
    Config,
    /// Signed in, but the role or scopes do not allow this.
    Forbidden,
    /// The balance that would pay for this is too small.
    InsufficientFunds,
    /// An idempotency key was reused for a different request.
    IdempotencyMismatch,
    /// The record is not in a state that allows this (e.g. a revoked pass, a closed wallet).
    InvalidState,
    /// A code, challenge, token or verification has expired.
    Expired,
    /// A single-use code or challenge was already used.
    AlreadyUsed,
    /// The password was right; a second factor (TOTP or backup code) is now needed.
    SecondFactorRequired,
    /// The work took longer than allowed and was stopped.
    Timeout,
    /// A size or count limit was reached (e.g. a report's row cap).
    LimitExceeded,
    /// The operating system's keyring refused or is not running.
    KeyringUnavailable,
    /// The person stopped the operation (a pass ceremony's Cancel, Ctrl-C on the CLI).
    Cancelled,
    /// The server's TLS certificate is not trusted by this computer (wrong server, or its
    /// enterprise CA is not configured).
    CertificateUntrusted,
    /// Too many requests at once, or too many failed sign-ins from one place: try again
    /// after a while (the server says how long in `Retry-After`).
    RateLimited,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// For `invalid_input` and `conflict`: the form field to correct.
    pub field: Option<String>,
    /// For `rate_limited`: how many seconds to wait before trying again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub retry_after_seconds: Option<u32>,
}

/// The one message for every failed sign-in, so an attacker learns nothing about which
/// usernames exist or are locked.
pub(crate) const SIGN_IN_FAILED: &str = "Sign-in failed. Check your username and password. After several failed attempts the account is locked for a while.";

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after_seconds: None,
        }
    }

    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub(crate) fn invalid_credentials() -> Self {
        Self::new(ErrorCode::InvalidCredentials, SIGN_IN_FAILED)
    }

    pub(crate) fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "You are signed out. Sign in to continue.",
        )
    }

    pub(crate) fn internal(context: &str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(%detail, "{context}");
        Self::new(
            ErrorCode::Internal,
            format!("{context}. The details are in the application log."),
        )
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self::new(ErrorCode::InvalidInput, err.message).with_field(err.field)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::new(ErrorCode::NotFound, "That record does not exist."),
            StoreError::Conflict(Conflict::EmailTaken) => Self::new(
                ErrorCode::Conflict,
                "An account with this email address already exists.",
            )
            .with_field("email"),
            StoreError::Conflict(Conflict::UsernameTaken) => Self::new(
                ErrorCode::Conflict,
                "That username is taken. Choose another one.",
            )
            .with_field("username"),
            StoreError::Conflict(Conflict::SymbolTaken) => Self::new(
                ErrorCode::Conflict,
                "An asset with this symbol already exists. Choose another symbol.",
            )
            .with_field("symbol"),
            StoreError::Conflict(Conflict::InsufficientFunds) => Self::new(
                ErrorCode::InsufficientFunds,
                "The wallet's available balance is too small for this amount and its fee.",
            )
            .with_field("amount"),
            StoreError::Conflict(Conflict::WalletInactive) => Self::new(
                ErrorCode::InvalidState,
                "A frozen or closed wallet can neither send nor receive funds.",
            ),
            StoreError::Conflict(Conflict::IdempotencyMismatch) => Self::new(
                ErrorCode::IdempotencyMismatch,
                "This idempotency key was already used for a different transfer. Use a new key for a new transfer.",
            )
            .with_field("idempotencyKey"),
            StoreError::Conflict(Conflict::BalanceLimit) => Self::new(
                ErrorCode::LimitExceeded,
                "This would take the receiving balance past the largest amount a wallet can hold.",
            )
            .with_field("amount"),
            StoreError::Conflict(Conflict::ModuleNameTaken) => Self::new(
                ErrorCode::Conflict,
                "A module with this name is already registered. Choose another name.",
            )
            .with_field("name"),
            StoreError::Conflict(Conflict::PartiesChanged) => Self::new(
                ErrorCode::Conflict,
                "A wallet of this transfer changed hands while it was being made. Nothing was moved; try again.",
            ),
            StoreError::Conflict(Conflict::PassCredentialTaken) => Self::new(
                ErrorCode::Conflict,
                "This pass is already enrolled: a pass can be enrolled only once, even after it was revoked.",
            )
            .with_field("credentialId"),
            StoreError::Conflict(Conflict::WalletIdTaken) => Self::new(
                ErrorCode::Conflict,
                "A wallet with this id exists already. Create the wallet again to give it a new id.",
            )
            .with_field("walletId"),
            StoreError::Conflict(Conflict::OrderIdTaken) => Self::new(
                ErrorCode::Conflict,
                "This signed order was placed already; nothing more was done. Place a new order to trade again.",
            )
            .with_field("orderId"),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                Self::new(
                    ErrorCode::Unavailable,
                    "The database cannot be reached. Check the connection or the database settings, then try again.",
                )
            }
            StoreError::SchemaTooNew { found, known } => Self::new(
                ErrorCode::SchemaTooNew,
                format!(
                    "The database has schema version {found}, but this version of Multipass knows only up to {known}. \
                     Nothing was changed. Update Multipass to use this database."
                ),
            ),
            err @ StoreError::Migration(_) => {
                Self::internal("The database schema could not be brought up to date", &err)
            }
            err @ StoreError::ConstraintViolated { .. } => {
                Self::internal("The database refused the change", &err)
            }
            err @ (StoreError::Corrupt(_) | StoreError::Unexpected(_)) => {
                Self::internal("The store failed", &err)
            }
            StoreError::Conflict(Conflict::ReportNameTaken) => Self::new(
                ErrorCode::Conflict,
                "A report definition with this name already exists.",
            )
            .with_field("name"),
            StoreError::ReportTimedOut => Self::new(
                ErrorCode::Timeout,
                "The report took longer than its time limit and was stopped. Narrow its parameters, or ask an administrator to raise the limit.",
            ),
            StoreError::ReportQueryRefused { reason, detail } => {
                tracing::warn!(%detail, ?reason, "a report query was refused");
                match reason {
                    multipass_store::QueryRefusal::ReadOnly => Self::new(
                        ErrorCode::Forbidden,
                        "This report's query tries to change data or take locks; reports can only read.",
                    ),
                    multipass_store::QueryRefusal::PermissionDenied => Self::new(
                        ErrorCode::Forbidden,
                        "This report's query reads data that reports may not read, such as credentials, sessions or keys.",
                    ),
                    multipass_store::QueryRefusal::Invalid => Self::new(
                        ErrorCode::InvalidInput,
                        "The report's query could not run: it does not parse, names something that does not exist, or returns a column reports cannot show. The details are in the application log.",
                    )
                    .with_field("sqlTemplate"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_snake_case_strings() {
        let err = ApiError::new(ErrorCode::SchemaTooNew, "x");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], "schema_too_new");
        assert_eq!(json["field"], serde_json::Value::Null);
    }

    #[test]
    fn store_details_never_reach_the_message() {
        let err: ApiError =
            StoreError::Unexpected("relation \"secret_table\" does not exist".into()).into();
        assert_eq!(err.code, ErrorCode::Internal);
        assert!(!err.message.contains("secret_table"));
        let err: ApiError =
            StoreError::Unavailable("connection refused to 10.0.0.5:5432".into()).into();
        assert_eq!(err.code, ErrorCode::Unavailable);
        assert!(!err.message.contains("10.0.0.5"));
    }

    #[test]
    fn conflicts_name_the_field() {
        let err: ApiError = StoreError::Conflict(Conflict::UsernameTaken).into();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::Conflict, Some("username"))
        );
    }
}
