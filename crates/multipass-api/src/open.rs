use crate::config::DatabaseSettings;
use crate::error::ApiError;
use multipass_store::{OpenMode, Store};
use multipass_store_postgres::{PgStore, PgStoreOptions};
use multipass_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;

/// Opens the store the settings select, migrating it when `mode` says so.
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
            report_replica,
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
            let store = match report_replica {
                Some(replica) => {
                    tracing::info!(
                        host = replica.get_host(),
                        port = replica.get_port(),
                        "reports run on a replica"
                    );
                    store.with_report_replica(
                        (**replica).clone(),
                        *max_connections,
                        Duration::from_secs(10),
                    )
                }
                None => store,
            };
            Ok(Arc::new(store))
        }
    }
}

/// The mode an application (desktop, CLI, server) opens its store in: the embedded store is
/// the desktop's own and is brought up to date; a shared database is migrated only by
/// `multipass migrate` with the schema owner's login, never by an application at start.
pub fn application_open_mode(settings: &DatabaseSettings) -> OpenMode {
    match settings {
        DatabaseSettings::Embedded { .. } => OpenMode::Migrate,
        DatabaseSettings::Postgres { .. } => OpenMode::Inspect,
    }
}

/// Refuses a shared database whose schema is not the one this build knows.
pub async fn require_current_schema(store: &dyn Store) -> Result<(), ApiError> {
    let status = store.status().await?;
    let latest = crate::schema::LATEST_POSTGRES;
    match status.schema_version {
        found if found > latest => Err(multipass_store::StoreError::SchemaTooNew {
            found,
            known: latest,
        }
        .into()),
        found if found < latest => Err(ApiError::new(
            crate::ErrorCode::InvalidState,
            format!(
                "The database's schema is at version {found}; this version of Multipass needs \
                 {latest}. An administrator brings it up to date with `multipass migrate`, \
                 using the schema owner's login."
            ),
        )),
        _ => Ok(()),
    }
}
