//! Reports and notifications on the embedded store: a real SQLite file per test.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;
#[path = "reports_scenarios/mod.rs"]
mod scenarios;

use multipass_store::OpenMode;
use multipass_store_sqlite::SqliteStore;
use scenarios::Fixture;
use std::sync::Arc;

struct Temp {
    _dir: tempfile::TempDir,
    fixture: Fixture,
}

async fn fixture() -> Temp {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("multipass.db"), OpenMode::Migrate)
        .await
        .unwrap();
    let pool = store.pool().clone();
    let exec_pool = pool.clone();
    let fixture = Fixture {
        store: Arc::new(store),
        exec: Arc::new(move |sql: String| {
            let pool = exec_pool.clone();
            Box::pin(async move {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .unwrap();
            })
        }),
        count: Arc::new(move |sql: String| {
            let pool = pool.clone();
            Box::pin(async move {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            })
        }),
    };
    Temp { _dir: dir, fixture }
}

#[tokio::test]
async fn builtins_run_over_the_callers_data() {
    scenarios::builtins_run_over_the_callers_data(fixture().await.fixture).await;
}

#[tokio::test]
async fn parameters_stay_values() {
    scenarios::parameters_stay_values(fixture().await.fixture).await;
}

#[tokio::test]
async fn writing_templates_are_refused() {
    scenarios::writing_templates_are_refused(
        fixture().await.fixture,
        &["REPLACE INTO wallet_accounts (id, identity_id, name) SELECT id, identity_id, 'x' FROM wallet_accounts"],
    )
    .await;
}

#[tokio::test]
async fn writes_meet_the_read_only_connection() {
    scenarios::writes_meet_the_read_only_guard(fixture().await.fixture).await;
}

#[tokio::test]
async fn endless_queries_are_interrupted() {
    scenarios::slow_queries_time_out(
        fixture().await.fixture,
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT max(n) AS n FROM c",
    )
    .await;
}

#[tokio::test]
async fn row_cap() {
    scenarios::row_cap(fixture().await.fixture).await;
}

#[tokio::test]
async fn csv_round_trips() {
    scenarios::csv_round_trips(fixture().await.fixture).await;
}

#[tokio::test]
async fn pdf_reads_back() {
    scenarios::pdf_reads_back(fixture().await.fixture).await;
}

#[tokio::test]
async fn notifications_page_and_mark() {
    scenarios::notifications_page_and_mark(fixture().await.fixture).await;
}

#[tokio::test]
async fn permissions() {
    scenarios::permissions(fixture().await.fixture).await;
}
