//! CTAPHID over UDP, one report per datagram: how software passes (the SoloKeys simulator,
//! the Trezor emulator, `multipass-softpass`) are reached.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use super::{Transport, TransportError};
use crate::ctaphid::frame::{REPORT_LEN, Report};

#[derive(Debug)]
pub struct UdpTransport {
    socket: UdpSocket,
    peer: SocketAddr,
}

impl UdpTransport {
    /// Binds an ephemeral local port and sends to `peer`; only datagrams from `peer` are read.
    pub fn connect(peer: SocketAddr) -> Result<Self, TransportError> {
        let local: SocketAddr = if peer.is_ipv4() {
            (Ipv4Addr::LOCALHOST, 0).into()
        } else {
            (Ipv6Addr::LOCALHOST, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(peer)?;
        Ok(Self { socket, peer })
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }
}

impl Transport for UdpTransport {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        let written = self.socket.send(report)?;
        if written != REPORT_LEN {
            return Err(TransportError::ShortWrite {
                written,
                expected: REPORT_LEN,
            });
        }
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        // A zero timeout means "block forever" to the OS, which is never what a caller means.
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        // One byte more than a report, so an oversize datagram is seen rather than truncated.
        let mut buf = [0u8; REPORT_LEN + 1];
        match self.socket.recv(&mut buf) {
            Ok(REPORT_LEN) => {
                let mut report = [0u8; REPORT_LEN];
                report.copy_from_slice(&buf[..REPORT_LEN]);
                Ok(Some(report))
            }
            Ok(len) => Err(TransportError::BadReportLength { len }),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
