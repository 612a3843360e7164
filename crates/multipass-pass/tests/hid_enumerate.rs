//! hidapi enumeration against whatever this machine has (CI machines have no FIDO keys).
#![allow(clippy::unwrap_used)]

use multipass_pass::transport::{HidTransport, TransportError};
use multipass_pass::{Pass, PassError, enumerate};

#[test]
fn enumeration_lists_only_openable_fido_paths() {
    let passes = enumerate().unwrap();
    for pass in &passes {
        assert!(!pass.path.is_empty(), "{pass:?}");
    }
    // Listing twice gives the same passes, one entry per path.
    let mut paths: Vec<_> = passes.iter().map(|p| p.path.clone()).collect();
    paths.dedup();
    assert_eq!(paths.len(), passes.len());
    assert_eq!(enumerate().unwrap(), passes);
}

#[test]
fn a_path_that_is_not_a_pass_is_refused() {
    let err = HidTransport::open("/dev/null").unwrap_err();
    assert!(
        matches!(err, TransportError::NotAPass { ref path } if path == "/dev/null"),
        "{err:?}"
    );
    assert!(matches!(
        Pass::open_hid("/dev/null"),
        Err(PassError::Transport(TransportError::NotAPass { .. }))
    ));
}
