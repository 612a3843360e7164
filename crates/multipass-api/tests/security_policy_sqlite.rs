//! A standalone desktop is its own authority: its settings set the security policy, which
//! the policy operations show but cannot change.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;

use common::*;
use multipass_api::{ErrorCode, MultipassApi, Policies};
use multipass_domain::LockoutPolicy;
use multipass_domain::policy::SecurityPolicy;
use multipass_store::OpenMode;
use multipass_store_sqlite::SqliteStore;
use std::sync::Arc;

#[tokio::test]
async fn the_embedded_store_shows_its_settings_policy_and_changes_it_only_there() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"), OpenMode::Migrate)
        .await
        .unwrap();
    let policies = Policies {
        lockout: LockoutPolicy {
            max_failed_attempts: 3,
            ..LockoutPolicy::default()
        },
        ..Policies::default()
    };
    let api = MultipassApi::new(Arc::new(store), policies, ManualClock::new())
        .with_database_authority()
        .await
        .unwrap();
    let api = TestApi::new(api);
    let root = sign_up(&api, "root").await;
    api.bootstrap_admin(&root.token).await.unwrap();

    let shown = api.security_policy(&root.token).await.unwrap();
    assert_eq!(shown.source, "settings");
    assert_eq!(shown.policy.max_failed_sign_ins, 3);
    let refused = api
        .update_security_policy(&root.token, SecurityPolicy::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidState);
}
