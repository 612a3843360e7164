//! Embedded SQLite implementation of [`multipass_store::Store`]: the standalone, offline
//! store, which also serves as the sync cache. One file per user, in WAL mode.
//!
//! SQLite has one writer at a time, so every read-modify-write opens its transaction with
//! `BEGIN IMMEDIATE`: the write lock is taken up front and two desktops' processes (or two
//! tasks) can never both read a row and then race to update it.

mod apps;
mod audit;
mod errors;
mod factors;
mod file;
mod identity;
mod market;
pub mod migrations;
mod passes;
mod report_cache;
mod reporting;
mod store;
mod time;
mod wallet;

pub use migrations::{LATEST_SCHEMA_VERSION, migrator};
pub use report_cache::SqliteReportCache;
pub use store::SqliteStore;
