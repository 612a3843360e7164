//! Module registry and SSO on the embedded store, on a real file. The signing keys need a
//! Secret Service: run under `scripts/lib/with-keyring.sh`.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[path = "common/mod.rs"]
mod common;
#[path = "apps_scenarios/mod.rs"]
mod scenarios;

use multipass_domain::IdentityId;
use multipass_store::OpenMode;
use multipass_store_sqlite::SqliteStore;
use scenarios::*;
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use std::sync::Arc;

struct Lite(SqlitePool);

#[async_trait::async_trait]
impl Backend for Lite {
    async fn make_admin(&self, username: &str) {
        let done = sqlx::query(
            "UPDATE identity_profiles SET role = 'admin' WHERE id = \
             (SELECT identity_id FROM multipass_credentials WHERE username = ?1)",
        )
        .bind(username)
        .execute(&self.0)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }

    async fn text_anywhere(&self, needle: &str) -> bool {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&self.0)
        .await
        .unwrap();
        assert!(tables.len() > 20, "{tables:?}");
        for table in tables {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
                .bind(&table)
                .fetch_all(&self.0)
                .await
                .unwrap();
            for column in columns {
                let sql = format!(
                    "SELECT count(*) FROM \"{table}\" WHERE instr(CAST(\"{column}\" AS TEXT), ?1) > 0"
                );
                let found: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                    .bind(needle)
                    .fetch_one(&self.0)
                    .await
                    .unwrap();
                if found > 0 {
                    return true;
                }
            }
        }
        false
    }

    async fn sso_rows(
        &self,
        identity: IdentityId,
    ) -> Vec<(String, String, String, String, Vec<String>)> {
        sqlx::query(
            "SELECT token_hash, kind, auth_method, audience, scopes FROM multipass_sessions \
             WHERE identity_id = ?1 AND kind = 'sso' ORDER BY created_at",
        )
        .bind(identity.as_uuid().hyphenated().to_string())
        .fetch_all(&self.0)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let scopes: String = r.get("scopes");
            (
                r.get("token_hash"),
                r.get("kind"),
                r.get("auth_method"),
                r.get("audience"),
                serde_json::from_str(&scopes).unwrap(),
            )
        })
        .collect()
    }
}

async fn fresh() -> (tempfile::TempDir, Arc<SqliteStore>, Lite) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"), OpenMode::Migrate)
        .await
        .unwrap();
    let pool = store.pool().clone();
    (dir, Arc::new(store), Lite(pool))
}

#[tokio::test]
async fn registry_admin_only_validation_and_edits() {
    let (_dir, store, lite) = fresh().await;
    registry_is_admin_only_validated_and_editable(store, &lite).await;
}

#[tokio::test]
async fn install_consent_revoke_uninstall() {
    let (_dir, store, lite) = fresh().await;
    install_consent_revoke_uninstall_and_events(store, &lite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_installs() {
    let (_dir, store, lite) = fresh().await;
    concurrent_installs_write_one_event(store, &lite).await;
}

#[tokio::test]
async fn sso_token_after_consent() {
    let (_dir, store, lite) = fresh().await;
    consent_then_token(store, &lite).await;
}

#[tokio::test]
async fn disabled_module() {
    let (_dir, store, lite) = fresh().await;
    disabling_stops_tokens(store, &lite).await;
}

#[tokio::test]
async fn key_rotation() {
    let (_dir, store, lite) = fresh().await;
    rotation_keeps_old_tokens_verifiable(store, &lite).await;
}

#[tokio::test]
async fn two_desktops_one_database() {
    let (_dir, store, lite) = fresh().await;
    desktops_sharing_a_store_publish_every_key(store, &lite).await;
}
