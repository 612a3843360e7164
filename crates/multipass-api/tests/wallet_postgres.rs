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
    (Arc::new(common::runtime_store(&pool).await), Pg(pool))
}

#[sqlx::test(migrations = false)]
async fn wallets_have_keyring_keys(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    wallets_have_keyring_keys_and_one_default(store, &sql).await;
}

#[sqlx::test(migrations = false)]
async fn the_default_wallet_moves_and_stays_one_on_postgres(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    the_default_wallet_moves_and_stays_one(store, &sql).await;
}

#[sqlx::test(migrations = false)]
async fn only_what_the_wallet_key_signed_is_written_on_postgres(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    only_what_the_wallet_key_signed_is_written(store, &sql).await;
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
async fn a_wallet_given_away_elsewhere_is_looked_up_again_on_postgres(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    a_wallet_given_away_elsewhere_is_looked_up_again(store, &sql).await;
}

#[sqlx::test(migrations = false)]
async fn a_repeated_request_keeps_its_first_answer_on_postgres(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    a_repeated_request_keeps_its_first_answer(store, &sql).await;
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

/// A transfer that the database picks as a deadlock victim is run again inside the store,
/// and the caller only sees it succeed. Another session holds the sender's balance row,
/// lets the transfer block on it, then asks for the wallet row the transfer holds shared;
/// that session's long deadlock timeout makes the transfer the one PostgreSQL aborts.
#[sqlx::test(migrations = false)]
async fn a_deadlock_victim_is_retried_not_reported(pool: PgPool) {
    let (store, sql) = migrated(pool.clone()).await;
    let w = world(store, &sql).await;
    let ada = common::sign_up(&w.api, "ada").await.token;
    let a = w.wallet(&ada, "Ada").await;
    let b = w.wallet(&ada, "Other").await;
    w.deposit(&a, 1_000).await;
    w.send(&ada, &a.id, &b.id, 1, "warm-up").await.unwrap();

    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL deadlock_timeout = '60s'")
        .execute(&mut *blocker)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT total FROM wallet_balances WHERE wallet_id = '{}' FOR UPDATE",
        a.id
    )))
    .execute(&mut *blocker)
    .await
    .unwrap();

    let transfer = {
        let (api, ada, from, to) = (w.api.clone(), ada.clone(), a.id.clone(), b.id.clone());
        tokio::spawn(async move {
            api.transfer(
                &ada,
                multipass_api::wallet::TransferRequest {
                    from_wallet_id: from,
                    to_wallet_id: to,
                    asset: None,
                    amount: 100,
                    idempotency_key: "victim".into(),
                },
            )
            .await
        })
    };
    // Bounded wait until the transfer is blocked on the balance row.
    let mut blocked = false;
    for _ in 0..600 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if waiting > 0 {
            blocked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(blocked, "the transfer never waited on the locked balance");

    // Needs the wallet row the transfer holds FOR SHARE: a cycle. This only completes once
    // the transfer's transaction was aborted.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE wallet_accounts SET updated_at = now() WHERE id = '{}'",
        a.id
    )))
    .execute(&mut *blocker)
    .await
    .unwrap();
    blocker.commit().await.unwrap();

    let view = transfer.await.unwrap().expect("retried, not reported");
    assert!(!view.replayed);
    assert_eq!(w.balance(&a.id).await, 1_000 - 2 - 101);
}

#[sqlx::test(migrations = false)]
async fn wallet_history_exports_as_csv_on_postgres(pool: PgPool) {
    let (store, sql) = migrated(pool).await;
    wallet_history_exports_as_csv(store, &sql).await;
}

/// The stores of two server instances, each with its own pool, connecting with `connect`.
async fn two_instances(
    connect: &sqlx::postgres::PgConnectOptions,
) -> Vec<Arc<dyn multipass_store::Store>> {
    let mut instances: Vec<Arc<dyn multipass_store::Store>> = Vec::new();
    for _ in 0..2 {
        let store = PgStore::open(
            PgStoreOptions {
                connect: connect.clone(),
                max_connections: 16,
                acquire_timeout: Duration::from_secs(60),
            },
            OpenMode::Inspect,
        )
        .await
        .unwrap();
        instances.push(Arc::new(store));
    }
    instances
}

/// Two server instances, each with its own pool and caches, over one database: a thousand
/// concurrent transfers sent to them in turn keep every balance invariant.
#[sqlx::test(migrations = false)]
async fn a_thousand_concurrent_transfers_through_two_server_instances(pool: PgPool) {
    migrator().run(&pool).await.unwrap();
    let instances = two_instances(&pool.connect_options()).await;
    concurrent_transfers_over(&instances, &Pg(pool), 10, 1000, 32).await;
}

/// The same through PgBouncer in transaction mode, with the server's runtime login: every
/// statement and transaction of the store works on whichever server connection PgBouncer
/// lends, and the balances stay invariant.
#[sqlx::test(migrations = false)]
#[ignore = "needs PgBouncer 1.21+ in MULTIPASS_TEST_PGBOUNCER; `make test` builds one and runs this"]
async fn a_thousand_concurrent_transfers_through_two_server_instances_and_pgbouncer(pool: PgPool) {
    migrator().run(&pool).await.unwrap();
    // Makes the runtime login, which PgBouncer then lets through.
    multipass_store_postgres::test_support::runtime_pool(&pool, 1)
        .await
        .unwrap()
        .close()
        .await;
    let bouncer = common::pgbouncer::PgBouncer::start(
        &pool.connect_options(),
        &[multipass_store_postgres::test_support::RUNTIME_TEST_LOGIN],
    );
    let through_bouncer = bouncer
        .in_front_of(&pool.connect_options())
        .username(multipass_store_postgres::test_support::RUNTIME_TEST_LOGIN)
        .password("");
    let instances = two_instances(&through_bouncer).await;
    concurrent_transfers_over(&instances, &Pg(pool), 10, 1000, 32).await;
    drop(bouncer);
}
