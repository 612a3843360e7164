//! The `multipass-softpass` binary: its command-line flags reach the behaviour they name.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use multipass_pass::ctaphid::frame::FrameError;
use multipass_pass::verify::VerifyError;
use multipass_pass::{Interaction, Pass, PassError, PassEvent, SignCount};
use support::{SoftPassProcess, enrol_request, quick, sign_in_request};

fn enrol_and_sign_in(pass: &SoftPassProcess) -> Result<SignCount, PassError> {
    let mut device = Pass::open_udp(pass.addr)?;
    let registration = device.make_credential(&enrol_request(1), None, &mut quick())?;
    let request = sign_in_request(2, &registration.credential_id);
    let assertion = device.get_assertion(&request, None, &mut quick())?;
    Ok(assertion
        .verify(&registration.public_key, &request, registration.sign_count)?
        .sign_count)
}

#[test]
fn fault_flags() {
    let busy = SoftPassProcess::start(&["--fault", "busy", "--busy-count", "2"]);
    assert!(matches!(
        enrol_and_sign_in(&busy),
        Ok(SignCount::Advanced { .. })
    ));
    let seq = SoftPassProcess::start(&["--fault", "bad-seq"]);
    assert!(matches!(
        enrol_and_sign_in(&seq),
        Err(PassError::Frame(FrameError::BadSequence { .. }))
    ));
    let sig = SoftPassProcess::start(&["--fault", "bad-signature"]);
    assert!(matches!(
        enrol_and_sign_in(&sig),
        Err(PassError::Verify(VerifyError::BadSignature))
    ));
    let count = SoftPassProcess::start(&["--fault", "sign-count-backwards"]);
    assert!(matches!(
        enrol_and_sign_in(&count),
        Ok(SignCount::PossiblyCloned { .. })
    ));
}

#[test]
fn manual_touch_by_datagram() {
    let pass = SoftPassProcess::start(&["--touch", "manual"]);
    let mut device = Pass::open_udp(pass.addr).unwrap();
    let addr = pass.addr;
    let mut interaction = quick().on_event(move |event| {
        if event == PassEvent::TouchNeeded {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            socket
                .send_to(multipass_softpass::TOUCH_DATAGRAM, addr)
                .unwrap();
        }
    });
    device
        .make_credential(&enrol_request(1), None, &mut interaction)
        .unwrap();
}

#[test]
fn touch_timeout_flag() {
    let pass = SoftPassProcess::start(&["--touch", "manual", "--touch-timeout", "0"]);
    let mut device = Pass::open_udp(pass.addr).unwrap();
    let err = device
        .make_credential(&enrol_request(1), None, &mut Interaction::default())
        .unwrap_err();
    assert!(matches!(err, PassError::Timeout), "{err:?}");
}

#[test]
fn bad_flags_are_refused_with_a_reason() {
    for (args, reason) in [
        (
            &["--touch", "sometimes"][..],
            "touch mode must be auto, manual or after:MILLISECONDS",
        ),
        (
            &["--pin-protocols", "3"][..],
            "PIN protocol 3 does not exist",
        ),
        (&["--fault", "gremlins"][..], "invalid value 'gremlins'"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_multipass-softpass"))
            .args([
                "--state",
                "/nonexistent/never-created.json",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
}
