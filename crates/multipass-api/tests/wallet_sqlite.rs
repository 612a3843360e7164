//! The wallet service on the embedded store, on a real file.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;
mod wallet_scenarios;

use async_trait::async_trait;
use multipass_store::OpenMode;
use multipass_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;
use wallet_scenarios::*;

struct Lite(Arc<SqliteStore>, PathBuf);

#[async_trait]
impl RawSql for Lite {
    async fn exec(&self, sql: &str) -> Result<u64, String> {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self.0.pool())
            .await
            .map(|done| done.rows_affected())
            .map_err(|e| e.to_string())
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.0.pool())
            .await
            .unwrap()
    }

    /// Every value of every table as text (blobs as hex), plus the store file and its
    /// write-ahead log as text and hex, so a secret stored in any form would show.
    async fn everything(&self) -> String {
        use sqlx::{Column, Row};
        let mut all = String::new();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(self.0.pool())
        .await
        .unwrap();
        for table in tables {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM \"{table}\"")))
                .fetch_all(self.0.pool())
                .await
                .unwrap();
            for row in rows {
                for column in row.columns() {
                    let i = column.ordinal();
                    if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                        all.push_str(&text);
                    } else if let Ok(Some(bytes)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                        all.push_str(&hex::encode(bytes));
                    }
                    all.push('\n');
                }
            }
        }
        for suffix in ["", "-wal"] {
            let mut path = self.1.clone().into_os_string();
            path.push(suffix);
            if let Ok(bytes) = std::fs::read(&path) {
                all.push_str(&String::from_utf8_lossy(&bytes));
                all.push_str(&hex::encode(&bytes));
            }
        }
        all
    }
}

async fn fresh() -> (tempfile::TempDir, Arc<SqliteStore>, Lite) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Arc::new(SqliteStore::open(&path, OpenMode::Migrate).await.unwrap());
    (dir, store.clone(), Lite(store, path))
}

#[tokio::test]
async fn wallets_have_keyring_keys() {
    let (_dir, store, sql) = fresh().await;
    wallets_have_keyring_keys_and_one_default(store, &sql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_wallet_moves_and_stays_one_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    the_default_wallet_moves_and_stays_one(store, &sql).await;
}

#[tokio::test]
async fn only_what_the_wallet_key_signed_is_written_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    only_what_the_wallet_key_signed_is_written(store, &sql).await;
}

#[tokio::test]
async fn transfers_are_signed_charged_and_guarded_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    transfers_are_signed_charged_and_guarded(store, &sql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_key_sent_fifty_times_in_parallel() {
    let (_dir, store, sql) = fresh().await;
    one_key_sent_in_parallel_moves_money_once(store, &sql, 50).await;
}

#[tokio::test]
async fn a_wallet_given_away_elsewhere_is_looked_up_again_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    a_wallet_given_away_elsewhere_is_looked_up_again(store, &sql).await;
}

#[tokio::test]
async fn a_repeated_request_keeps_its_first_answer_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    a_repeated_request_keeps_its_first_answer(store, &sql).await;
}

#[tokio::test]
async fn constraints_refuse_broken_balances_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    constraints_refuse_broken_balances(store, &sql).await;
}

#[tokio::test]
async fn history_pages_and_filters_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    history_pages_and_filters(store, &sql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transfers_conserve_the_total_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    concurrent_transfers_conserve_the_total(store, &sql, 10, 200, 8).await;
}

#[tokio::test]
async fn wallet_history_exports_as_csv_on_sqlite() {
    let (_dir, store, sql) = fresh().await;
    wallet_history_exports_as_csv(store, &sql).await;
}
