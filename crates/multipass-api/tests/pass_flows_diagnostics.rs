//! The USB diagnostics run against whatever this machine has (often no pass at all).

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

use multipass_api::pass_ceremony::DeviceRef;
use multipass_api::{MultipassApi, Policies, SystemClock};
use multipass_store::{OpenMode, Store};
use multipass_store_sqlite::SqliteStore;
use std::sync::Arc;

#[tokio::test]
async fn hid_enumeration_reports_what_the_machine_has() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("store.db"), OpenMode::Migrate)
            .await
            .unwrap(),
    );
    let api = MultipassApi::new(store, Policies::default(), Arc::new(SystemClock));
    let diagnostics = api.pass_diagnostics().await.unwrap();
    assert_eq!(diagnostics.os, std::env::consts::OS);
    assert_eq!(diagnostics.rp_id, "multipass.local");
    assert_eq!(diagnostics.software_pass, None);
    for device in &diagnostics.devices {
        assert_eq!(
            device.is_fido_pass,
            device.usage_page == "f1d0" && device.usage == "0001",
            "{device:?}"
        );
        assert_eq!(device.can_open, device.problem.is_none(), "{device:?}");
    }
    // Without a software pass configured, the listing holds only USB passes, and asking
    // for the software pass is a clear refusal.
    let connected = api.connected_passes().await.unwrap();
    assert!(connected.iter().all(|c| c.device != DeviceRef::Software));
    let fido = diagnostics
        .devices
        .iter()
        .filter(|d| d.is_fido_pass)
        .count();
    assert!(connected.len() <= fido.max(connected.len()));
    let err = api.wink_pass(DeviceRef::Software).await.unwrap_err();
    assert_eq!(err.field.as_deref(), Some("device"), "{}", err.message);
}
