use crate::config::DatabaseSettings;
use crate::error::ApiError;
use multipass_store::{OpenMode, Store};
use multipass_store_postgres::{PgStore, PgStoreOptions};
use multipass_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;

/// Opens and migrates the store the settings select.
pub async fn open_store(
    settings: &DatabaseSettings,
    mode: OpenMode,
) -> Result<Arc<dyn Store>, ApiError> {
    match settings {
        DatabaseSettings::Embedded { path } => {
            tracing::info!(path = %path.display(), "opening the embedded store");
            Ok(Arc::new(SqliteStore::open(path, mode).await?))
        }
        DatabaseSettings::Postgres {
            options,
            max_connections,
        } => {
            tracing::info!(
                host = options.get_host(),
                port = options.get_port(),
                database = options.get_database(),
                "connecting to PostgreSQL"
            );
            let store = PgStore::open(
                PgStoreOptions {
                    connect: (**options).clone(),
                    max_connections: *max_connections,
                    acquire_timeout: Duration::from_secs(10),
                },
                mode,
            )
            .await?;
            Ok(Arc::new(store))
        }
    }
}
