//! PostgreSQL implementation of [`multipass_store::Store`], for the enterprise database that
//! many desktops share. Read-modify-write paths take row locks (`FOR UPDATE`) or are single
//! atomic statements, so they hold under concurrent clients, not just within one process.

mod apps;
mod audit;
mod errors;
mod factors;
#[cfg(test)]
mod generic_plans;
mod identity;
mod market;
pub mod migrations;
mod passes;
mod policy;
mod reporting;
mod secrets;
mod store;
#[cfg(feature = "test-support")]
pub mod test_support;
mod wallet;

pub use migrations::{LATEST_SCHEMA_VERSION, migrator};
pub use store::{PgStore, PgStoreOptions, pool_options};
