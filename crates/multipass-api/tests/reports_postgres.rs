//! Reports and notifications on real PostgreSQL, a fresh database per test. Needs
//! DATABASE_URL pointing at a server.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;
#[path = "reports_scenarios/mod.rs"]
mod scenarios;

use multipass_domain::reports::CompiledQuery;
use multipass_store::{QueryLimits, QueryRefusal, StoreError};
use multipass_store_postgres::migrator;
use scenarios::Fixture;
use sqlx::PgPool;
use std::sync::Arc;

async fn fixture(pool: PgPool) -> Fixture {
    migrator().run(&pool).await.unwrap();
    let store = common::runtime_store(&pool).await;
    let exec_pool = pool.clone();
    Fixture {
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
    }
}

#[sqlx::test(migrations = false)]
async fn builtins_run_over_the_callers_data(pool: PgPool) {
    scenarios::builtins_run_over_the_callers_data(fixture(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn parameters_stay_values(pool: PgPool) {
    scenarios::parameters_stay_values(fixture(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn writing_templates_are_refused(pool: PgPool) {
    let fixture = fixture(pool).await;
    // A function with a side effect, as the connecting (owner) user could create one; the
    // read-only transaction stops the write inside it.
    (fixture.exec)(
        "CREATE FUNCTION multipass_test_rename() RETURNS integer LANGUAGE sql \
         AS $$ UPDATE wallet_accounts SET name = 'hacked'; SELECT 1 $$"
            .into(),
    )
    .await;
    scenarios::writing_templates_are_refused(fixture, &["SELECT multipass_test_rename()"]).await;
}

#[sqlx::test(migrations = false)]
async fn writes_meet_the_read_only_transaction(pool: PgPool) {
    scenarios::writes_meet_the_read_only_guard(fixture(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn pg_sleep_is_cut_off(pool: PgPool) {
    scenarios::slow_queries_time_out(fixture(pool).await, "SELECT pg_sleep(60)").await;
}

#[sqlx::test(migrations = false)]
async fn the_reader_role_cannot_read_credentials(pool: PgPool) {
    let fixture = fixture(pool).await;
    let limits = QueryLimits {
        row_limit: 10,
        timeout: std::time::Duration::from_secs(30),
    };
    for sql in [
        "SELECT password_hash FROM multipass_credentials",
        "SELECT token_hash FROM multipass_sessions",
        "SELECT * FROM sso_signing_keys",
    ] {
        let outcome = fixture
            .store
            .run_report_query(&CompiledQuery::unchecked(sql, vec![]), limits)
            .await;
        assert!(
            matches!(
                outcome,
                Err(StoreError::ReportQueryRefused {
                    reason: QueryRefusal::PermissionDenied,
                    ..
                })
            ),
            "{sql}: {outcome:?}"
        );
    }
    // Business tables stay readable.
    let ok = fixture
        .store
        .run_report_query(
            &CompiledQuery::unchecked("SELECT COUNT(*) AS n FROM identity_profiles", vec![]),
            limits,
        )
        .await
        .unwrap();
    assert_eq!(ok.table.rows, vec![vec![serde_json::json!(0)]]);
}

#[sqlx::test(migrations = false)]
async fn numeric_and_typed_columns_decode(pool: PgPool) {
    let fixture = fixture(pool).await;
    let limits = QueryLimits {
        row_limit: 10,
        timeout: std::time::Duration::from_secs(30),
    };
    let rows = fixture
        .store
        .run_report_query(
            &CompiledQuery::unchecked(
                "SELECT SUM(x)::numeric AS total, -12.50::numeric(10,2) AS price, DATE '2026-01-31' AS day, \
                 '{\"a\": 1}'::jsonb AS doc, NULL::text AS nothing, TRUE AS yes FROM (VALUES (9007199254740993::bigint), (1)) v(x)",
                vec![],
            ),
            limits,
        )
        .await
        .unwrap();
    assert_eq!(
        rows.table.rows,
        vec![vec![
            serde_json::json!("9007199254740994"),
            serde_json::json!("-12.50"),
            serde_json::json!("2026-01-31"),
            serde_json::json!({"a": 1}),
            serde_json::Value::Null,
            serde_json::json!(true),
        ]]
    );
}

#[sqlx::test(migrations = false)]
async fn row_cap(pool: PgPool) {
    scenarios::row_cap(fixture(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn csv_round_trips(pool: PgPool) {
    scenarios::csv_round_trips(fixture(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn pdf_reads_back(pool: PgPool) {
    scenarios::pdf_reads_back(fixture(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn notifications_page_and_mark(pool: PgPool) {
    scenarios::notifications_page_and_mark(fixture(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn permissions(pool: PgPool) {
    scenarios::permissions(fixture(pool).await).await;
}
