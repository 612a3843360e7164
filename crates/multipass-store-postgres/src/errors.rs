//! Maps sqlx errors to [`StoreError`] at the store boundary, so nothing above sees SQL text.

use multipass_store::{Conflict, StoreError};

/// Turns a named constraint violation into the domain conflict it stands for.
fn conflict_for(constraint: &str) -> Option<Conflict> {
    match constraint {
        "identity_profiles_email_key" => Some(Conflict::EmailTaken),
        "multipass_credentials_username_key" => Some(Conflict::UsernameTaken),
        "report_definitions_name_key" => Some(Conflict::ReportNameTaken),
        "asset_definitions_symbol_key" => Some(Conflict::SymbolTaken),
        "application_modules_name_key" => Some(Conflict::ModuleNameTaken),
        "hardware_passes_credential_id_key" => Some(Conflict::PassCredentialTaken),
        "wallet_accounts_pkey" => Some(Conflict::WalletIdTaken),
        "market_orders_pkey" => Some(Conflict::OrderIdTaken),
        _ => None,
    }
}

pub(crate) fn map_err(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) => match db.constraint() {
            Some(name) => match conflict_for(name) {
                Some(conflict) => StoreError::Conflict(conflict),
                None => StoreError::ConstraintViolated {
                    constraint: name.to_owned(),
                },
            },
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08xxx
            // connection exceptions, and 3D000 when the configured database is gone (dropped,
            // or not created yet): in each case the store cannot be reached, and what the
            // person can do (wait, work offline, fix the settings) is the same.
            None if db
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "3D000") =>
            {
                StoreError::Unavailable(db.message().to_owned())
            }
            None => StoreError::Unexpected(db.message().to_owned()),
        },
        sqlx::Error::Io(e) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Tls(e) => StoreError::Unavailable(format!("TLS: {e}")),
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("timed out waiting for a database connection".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("the connection pool is closed".into()),
        sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable("the database connection worker stopped".into())
        }
        sqlx::Error::Protocol(e) => StoreError::Unavailable(format!("protocol error: {e}")),
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
