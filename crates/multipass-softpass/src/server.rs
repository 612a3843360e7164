//! CTAPHID over UDP: one 64-byte report per datagram, answers go to the sender.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use multipass_pass::ctaphid::frame::{
    self, BROADCAST_CID, FrameError, REPORT_LEN, Reassembler, Report, channel_of, command_of,
    is_init,
};
use multipass_pass::ctaphid::{HidError, capability, cmd, keepalive};

use crate::authenticator::{Authenticator, Presence};
use crate::config::{Config, TOUCH_DATAGRAM, Touch};

const POLL: Duration = Duration::from_millis(100);
const KEEPALIVE_EVERY: Duration = Duration::from_millis(100);
/// A message whose continuation packets stop coming is dropped after this long.
const MESSAGE_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub struct Server {
    socket: UdpSocket,
    authenticator: Authenticator,
    config: Config,
    reassembler: Reassembler,
    started: Instant,
    /// Channels 1..next_cid have been handed out.
    next_cid: u32,
    busy_left: u32,
}

fn send(socket: &UdpSocket, peer: SocketAddr, report: &Report) {
    if let Err(e) = socket.send_to(report, peer) {
        tracing::warn!("cannot answer {peer}: {e}");
    }
}

fn send_error(socket: &UdpSocket, peer: SocketAddr, cid: u32, error: HidError) {
    if let Ok(reports) = frame::fragment(cid, cmd::ERROR, &[error.code()]) {
        reports.iter().for_each(|r| send(socket, peer, r));
    }
}

impl Server {
    pub fn new(config: Config) -> Result<Self, crate::SoftPassError> {
        let socket = UdpSocket::bind(config.listen)?;
        socket.set_read_timeout(Some(POLL))?;
        let authenticator = Authenticator::new(&config)?;
        Ok(Self {
            socket,
            authenticator,
            busy_left: config.faults.busy,
            config,
            reassembler: Reassembler::any_channel(),
            started: Instant::now(),
            next_cid: 1,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Serves until `stop` is set.
    pub fn run(&mut self, stop: &AtomicBool) {
        let mut buf = [0u8; REPORT_LEN + 1];
        while !stop.load(Ordering::SeqCst) {
            self.expire_partial();
            match self.socket.recv_from(&mut buf) {
                Ok((REPORT_LEN, peer)) => {
                    let mut report = [0u8; REPORT_LEN];
                    report.copy_from_slice(&buf[..REPORT_LEN]);
                    self.on_report(&report, peer);
                }
                Ok((len, peer)) => tracing::debug!("ignoring a {len}-byte datagram from {peer}"),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => tracing::warn!("receive failed: {e}"),
            }
        }
    }

    fn expire_partial(&mut self) {
        if let Some(cid) = self.reassembler.current_channel()
            && self.started.elapsed() > MESSAGE_TIMEOUT
        {
            self.reassembler.reset();
            tracing::debug!("message on {cid:#x} timed out");
        }
    }

    fn allocated(&self, cid: u32) -> bool {
        cid != 0 && cid < self.next_cid
    }

    fn on_report(&mut self, report: &Report, peer: SocketAddr) {
        let cid = channel_of(report);
        if command_of(report) == Some(cmd::INIT) {
            self.on_init(report, peer);
            return;
        }
        if cid == BROADCAST_CID || !self.allocated(cid) {
            send_error(&self.socket, peer, cid, HidError::InvalidChannel);
            return;
        }
        if let Some(current) = self.reassembler.current_channel()
            && current != cid
        {
            send_error(&self.socket, peer, cid, HidError::ChannelBusy);
            return;
        }
        if command_of(report) == Some(cmd::CANCEL) {
            // Nothing is waiting outside a touch wait, and CANCEL is never answered.
            return;
        }
        if is_init(report) {
            self.started = Instant::now();
        }
        match self.reassembler.push(report) {
            Ok(None) => {}
            Ok(Some(message)) => self.dispatch(message.cid, message.cmd, &message.data, peer),
            Err(FrameError::UnexpectedContinuation { .. }) => {}
            Err(FrameError::TooLong { .. }) => {
                send_error(&self.socket, peer, cid, HidError::InvalidLength)
            }
            Err(_) => send_error(&self.socket, peer, cid, HidError::InvalidSequence),
        }
    }

    fn on_init(&mut self, report: &Report, peer: SocketAddr) {
        let cid = channel_of(report);
        let len = usize::from(u16::from_be_bytes([report[5], report[6]]));
        if len != 8 {
            send_error(&self.socket, peer, cid, HidError::InvalidLength);
            return;
        }
        if cid != BROADCAST_CID && !self.allocated(cid) {
            send_error(&self.socket, peer, cid, HidError::InvalidChannel);
            return;
        }
        if self.reassembler.current_channel() == Some(cid) {
            self.reassembler.reset();
        }
        let new_cid = if cid == BROADCAST_CID {
            let new = self.next_cid;
            // Channel numbers wrap long before the broadcast value; reuse is harmless here.
            self.next_cid = if self.next_cid >= 0x7FFF_FFFF {
                1
            } else {
                self.next_cid + 1
            };
            new
        } else {
            cid
        };
        let mut answer = report[7..15].to_vec();
        answer.extend_from_slice(&new_cid.to_be_bytes());
        answer.extend_from_slice(&[
            2,
            1,
            0,
            0,
            capability::WINK | capability::CBOR | capability::NMSG,
        ]);
        self.reply(cid, cmd::INIT, &answer, peer);
    }

    fn dispatch(&mut self, cid: u32, command: u8, data: &[u8], peer: SocketAddr) {
        match command {
            cmd::PING => self.reply(cid, cmd::PING, data, peer),
            cmd::WINK => {
                tracing::info!("wink");
                self.reply(cid, cmd::WINK, &[], peer);
            }
            cmd::CBOR if self.busy_left > 0 => {
                self.busy_left -= 1;
                send_error(&self.socket, peer, cid, HidError::ChannelBusy);
            }
            cmd::CBOR => {
                let (socket, touch, timeout) =
                    (&self.socket, self.config.touch, self.config.touch_timeout);
                let mut presence = || wait_for_touch(socket, peer, cid, touch, timeout);
                let answer = self.authenticator.handle(data, &mut presence);
                self.reply(cid, cmd::CBOR, &answer, peer);
            }
            _ => send_error(&self.socket, peer, cid, HidError::InvalidCommand),
        }
    }

    fn reply(&self, cid: u32, command: u8, data: &[u8], peer: SocketAddr) {
        let mut reports = match frame::fragment(cid, command, data) {
            Ok(reports) => reports,
            Err(e) => {
                tracing::error!("cannot frame an answer: {e}");
                send_error(&self.socket, peer, cid, HidError::Other);
                return;
            }
        };
        if self.config.faults.bad_seq && reports.len() > 1 {
            reports[1][4] = 5;
        }
        reports.iter().for_each(|r| send(&self.socket, peer, r));
    }
}

/// Sends UPNEEDED every 100 ms until a touch, a CANCEL on `cid` or the timeout. Other
/// channels trying to start a message meanwhile are told the pass is busy.
fn wait_for_touch(
    socket: &UdpSocket,
    peer: SocketAddr,
    cid: u32,
    touch: Touch,
    timeout: Duration,
) -> Presence {
    if touch == Touch::Immediate {
        return Presence::Confirmed;
    }
    let start = Instant::now();
    let mut keepalive_report = None;
    if let Ok(reports) = frame::fragment(cid, cmd::KEEPALIVE, &[keepalive::UP_NEEDED]) {
        keepalive_report = reports.into_iter().next();
    }
    let mut buf = [0u8; REPORT_LEN + 1];
    loop {
        if let Some(report) = &keepalive_report {
            send(socket, peer, report);
        }
        let tick_end = Instant::now() + KEEPALIVE_EVERY;
        while let Some(left) = tick_end
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        {
            if socket.set_read_timeout(Some(left)).is_err() {
                break;
            }
            let Ok((len, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            if &buf[..len] == TOUCH_DATAGRAM {
                restore_timeout(socket);
                return Presence::Confirmed;
            }
            if len != REPORT_LEN {
                continue;
            }
            let mut report = [0u8; REPORT_LEN];
            report.copy_from_slice(&buf[..REPORT_LEN]);
            let other = channel_of(&report);
            if other == cid && command_of(&report) == Some(cmd::CANCEL) {
                restore_timeout(socket);
                return Presence::Cancelled;
            }
            if other != cid && is_init(&report) {
                send_error(socket, from, other, HidError::ChannelBusy);
            }
        }
        let waited = start.elapsed();
        if let Touch::After(delay) = touch
            && waited >= delay
        {
            restore_timeout(socket);
            return Presence::Confirmed;
        }
        if waited >= timeout {
            restore_timeout(socket);
            return Presence::TimedOut;
        }
    }
}

fn restore_timeout(socket: &UdpSocket) {
    if let Err(e) = socket.set_read_timeout(Some(POLL)) {
        tracing::warn!("cannot reset the socket timeout: {e}");
    }
}
