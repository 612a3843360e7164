//! What the identity and pass scenarios need besides the store: raw SQL on the same
//! database (to make someone admin, to tamper with a row, to count rows) and a full dump
//! of what the database holds. Each backend provides them in its own way.

#![allow(dead_code)]

use crate::common::{ManualClock, TestApi, sign_up};
use futures::future::BoxFuture;
use multipass_api::{MultipassApi, SignInOutcome};
use multipass_store::{OpenMode, Store};
use multipass_store_postgres::migrator;
use multipass_store_sqlite::SqliteStore;
use sqlx::{AssertSqlSafe, PgPool, Row};
use std::path::PathBuf;
use std::sync::Arc;

type Exec = Arc<dyn Fn(String) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;
type Count = Arc<dyn Fn(String) -> BoxFuture<'static, i64> + Send + Sync>;
type Dump = Arc<dyn Fn() -> BoxFuture<'static, Vec<u8>> + Send + Sync>;

#[derive(Clone)]
pub struct Db {
    pub store: Arc<dyn Store>,
    exec: Exec,
    count: Count,
    dump: Dump,
}

impl Db {
    /// Runs one statement; the database's refusal comes back as its message.
    pub async fn exec(&self, sql: impl Into<String>) -> Result<(), String> {
        (self.exec)(sql.into()).await
    }

    /// `SELECT count(*) ...`
    pub async fn count(&self, sql: impl Into<String>) -> i64 {
        (self.count)(sql.into()).await
    }

    /// Every byte the database holds, as far as this backend can show it.
    pub async fn dump(&self) -> Vec<u8> {
        (self.dump)().await
    }

    /// The scenarios move the clock by hours to expire verifications and passes while the
    /// same sessions act, so the idle timeout (tested with the auth scenarios) is off here.
    pub fn api(&self, clock: Arc<ManualClock>) -> TestApi {
        let policies = multipass_api::Policies {
            session: multipass_domain::SessionPolicy {
                idle_timeout: None,
                ..Default::default()
            },
            ..Default::default()
        };
        TestApi::new(MultipassApi::new(self.store.clone(), policies, clock))
    }

    pub async fn make(&self, identity: &SignInOutcome, role: &str) {
        self.exec(format!(
            "UPDATE identity_profiles SET role = '{role}' WHERE id = '{}'",
            identity.signed_in.identity.id
        ))
        .await
        .unwrap();
    }
}

/// Signs up `name` and makes them `role`.
pub async fn member(db: &Db, api: &TestApi, name: &str, role: &str) -> SignInOutcome {
    let outcome = sign_up(api, name).await;
    if role != "user" {
        db.make(&outcome, role).await;
    }
    outcome
}

pub async fn postgres(pool: PgPool) -> Db {
    migrator().run(&pool).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(crate::common::runtime_store(&pool).await);
    let exec_pool = pool.clone();
    let count_pool = pool.clone();
    Db {
        store,
        exec: Arc::new(move |sql| {
            let pool = exec_pool.clone();
            Box::pin(async move {
                sqlx::query(AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        }),
        count: Arc::new(move |sql| {
            let pool = count_pool.clone();
            Box::pin(async move {
                sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            })
        }),
        dump: Arc::new(move || {
            let pool = pool.clone();
            Box::pin(async move {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                let mut all = Vec::new();
                for table in tables {
                    let row = sqlx::query(AssertSqlSafe(format!(
                        "SELECT coalesce(string_agg(t::text, ' '), '') AS rows FROM \"{table}\" t"
                    )))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                    all.extend(row.get::<String, _>("rows").into_bytes());
                }
                all
            })
        }),
    }
}

/// The store lives in `dir`; keep the guard alive for the test's duration.
pub async fn sqlite() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Arc::new(SqliteStore::open(&path, OpenMode::Migrate).await.unwrap());
    let exec_store = store.clone();
    let count_store = store.clone();
    let db = Db {
        store,
        exec: Arc::new(move |sql| {
            let store = exec_store.clone();
            Box::pin(async move {
                sqlx::query(AssertSqlSafe(sql))
                    .execute(store.pool())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        }),
        count: Arc::new(move |sql| {
            let store = count_store.clone();
            Box::pin(async move {
                sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
                    .fetch_one(store.pool())
                    .await
                    .unwrap()
            })
        }),
        // The file itself and its write-ahead log: whatever was written is in one of them.
        dump: Arc::new(move || {
            let path: PathBuf = path.clone();
            Box::pin(async move {
                let mut all = std::fs::read(&path).unwrap();
                let wal = path.with_extension("db-wal");
                if let Ok(bytes) = std::fs::read(wal) {
                    all.extend(bytes);
                }
                all
            })
        }),
    };
    (dir, db)
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
