//! The software pass against malformed traffic and a second application, over raw UDP.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::UdpSocket;
use std::time::Duration;

use multipass_pass::ctaphid::frame::{
    BROADCAST_CID, REPORT_LEN, Report, channel_of, command_of, fragment,
};
use multipass_pass::ctaphid::{HidError, cmd};
use multipass_softpass::Touch;
use support::*;

struct RawHost {
    socket: UdpSocket,
}

impl RawHost {
    fn new(pass: &TestPass) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(pass.running.addr()).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Self { socket }
    }

    fn send(&self, report: &Report) {
        self.socket.send(report).unwrap();
    }

    fn recv(&self) -> Report {
        let mut report = [0u8; REPORT_LEN];
        assert_eq!(self.socket.recv(&mut report).unwrap(), REPORT_LEN);
        report
    }

    /// Allocates a channel with INIT.
    fn init(&self) -> u32 {
        self.send(&fragment(BROADCAST_CID, cmd::INIT, &[1; 8]).unwrap()[0]);
        let reply = self.recv();
        assert_eq!(command_of(&reply), Some(cmd::INIT));
        assert_eq!(&reply[7..15], &[1; 8]);
        u32::from_be_bytes([reply[15], reply[16], reply[17], reply[18]])
    }

    fn expect_error(&self, cid: u32, error: HidError) {
        let reply = self.recv();
        assert_eq!(
            (channel_of(&reply), command_of(&reply), reply[7]),
            (cid, Some(cmd::ERROR), error.code())
        );
    }
}

#[test]
fn malformed_traffic_gets_the_matching_ctaphid_error() {
    let pass = start(|_| {});
    let host = RawHost::new(&pass);
    let cid = host.init();

    // A channel nobody allocated.
    host.send(&fragment(cid + 100, cmd::PING, b"x").unwrap()[0]);
    host.expect_error(cid + 100, HidError::InvalidChannel);

    // A length over the CTAPHID maximum.
    let mut oversize = fragment(cid, cmd::PING, b"x").unwrap()[0];
    oversize[5..7].copy_from_slice(&0xFFFFu16.to_be_bytes());
    host.send(&oversize);
    host.expect_error(cid, HidError::InvalidLength);

    // Continuation packets out of order.
    let reports = fragment(cid, cmd::PING, &[2; 150]).unwrap();
    host.send(&reports[0]);
    host.send(&reports[2]);
    host.expect_error(cid, HidError::InvalidSequence);

    // An unknown command, and U2F messages this pass does not speak.
    host.send(&fragment(cid, 0x35, &[]).unwrap()[0]);
    host.expect_error(cid, HidError::InvalidCommand);
    host.send(&fragment(cid, cmd::MSG, &[0; 10]).unwrap()[0]);
    host.expect_error(cid, HidError::InvalidCommand);

    // After all that, the channel still works.
    for report in fragment(cid, cmd::PING, &[3; 150]).unwrap() {
        host.send(&report);
    }
    let first = host.recv();
    assert_eq!(
        (command_of(&first), &first[7..10]),
        (Some(cmd::PING), &[3u8, 3, 3][..])
    );
}

#[test]
fn a_second_application_is_told_the_pass_is_busy_during_a_touch_wait() {
    let pass = start(|c| c.touch = Touch::Manual);
    let first = RawHost::new(&pass);
    let second = RawHost::new(&pass);
    let cid = first.init();
    let other = second.init();
    let request = multipass_pass::ctap2::request(
        multipass_pass::ctap2::command::MAKE_CREDENTIAL,
        Some(&enrol_request(1).to_cbor(None)),
    )
    .unwrap();
    for report in fragment(cid, cmd::CBOR, &request).unwrap() {
        first.send(&report);
    }
    let keepalive = first.recv();
    assert_eq!(
        (command_of(&keepalive), keepalive[7]),
        (Some(cmd::KEEPALIVE), 0x02)
    );
    second.send(&fragment(other, cmd::PING, b"me too").unwrap()[0]);
    second.expect_error(other, HidError::ChannelBusy);
    pass.touch();
    loop {
        let reply = first.recv();
        if command_of(&reply) == Some(cmd::CBOR) {
            assert_eq!(reply[7], 0x00, "makeCredential status");
            break;
        }
        assert_eq!(command_of(&reply), Some(cmd::KEEPALIVE));
    }
}
