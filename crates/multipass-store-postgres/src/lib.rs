//! PostgreSQL implementation of [`multipass_store::Store`], for the enterprise database that
//! many desktops share. Read-modify-write paths take row locks (`FOR UPDATE`) or are single
//! atomic statements, so they hold under concurrent clients, not just within one process.

mod errors;
pub mod migrations;
mod store;

pub use migrations::{LATEST_SCHEMA_VERSION, migrator};
pub use store::{PgStore, PgStoreOptions};
