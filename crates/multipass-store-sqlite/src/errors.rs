//! Maps sqlx errors to [`StoreError`]. SQLite reports constraint failures by message
//! ("UNIQUE constraint failed: table.column"), not by constraint name, so that is what the
//! mapping reads.

use multipass_store::{Conflict, StoreError};

fn conflict_for(message: &str) -> Option<Conflict> {
    if message.contains("identity_profiles.email") {
        Some(Conflict::EmailTaken)
    } else if message.contains("multipass_credentials.username") {
        Some(Conflict::UsernameTaken)
    } else if message.contains("report_definitions.name") {
        Some(Conflict::ReportNameTaken)
    } else if message.contains("asset_definitions.symbol") {
        Some(Conflict::SymbolTaken)
    } else if message.contains("application_modules.name") {
        Some(Conflict::ModuleNameTaken)
    } else if message.contains("hardware_passes.credential_id") {
        Some(Conflict::PassCredentialTaken)
    } else if message.ends_with("wallet_accounts.id") {
        // The primary key; `contains` would also match `wallet_accounts.identity_id`.
        Some(Conflict::WalletIdTaken)
    } else if message.ends_with("market_orders.id") {
        Some(Conflict::OrderIdTaken)
    } else {
        None
    }
}

pub(crate) fn map_err(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) => {
            let message = db.message();
            if let Some(conflict) = conflict_for(message) {
                return StoreError::Conflict(conflict);
            }
            if message.contains("constraint failed") {
                return StoreError::ConstraintViolated {
                    constraint: message.to_owned(),
                };
            }
            // SQLITE_BUSY / SQLITE_LOCKED after the busy timeout, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_IOERR
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            if matches!(code, "5" | "6" | "14" | "13" | "10") || code.starts_with("10") {
                return StoreError::Unavailable(message.to_owned());
            }
            StoreError::Unexpected(message.to_owned())
        }
        sqlx::Error::Io(e) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("timed out waiting for the local store".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("the local store is closed".into()),
        sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable("the local store's worker stopped".into())
        }
        sqlx::Error::Decode(e) | sqlx::Error::ColumnDecode { source: e, .. } => {
            StoreError::Corrupt(e.to_string())
        }
        other => StoreError::Unexpected(other.to_string()),
    }
}

pub(crate) fn map_migrate_err(err: sqlx::migrate::MigrateError) -> StoreError {
    match err {
        sqlx::migrate::MigrateError::Execute(e) => match map_err(e) {
            StoreError::Unavailable(msg) => StoreError::Unavailable(msg),
            other => StoreError::Migration(other.to_string()),
        },
        other => StoreError::Migration(other.to_string()),
    }
}
