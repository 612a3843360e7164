//! The wallet service on real PostgreSQL, a fresh database per test.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;
mod wallet_scenarios;

use async_trait::async_trait;
use multipass_store::OpenMode;
use multipass_store_postgres::{PgStore, PgStoreOptions, migrator};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use wallet_scenarios::*;

struct Pg(PgPool);

#[async_trait]
impl RawSql for Pg {
    async fn exec(&self, sql: &str) -> Result<u64, String> {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.0)
            .await
            .map(|done| done.rows_affected())
            .map_err(|e| e.to_string())
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.0)
            .await
            .unwrap()
    }

    async fn everything(&self) -> String {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&self.0)
        .await
        .unwrap();
        let mut all = String::new();
        for table in tables {
            let rows: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT string_agg(t::text, E'\\n') FROM \"{table}\" t"
            )))
            .fetch_one(&self.0)
            .await
            .unwrap();
            all.push_str(&rows.unwrap_or_default());
        }
        all
    }
}

async fn migrated(pool: PgPool) -> (Arc<PgStore>, Pg) {
    migrator().run(&pool).await.unwrap();
    (
        Arc::new(PgStore::from_migrated_pool(pool.clone())),
        Pg(pool),
    )
}

#[sqlx::test(migrations = false)]
async fn wallets_have_keyring_keys(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    wallets_have_keyring_keys_and_one_default(store, &sql).await;
}

#[sqlx::test(migrations = false)]
async fn transfers_are_signed_charged_and_guarded_on_postgres(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    transfers_are_signed_charged_and_guarded(store, &sql).await;
}

#[sqlx::test(migrations = false)]
async fn one_key_sent_fifty_times_in_parallel(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    one_key_sent_in_parallel_moves_money_once(store, &sql, 50).await;
}

#[sqlx::test(migrations = false)]
async fn constraints_refuse_broken_balances_on_postgres(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    constraints_refuse_broken_balances(store, &sql).await;
}

#[sqlx::test(migrations = false)]
async fn history_pages_and_filters_on_postgres(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    history_pages_and_filters(store, &sql).await;
}

/// 1000 transfers among 10 wallets over a pool of 32 connections.
#[sqlx::test(migrations = false)]
async fn a_thousand_concurrent_transfers_over_32_connections(pool: PgPool) {
    migrator().run(&pool).await.unwrap();
    let store = PgStore::open(
        PgStoreOptions {
            connect: (*pool.connect_options()).clone(),
            max_connections: 32,
            acquire_timeout: Duration::from_secs(60),
        },
        OpenMode::Migrate,
    )
    .await
    .unwrap();
    concurrent_transfers_conserve_the_total(Arc::new(store), &Pg(pool), 10, 1000, 32).await;
}
