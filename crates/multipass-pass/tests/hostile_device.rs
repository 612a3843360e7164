//! The host against a scripted device that misbehaves in every way CTAPHID allows: each
//! misbehaviour ends in its own error, within the time limit, without a panic.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::net::UdpSocket;
use std::time::Duration;

use multipass_pass::cbor::CborError;
use multipass_pass::ctaphid::frame::{
    FrameError, REPORT_LEN, Report, channel_of, command_of, fragment,
};
use multipass_pass::ctaphid::{CtapHid, HidError, Interaction, cmd};
use multipass_pass::transport::{Transport, TransportError, UdpTransport};
use multipass_pass::{Pass, PassError};

const CID: u32 = 0x0102_0304;

type Script = Box<dyn FnMut(&Report) -> Vec<Report> + Send>;

/// A device whose answers to each report come from a script.
struct Scripted {
    script: Script,
    queue: VecDeque<Report>,
    sent: Vec<Report>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripted")
            .field("queued", &self.queue.len())
            .finish()
    }
}

impl Transport for Scripted {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.sent.push(*report);
        let replies = (self.script)(report);
        self.queue.extend(replies);
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        match self.queue.pop_front() {
            Some(report) => Ok(Some(report)),
            None => {
                std::thread::sleep(timeout.min(Duration::from_millis(5)));
                Ok(None)
            }
        }
    }
}

fn init_reply(request: &Report) -> Vec<Report> {
    let mut data = request[7..15].to_vec();
    data.extend_from_slice(&CID.to_be_bytes());
    data.extend_from_slice(&[2, 1, 0, 0, 0x05]);
    fragment(channel_of(request), cmd::INIT, &data).unwrap()
}

/// A device that handles INIT properly and answers everything else with `answer`.
fn device(mut answer: impl FnMut(&Report) -> Vec<Report> + Send + 'static) -> CtapHid<Scripted> {
    let script: Script = Box::new(move |report| {
        if command_of(report) == Some(cmd::INIT) {
            init_reply(report)
        } else {
            answer(report)
        }
    });
    let transport = Scripted {
        script,
        queue: VecDeque::new(),
        sent: Vec::new(),
    };
    CtapHid::init(transport, [9; 8]).unwrap()
}

fn ping(hid: &mut CtapHid<Scripted>) -> PassError {
    hid.call(
        cmd::PING,
        b"x",
        &mut Interaction::new(Duration::from_millis(300)),
    )
    .unwrap_err()
}

#[test]
fn wrong_nonce() {
    let script: Script = Box::new(|report| {
        let mut replies = init_reply(report);
        replies[0][7] ^= 0xFF;
        replies
    });
    let err = CtapHid::init(
        Scripted {
            script,
            queue: VecDeque::new(),
            sent: Vec::new(),
        },
        [9; 8],
    )
    .unwrap_err();
    assert!(matches!(err, PassError::NonceMismatch), "{err:?}");
}

#[test]
fn another_applications_init_answer_is_skipped() {
    let mut answers = 0;
    let script: Script = Box::new(move |report| {
        answers += 1;
        let mut replies = init_reply(report);
        if answers == 1 {
            replies[0][7] ^= 0xFF;
        }
        replies
    });
    let transport = Scripted {
        script,
        queue: VecDeque::new(),
        sent: Vec::new(),
    };
    let hid = CtapHid::init(transport, [9; 8]).unwrap();
    assert_eq!(hid.info().channel, CID);
}

#[test]
fn answer_on_another_channel() {
    let mut hid = device(|_| fragment(0x0BAD, cmd::PING, b"x").unwrap());
    assert!(matches!(
        ping(&mut hid),
        PassError::Frame(FrameError::WrongChannel {
            expected: CID,
            got: 0x0BAD
        })
    ));
}

#[test]
fn oversize_length() {
    let mut hid = device(|_| {
        let mut report = fragment(CID, cmd::PING, b"x").unwrap()[0];
        report[5..7].copy_from_slice(&0xFFFFu16.to_be_bytes());
        vec![report]
    });
    assert!(matches!(
        ping(&mut hid),
        PassError::Frame(FrameError::TooLong { len: 0xFFFF })
    ));
}

#[test]
fn out_of_order_continuation() {
    let mut hid = device(|_| {
        let mut reports = fragment(CID, cmd::PING, &[1; 200]).unwrap();
        reports.swap(1, 2);
        reports
    });
    assert!(matches!(
        ping(&mut hid),
        PassError::Frame(FrameError::BadSequence {
            expected: 0,
            got: 1
        })
    ));
}

#[test]
fn unknown_keepalive_status() {
    let mut hid = device(|_| fragment(CID, cmd::KEEPALIVE, &[0x77]).unwrap());
    assert!(matches!(
        ping(&mut hid),
        PassError::BadKeepalive { status: Some(0x77) }
    ));
}

#[test]
fn answer_to_another_command() {
    let mut hid = device(|_| fragment(CID, cmd::WINK, &[]).unwrap());
    assert!(matches!(
        ping(&mut hid),
        PassError::UnexpectedCommand {
            expected: cmd::PING,
            got: cmd::WINK
        }
    ));
}

#[test]
fn every_error_code_is_named() {
    let cases = [
        (0x01, HidError::InvalidCommand),
        (0x02, HidError::InvalidParameter),
        (0x03, HidError::InvalidLength),
        (0x04, HidError::InvalidSequence),
        (0x05, HidError::MessageTimeout),
        (0x0A, HidError::LockRequired),
        (0x0B, HidError::InvalidChannel),
        (0x7F, HidError::Other),
        (0x42, HidError::Unknown(0x42)),
    ];
    for (code, expected) in cases {
        let mut hid = device(move |_| fragment(CID, cmd::ERROR, &[code]).unwrap());
        let err = ping(&mut hid);
        assert!(
            matches!(err, PassError::Device(e) if e == expected),
            "{code:#x}: {err:?}"
        );
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn silence_times_out_after_a_cancel() {
    let mut hid = device(|_| Vec::new());
    assert!(matches!(ping(&mut hid), PassError::Timeout));
    let last = hid.transport_mut().sent.last().copied().unwrap();
    assert_eq!(command_of(&last), Some(cmd::CANCEL));
    assert_eq!(channel_of(&last), CID);
}

#[test]
fn endless_keepalives_still_time_out() {
    let mut hid = device(|report| {
        if command_of(report) == Some(cmd::CANCEL) {
            return Vec::new();
        }
        (0..500)
            .map(|_| fragment(CID, cmd::KEEPALIVE, &[1]).unwrap()[0])
            .collect()
    });
    assert!(matches!(ping(&mut hid), PassError::Timeout));
}

#[test]
fn garbage_get_info_is_a_cbor_error() {
    let script: Script = Box::new(|report| {
        if command_of(report) == Some(cmd::INIT) {
            init_reply(report)
        } else {
            fragment(CID, cmd::CBOR, &[0x00, 0xA1, 0x01]).unwrap()
        }
    });
    let err = Pass::open(Box::new(Scripted {
        script,
        queue: VecDeque::new(),
        sent: Vec::new(),
    }))
    .unwrap_err();
    assert!(
        matches!(err, PassError::Cbor(CborError::Malformed { .. })),
        "{err:?}"
    );
}

#[test]
fn short_udp_datagram() {
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut transport = UdpTransport::connect(device.local_addr().unwrap()).unwrap();
    transport.send(&[0; REPORT_LEN]).unwrap();
    let mut buf = [0; 128];
    let (_, host) = device.recv_from(&mut buf).unwrap();
    device.send_to(&[1; 10], host).unwrap();
    let err = transport.recv(Duration::from_secs(5)).unwrap_err();
    assert!(
        matches!(err, TransportError::BadReportLength { len: 10 }),
        "{err:?}"
    );
    device.send_to(&[1; 100], host).unwrap();
    let err = transport.recv(Duration::from_secs(5)).unwrap_err();
    assert!(
        matches!(err, TransportError::BadReportLength { len: 65 }),
        "{err:?}"
    );
    assert!(transport.recv(Duration::from_millis(10)).unwrap().is_none());
}
