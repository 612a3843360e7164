//! Module registry and SSO on real PostgreSQL, a fresh database per test. Needs DATABASE_URL
//! and, for the signing keys, a Secret Service: run under `scripts/lib/with-keyring.sh`.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[path = "common/mod.rs"]
mod common;
#[path = "apps_scenarios/mod.rs"]
mod scenarios;

use multipass_domain::IdentityId;
use multipass_store_postgres::{PgStore, migrator};
use scenarios::*;
use sqlx::{AssertSqlSafe, PgPool, Row};
use std::sync::Arc;

struct Pg(PgPool);

#[async_trait::async_trait]
impl Backend for Pg {
    async fn make_admin(&self, username: &str) {
        let done = sqlx::query(
            "UPDATE identity_profiles SET role = 'admin' WHERE id = \
             (SELECT identity_id FROM multipass_credentials WHERE username = $1)",
        )
        .bind(username)
        .execute(&self.0)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }

    async fn text_anywhere(&self, needle: &str) -> bool {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&self.0)
        .await
        .unwrap();
        assert!(tables.len() > 20, "{tables:?}");
        for table in tables {
            // The whole row as text covers every column.
            let sql = format!("SELECT count(*) FROM \"{table}\" t WHERE strpos(t::text, $1) > 0");
            let found: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                .bind(needle)
                .fetch_one(&self.0)
                .await
                .unwrap();
            if found > 0 {
                return true;
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
             WHERE identity_id = $1 AND kind = 'sso' ORDER BY created_at",
        )
        .bind(identity.as_uuid())
        .fetch_all(&self.0)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get("token_hash"),
                r.get("kind"),
                r.get("auth_method"),
                r.get("audience"),
                r.get("scopes"),
            )
        })
        .collect()
    }
}

async fn migrated(pool: PgPool) -> (Arc<PgStore>, Pg) {
    migrator().run(&pool).await.unwrap();
    (Arc::new(common::runtime_store(&pool).await), Pg(pool))
}

#[sqlx::test(migrations = false)]
async fn registry_admin_only_validation_and_edits(pool: PgPool) {
    let (store, pg) = migrated(pool).await;
    registry_is_admin_only_validated_and_editable(store, &pg).await;
}

#[sqlx::test(migrations = false)]
async fn install_consent_revoke_uninstall(pool: PgPool) {
    let (store, pg) = migrated(pool).await;
    install_consent_revoke_uninstall_and_events(store, &pg).await;
}

#[sqlx::test(migrations = false)]
async fn concurrent_installs(pool: PgPool) {
    let (store, pg) = migrated(pool).await;
    concurrent_installs_write_one_event(store, &pg).await;
}

#[sqlx::test(migrations = false)]
async fn sso_token_after_consent(pool: PgPool) {
    let (store, pg) = migrated(pool).await;
    consent_then_token(store, &pg).await;
}

#[sqlx::test(migrations = false)]
async fn disabled_module(pool: PgPool) {
    let (store, pg) = migrated(pool).await;
    disabling_stops_tokens(store, &pg).await;
}

#[sqlx::test(migrations = false)]
async fn key_rotation(pool: PgPool) {
    let (store, pg) = migrated(pool).await;
    rotation_keeps_old_tokens_verifiable(store, &pg).await;
}

#[sqlx::test(migrations = false)]
async fn two_desktops_one_database(pool: PgPool) {
    let (store, pg) = migrated(pool).await;
    desktops_sharing_a_store_publish_every_key(store, &pg).await;
}

#[sqlx::test(migrations = false)]
async fn server_instances_share_one_sealed_key_set_postgres(pool: PgPool) {
    let (store, pg) = migrated(pool).await;
    server_instances_share_one_sealed_key_set(store, &pg).await;
}
