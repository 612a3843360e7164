//! Reports read offline: kept in the local cache while on PostgreSQL (a fresh database per
//! test, needs DATABASE_URL), then read with that database gone; and the same calls on the
//! embedded store.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;

use chrono::Duration;
use common::{ManualClock, PASSWORD, sign_up};
use multipass_api::reports::{OfflineReports, ReportSource, RunReportRequest};
use multipass_api::{ErrorCode, MultipassApi, Policies, Settings};
use multipass_domain::SessionToken;
use multipass_store::{OpenMode, ReportCache};
use multipass_store_postgres::migrator;
use multipass_store_sqlite::SqliteReportCache;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Online {
    api: MultipassApi,
    pool: PgPool,
    /// The store's own pool (the runtime login), closed with `pool` when the database goes.
    runtime: PgPool,
    clock: Arc<ManualClock>,
    cache_path: PathBuf,
    _dir: tempfile::TempDir,
}

/// An API on a fresh PostgreSQL database that copies reports into a cache in a temp folder.
async fn online(pool: PgPool) -> Online {
    migrator().run(&pool).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache_path = dir.path().join("report-cache.db");
    let cache = SqliteReportCache::open(&cache_path, OpenMode::Migrate)
        .await
        .unwrap();
    let clock = ManualClock::new();
    let store = common::runtime_store(&pool).await;
    let runtime = store.pool().clone();
    let api = MultipassApi::new(Arc::new(store), Policies::default(), clock.clone())
        .with_report_cache(Arc::new(cache));
    api.install_builtin_reports().await.unwrap();
    Online {
        api,
        pool,
        runtime,
        clock,
        cache_path,
        _dir: dir,
    }
}

/// The offline reader over the cache file, opened afresh as the CLI does.
async fn offline(at: &Online) -> OfflineReports {
    let cache = SqliteReportCache::open(&at.cache_path, OpenMode::Inspect)
        .await
        .unwrap();
    OfflineReports::Cache {
        cache: Arc::new(cache),
        clock: at.clock.clone(),
    }
}

async fn run(api: &MultipassApi, token: &SessionToken, format: &str) -> uuid::Uuid {
    api.run_report(
        token,
        RunReportRequest {
            definition: "BalanceSheet".into(),
            parameters: BTreeMap::new(),
            format: Some(format.into()),
        },
    )
    .await
    .unwrap()
    .id
}

async fn seed_wallet(pool: &PgPool, owner: &str, total: i64) {
    let wallet = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO wallet_accounts (id, identity_id, name) VALUES ($1, $2::uuid, 'Main')",
    )
    .bind(wallet)
    .bind(owner)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO wallet_balances (id, wallet_id, asset_type, total, locked) VALUES ($1, $2, 'MPC', $3, 0)",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(wallet)
    .bind(total)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_report_opens_offline_with_the_database_gone(pool: PgPool) {
    let at = online(pool).await;
    let ada = sign_up(&at.api, "ada").await;
    seed_wallet(&at.pool, &ada.signed_in.identity.id, 1234).await;
    let csv = run(&at.api, &ada.token, "csv").await;
    at.clock.advance(Duration::seconds(1));
    let pdf = run(&at.api, &ada.token, "pdf").await;
    let online_csv = at.api.open_report(&ada.token, csv).await.unwrap();
    let online_pdf = at.api.open_report(&ada.token, pdf).await.unwrap();
    assert!(String::from_utf8_lossy(&online_csv.bytes).contains("1234"));

    at.pool.close().await;
    at.runtime.close().await;
    // Online reads fail plainly, and say where the copies are.
    for err in [
        at.api.my_reports(&ada.token, None).await.unwrap_err(),
        at.api.open_report(&ada.token, csv).await.unwrap_err(),
    ] {
        assert_eq!(err.code, ErrorCode::Unavailable, "{err:?}");
        assert!(err.message.contains("--offline"), "{}", err.message);
    }

    let reader = offline(&at).await;
    let listed = reader.list(&ada.token, None).await.unwrap();
    assert_eq!(
        listed.iter().map(|r| r.report.id).collect::<Vec<_>>(),
        [pdf, csv]
    );
    assert!(listed.iter().all(|r| r.source == ReportSource::OfflineCopy));
    assert!(listed.iter().all(|r| r.cached_at.is_some()));
    let json = serde_json::to_value(&listed[1]).unwrap();
    assert_eq!(json["source"], "offline_copy");
    assert_eq!(json["definitionName"], "BalanceSheet");
    assert_eq!(json["rowCount"], 1);

    for (id, online) in [(csv, &online_csv), (pdf, &online_pdf)] {
        let copy = reader.open_report(&ada.token, id).await.unwrap();
        assert_eq!(copy.bytes, online.bytes);
        assert_eq!(copy.report.report.result_hash, online.report.result_hash);
        assert_eq!(copy.report.report.parameters, online.report.parameters);
    }
    let file = at._dir.path().join("sheet.pdf");
    let exported = reader.export_report(&ada.token, pdf, &file).await.unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), online_pdf.bytes);
    assert_eq!(exported.source, ReportSource::OfflineCopy);
    assert_eq!(
        Some(exported.exported.result_hash),
        online_pdf.report.result_hash
    );
}

/// The settings path: a PostgreSQL that does not answer, and the cache the settings name.
#[sqlx::test(migrations = false)]
async fn settings_with_an_unreachable_server_still_read_the_cache(pool: PgPool) {
    let at = online(pool).await;
    let ada = sign_up(&at.api, "ada").await;
    let id = run(&at.api, &ada.token, "json").await;
    let vars: BTreeMap<String, String> = [
        // Port 1 on loopback: nothing listens there.
        (
            "DATABASE_URL",
            "postgresql://nobody@127.0.0.1:1/enterprise_db",
        ),
        ("MULTIPASS_REPORT_CACHE", at.cache_path.to_str().unwrap()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = Settings::from_sources(&vars, None, None).unwrap();
    assert_eq!(
        MultipassApi::open(&settings).await.unwrap_err().code,
        ErrorCode::Unavailable
    );
    let reader = OfflineReports::open(&settings).await.unwrap();
    let copy = reader.open_report(&ada.token, id).await.unwrap();
    assert_eq!(copy.report.source, ReportSource::OfflineCopy);
}

#[sqlx::test(migrations = false)]
async fn another_persons_copies_are_neither_listed_nor_opened(pool: PgPool) {
    let at = online(pool).await;
    let ada = sign_up(&at.api, "ada").await;
    let grace = sign_up(&at.api, "grace").await;
    let adas = run(&at.api, &ada.token, "json").await;
    let graces = run(&at.api, &grace.token, "csv").await;
    // An admin opening ada's report keeps no copy of it for the admin.
    sqlx::query("UPDATE identity_profiles SET role = 'admin' WHERE id = $1::uuid")
        .bind(&grace.signed_in.identity.id)
        .execute(&at.pool)
        .await
        .unwrap();
    at.api.open_report(&grace.token, adas).await.unwrap();
    at.pool.close().await;
    at.runtime.close().await;

    let reader = offline(&at).await;
    let listed = reader.list(&grace.token, None).await.unwrap();
    assert_eq!(
        listed.iter().map(|r| r.report.id).collect::<Vec<_>>(),
        [graces]
    );
    let err = reader.open_report(&grace.token, adas).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    assert_eq!(
        reader.list(&ada.token, None).await.unwrap()[0].report.id,
        adas
    );

    // A token this computer never saw accepted opens nothing.
    let stranger = SessionToken::from_presented("not-a-session-of-anyone".into());
    let err = reader.list(&stranger, None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthenticated, "{err:?}");

    // Nor does a session past its end.
    at.clock.advance(Duration::hours(13));
    let err = reader.open_report(&ada.token, adas).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthenticated, "{err:?}");
}

#[sqlx::test(migrations = false)]
async fn tampered_copies_are_refused(pool: PgPool) {
    let at = online(pool).await;
    let ada = sign_up(&at.api, "ada").await;
    let id = run(&at.api, &ada.token, "csv").await;
    let cache = SqliteReportCache::open(&at.cache_path, OpenMode::Inspect)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE cached_reports SET result = CAST('wallet,total\r\nMain,999999\r\n' AS BLOB)",
    )
    .execute(cache.pool())
    .await
    .unwrap();

    let reader = offline(&at).await;
    let err = reader.open_report(&ada.token, id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal, "{err:?}");
    assert!(err.message.contains("hash"), "{}", err.message);
    let file = at._dir.path().join("sheet.csv");
    assert!(reader.export_report(&ada.token, id, &file).await.is_err());
    assert!(!file.exists());

    // Opening it online again replaces the copy.
    at.api.open_report(&ada.token, id).await.unwrap();
    assert!(reader.open_report(&ada.token, id).await.is_ok());
    let kept = cache.cached_reports(
        multipass_domain::IdentityId::from_uuid(ada.signed_in.identity.id.parse().unwrap()),
        10,
    );
    assert_eq!(kept.await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_embedded_store_reads_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("multipass.db");
    let file = format!("[store]\npath = {:?}\n", store_path.to_str().unwrap());
    let settings = Settings::from_sources(
        &BTreeMap::new(),
        Some((Path::new("settings.toml"), &file)),
        None,
    )
    .unwrap();
    let api = MultipassApi::open(&settings).await.unwrap();
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;
    let id = run(&api, &ada.token, "json").await;
    let online = api.open_report(&ada.token, id).await.unwrap();

    let reader = OfflineReports::open(&settings).await.unwrap();
    let listed = reader.list(&ada.token, None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].source, ReportSource::LocalStore);
    assert_eq!(listed[0].cached_at, None);
    let opened = reader.open_report(&ada.token, id).await.unwrap();
    assert_eq!(opened.bytes, online.bytes);
    assert!(reader.list(&grace.token, None).await.unwrap().is_empty());
    assert_eq!(
        reader.open_report(&grace.token, id).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    // The embedded store is local already: no cache file is made beside it.
    assert!(!dir.path().join("report-cache.db").exists());
    let _ = PASSWORD;
}
