//! The OS keyring for real: on Linux the Secret Service, which the test runner provides
//! with `dbus-run-session` and an unlocked `gnome-keyring-daemon`.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

use multipass_api::vault::{KeyringVault, SecretVault};

#[test]
fn secrets_round_trip_through_the_keyring_and_can_be_deleted() {
    let vault = KeyringVault::new(format!("multipass-test-{}", uuid::Uuid::new_v4()));
    assert!(vault.get("wallet:a").unwrap().is_none());
    vault.put("wallet:a", &[0, 1, 2, 255]).unwrap();
    vault.put("wallet:b", b"other").unwrap();
    assert_eq!(
        vault.get("wallet:a").unwrap().unwrap().as_slice(),
        &[0, 1, 2, 255]
    );
    vault.put("wallet:a", b"replaced").unwrap();
    assert_eq!(
        vault.get("wallet:a").unwrap().unwrap().as_slice(),
        b"replaced"
    );
    vault.delete("wallet:a").unwrap();
    assert!(vault.get("wallet:a").unwrap().is_none());
    vault.delete("wallet:a").unwrap();
    assert_eq!(vault.get("wallet:b").unwrap().unwrap().as_slice(), b"other");
    vault.delete("wallet:b").unwrap();
}
