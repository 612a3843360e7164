//! The embedded SQLite schema: a mirror of `migrations/001_…`, `003_…` and `009_…` in
//! the types SQLite can hold (UUIDs and timestamps as text, JSON and arrays as JSON text).

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

const CREATE_ENTERPRISE_TABLES: &str =
    include_str!("../migrations/0001_create_enterprise_tables.sql");
const CREATE_SECURITY_EVENTS: &str =
    include_str!("../migrations/0002_create_security_events_and_sso_keys.sql");
const CREATE_SIGN_IN_THROTTLES: &str =
    include_str!("../migrations/0003_create_sign_in_throttles.sql");

/// The newest schema version this build knows.
pub const LATEST_SCHEMA_VERSION: i64 = 3;

pub fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "create enterprise tables".into(),
            MigrationType::Simple,
            CREATE_ENTERPRISE_TABLES.into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "create security events and sso keys".into(),
            MigrationType::Simple,
            CREATE_SECURITY_EVENTS.into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "create sign in throttles".into(),
            MigrationType::Simple,
            CREATE_SIGN_IN_THROTTLES.into_sql_str(),
            false,
        ),
    ])
}
