//! The protocol crate against the software pass over real UDP: enrolment and sign-in with
//! and without a PIN, touches, timeouts, cancellation and every injected fault.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use multipass_pass::cose::{ALG_EDDSA, ALG_ES256};
use multipass_pass::ctap2::status::{self, Ctap2Status};
use multipass_pass::ctaphid::frame::FrameError;
use multipass_pass::verify::VerifyError;
use multipass_pass::{
    Attestation, Interaction, PassError, PassEvent, Registration, SignCount, VerifiedAssertion,
};
use multipass_softpass::authenticator::{AAGUID, VENDOR_NAME};
use multipass_softpass::{Faults, Touch};
use support::*;

#[test]
fn enrols_and_signs_in_without_pin() {
    let pass = start(|_| {});
    let mut device = pass.open();
    assert_eq!(device.info().vendor_name.as_deref(), Some(VENDOR_NAME));
    assert_eq!(device.info().aaguid, AAGUID);
    assert_eq!(device.info().client_pin(), Some(false));
    device.wink().unwrap();
    device.ping(&[7; 300]).unwrap();

    let registration = device
        .make_credential(&enrol_request(1), None, &mut quick())
        .unwrap();
    assert_eq!(registration.attestation, Attestation::SelfAttested);
    assert_eq!(registration.public_key.algorithm(), ALG_ES256);
    assert_eq!(registration.aaguid, AAGUID);
    assert!(!registration.user_verified);

    let mut stored = registration.sign_count;
    for seed in [2, 3] {
        let request = sign_in_request(seed, &registration.credential_id);
        let assertion = device.get_assertion(&request, None, &mut quick()).unwrap();
        assert_eq!(assertion.credential_id, registration.credential_id);
        let verified = assertion
            .verify(&registration.public_key, &request, stored)
            .unwrap();
        let SignCount::Advanced { count } = verified.sign_count else {
            panic!("{verified:?}")
        };
        stored = count;
        // The signature covers the client data hash: another challenge must not verify.
        let mut other = request.clone();
        other.client_data_hash[0] ^= 1;
        assert!(matches!(
            assertion.verify(&registration.public_key, &other, 0),
            Err(PassError::Verify(VerifyError::BadSignature))
        ));
    }
}

#[test]
fn eddsa_when_asked_and_unknown_credentials_refused() {
    let pass = start(|_| {});
    let mut device = pass.open();
    let mut request = enrol_request(1);
    request.algorithms = vec![ALG_EDDSA];
    let registration = device
        .make_credential(&request, None, &mut quick())
        .unwrap();
    assert_eq!(registration.public_key.algorithm(), ALG_EDDSA);
    let sign_in = sign_in_request(2, &registration.credential_id);
    let assertion = device.get_assertion(&sign_in, None, &mut quick()).unwrap();
    assertion
        .verify(&registration.public_key, &sign_in, 0)
        .unwrap();

    // A credential made for one relying party is unknown to another.
    let mut elsewhere = sign_in.clone();
    elsewhere.rp_id = "other.example".into();
    assert!(matches!(
        device.get_assertion(&elsewhere, None, &mut quick()),
        Err(PassError::Status(Ctap2Status(status::NO_CREDENTIALS)))
    ));
    // Enrolling the same pass twice for an account is refused.
    request.exclude = vec![registration.credential_id.clone()];
    assert!(matches!(
        device.make_credential(&request, None, &mut quick()),
        Err(PassError::Status(Ctap2Status(status::CREDENTIAL_EXCLUDED)))
    ));
}

#[test]
fn credentials_survive_a_restart_of_the_pass() {
    let dir = tempfile::tempdir().unwrap();
    let first = multipass_softpass::spawn(config(&dir)).unwrap();
    let mut device = multipass_pass::Pass::open_udp(first.addr()).unwrap();
    let registration = device
        .make_credential(&enrol_request(1), None, &mut quick())
        .unwrap();
    drop(first);
    let second = multipass_softpass::spawn(config(&dir)).unwrap();
    let mut device = multipass_pass::Pass::open_udp(second.addr()).unwrap();
    let request = sign_in_request(5, &registration.credential_id);
    let assertion = device.get_assertion(&request, None, &mut quick()).unwrap();
    let verified = assertion
        .verify(&registration.public_key, &request, registration.sign_count)
        .unwrap();
    assert!(matches!(verified.sign_count, SignCount::Advanced { .. }));
}

fn pin_flow(protocols: Vec<u64>) {
    let pass = start(|c| {
        c.pin = Some("4321".into());
        c.pin_protocols = protocols;
    });
    let mut device = pass.open();
    assert_eq!(device.info().client_pin(), Some(true));
    assert_eq!(device.pin_retries().unwrap(), 8);

    assert!(matches!(
        device.make_credential(&enrol_request(1), None, &mut quick()),
        Err(PassError::PinRequired)
    ));
    let wrong = device
        .make_credential(&enrol_request(1), Some("0000"), &mut quick())
        .unwrap_err();
    assert!(
        matches!(
            wrong,
            PassError::WrongPin {
                retries_left: Some(7)
            }
        ),
        "{wrong:?}"
    );
    assert_eq!(wrong.to_string(), "the PIN is wrong; 7 attempts left");

    let registration = device
        .make_credential(&enrol_request(1), Some("4321"), &mut quick())
        .unwrap();
    assert!(registration.user_verified);
    assert_eq!(device.pin_retries().unwrap(), 8);

    let request = sign_in_request(2, &registration.credential_id);
    let assertion = device
        .get_assertion(&request, Some("4321"), &mut quick())
        .unwrap();
    let verified = assertion
        .verify(&registration.public_key, &request, registration.sign_count)
        .unwrap();
    assert!(verified.user_verified);
}

#[test]
fn pin_protocol_two() {
    pin_flow(vec![2, 1]);
}

#[test]
fn pin_protocol_one_like_a_ctap20_key() {
    pin_flow(vec![1]);
}

#[test]
fn three_wrong_pins_in_a_row_block_until_restart() {
    let pass = start(|c| c.pin = Some("4321".into()));
    let mut device = pass.open();
    for left in [7, 6] {
        let err = device
            .make_credential(&enrol_request(1), Some("1111"), &mut quick())
            .unwrap_err();
        assert!(
            matches!(err, PassError::WrongPin { retries_left: Some(n) } if n == left),
            "{err:?}"
        );
    }
    let err = device
        .make_credential(&enrol_request(1), Some("1111"), &mut quick())
        .unwrap_err();
    assert!(matches!(err, PassError::PinAuthBlocked), "{err:?}");
    let err = device
        .make_credential(&enrol_request(1), Some("4321"), &mut quick())
        .unwrap_err();
    assert!(matches!(err, PassError::PinAuthBlocked), "{err:?}");
}

#[test]
fn pin_given_to_a_pass_without_pin() {
    let pass = start(|_| {});
    let mut device = pass.open();
    assert!(matches!(
        device.make_credential(&enrol_request(1), Some("1234"), &mut quick()),
        Err(PassError::PinNotSet)
    ));
}

#[test]
fn touch_needed_is_reported_and_a_touch_completes() {
    let pass = start(|c| c.touch = Touch::Manual);
    let mut device = pass.open();
    let events = Mutex::new(Vec::new());
    let mut interaction = Interaction::new(Duration::from_secs(10)).on_event(|event| {
        events.lock().unwrap().push(event);
        if event == PassEvent::TouchNeeded {
            pass.touch();
        }
    });
    let registration = device
        .make_credential(&enrol_request(1), None, &mut interaction)
        .unwrap();
    drop(interaction);
    assert_eq!(events.into_inner().unwrap(), vec![PassEvent::TouchNeeded]);
    assert_eq!(PassEvent::TouchNeeded.to_string(), "Touch your pass");
    assert_eq!(registration.attestation, Attestation::SelfAttested);
}

#[test]
fn delayed_touch_keeps_the_host_waiting() {
    let pass = start(|c| c.touch = Touch::After(Duration::from_millis(350)));
    let mut device = pass.open();
    let events = Mutex::new(Vec::new());
    let mut interaction = quick().on_event(|e| events.lock().unwrap().push(e));
    device
        .make_credential(&enrol_request(1), None, &mut interaction)
        .unwrap();
    drop(interaction);
    // Repeated UPNEEDED keepalives reach the caller once.
    assert_eq!(events.into_inner().unwrap(), vec![PassEvent::TouchNeeded]);
}

#[test]
fn no_touch_times_out_with_cancel_and_the_pass_stays_usable() {
    let pass = start(|c| c.touch = Touch::Manual);
    let mut device = pass.open();
    let err = device
        .make_credential(
            &enrol_request(1),
            None,
            &mut Interaction::new(Duration::from_millis(400)),
        )
        .unwrap_err();
    assert!(matches!(err, PassError::Timeout), "{err:?}");
    device.ping(b"still there").unwrap();
}

#[test]
fn caller_abort_sends_cancel() {
    let pass = start(|c| c.touch = Touch::Manual);
    let mut device = pass.open();
    let abort = AtomicBool::new(false);
    let mut interaction = quick().cancel_with(&abort).on_event(|e| {
        if e == PassEvent::TouchNeeded {
            abort.store(true, Ordering::SeqCst);
        }
    });
    let err = device
        .make_credential(&enrol_request(1), None, &mut interaction)
        .unwrap_err();
    assert!(matches!(err, PassError::Cancelled), "{err:?}");
    drop(interaction);
    device.ping(b"again").unwrap();
}

#[test]
fn busy_channel_is_retried() {
    let pass = start(|c| {
        c.faults = Faults {
            busy: 3,
            ..Faults::default()
        }
    });
    // Opening already sends getInfo, which meets the busy answers and retries through them.
    let mut device = pass.open();
    device
        .make_credential(&enrol_request(1), None, &mut quick())
        .unwrap();
}

#[test]
fn busy_for_ever_gives_a_clear_error() {
    let pass = start(|c| {
        c.faults = Faults {
            busy: u32::MAX,
            ..Faults::default()
        }
    });
    let err = multipass_pass::Pass::open_udp(pass.running.addr()).unwrap_err();
    assert!(
        matches!(
            err,
            PassError::Device(multipass_pass::ctaphid::HidError::ChannelBusy)
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "the pass is busy with another application");
}

#[test]
fn bad_sequence_numbers_are_caught() {
    let pass = start(|c| {
        c.faults = Faults {
            bad_seq: true,
            ..Faults::default()
        }
    });
    let err = multipass_pass::Pass::open_udp(pass.running.addr()).unwrap_err();
    assert!(
        matches!(
            err,
            PassError::Frame(FrameError::BadSequence {
                expected: 0,
                got: 5
            })
        ),
        "{err:?}"
    );
}

/// Enrols on a pass with `faults`, signs in once and verifies against the enrolment.
fn sign_in_with_faults(faults: Faults) -> (Registration, Result<VerifiedAssertion, PassError>) {
    let pass = start(|c| c.faults = faults);
    let mut device = pass.open();
    let registration = device
        .make_credential(&enrol_request(1), None, &mut quick())
        .unwrap();
    let request = sign_in_request(2, &registration.credential_id);
    let assertion = device.get_assertion(&request, None, &mut quick()).unwrap();
    let verified = assertion.verify(&registration.public_key, &request, registration.sign_count);
    (registration, verified)
}

#[test]
fn bad_signature_is_caught() {
    let (_, verified) = sign_in_with_faults(Faults {
        bad_signature: true,
        ..Faults::default()
    });
    assert!(
        matches!(verified, Err(PassError::Verify(VerifyError::BadSignature))),
        "{verified:?}"
    );
}

#[test]
fn sign_count_going_backwards_means_possibly_cloned() {
    let (registration, verified) = sign_in_with_faults(Faults {
        sign_count_backwards: true,
        ..Faults::default()
    });
    assert_eq!(
        verified.unwrap().sign_count,
        SignCount::PossiblyCloned {
            stored: registration.sign_count,
            received: registration.sign_count - 1
        }
    );
}
