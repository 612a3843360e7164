//! A CTAPHID channel on one pass: INIT, request/response with keepalives, CANCEL and
//! CHANNEL_BUSY retries.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::frame::{self, BROADCAST_CID, REPORT_LEN, Reassembler};
use super::{HidError, InitInfo, cmd, keepalive, parse_init_response};
use crate::PassError;
use crate::transport::Transport;

/// How long to wait for a pass to answer a command that needs no touch.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a busy channel is retried before giving up.
const MAX_BUSY_RETRIES: u32 = 20;
const BUSY_BACKOFF: Duration = Duration::from_millis(100);
/// Longest single wait, so a caller's abort is noticed promptly.
const POLL: Duration = Duration::from_millis(50);
/// After a CANCEL the pass gets this long to confirm before the call gives up anyway.
const CANCEL_GRACE: Duration = Duration::from_millis(500);
const INIT_TIMEOUT: Duration = Duration::from_secs(3);
const INIT_ATTEMPTS: u32 = 3;

/// What a pass reports while it works on a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassEvent {
    /// The pass is busy computing.
    Processing,
    /// The pass waits for a touch: tell the person "touch your pass".
    TouchNeeded,
}

impl std::fmt::Display for PassEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Processing => "Your pass is working…",
            Self::TouchNeeded => "Touch your pass",
        })
    }
}

/// How one call may run: its time limit, an abort flag and where keepalive events go.
pub struct Interaction<'a> {
    timeout: Duration,
    cancel: Option<&'a AtomicBool>,
    on_event: Box<dyn FnMut(PassEvent) + Send + 'a>,
}

impl std::fmt::Debug for Interaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interaction")
            .field("timeout", &self.timeout)
            .field("cancellable", &self.cancel.is_some())
            .finish()
    }
}

impl Default for Interaction<'_> {
    fn default() -> Self {
        Self::new(DEFAULT_TIMEOUT)
    }
}

impl<'a> Interaction<'a> {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            cancel: None,
            on_event: Box::new(|_| {}),
        }
    }

    /// The call sends CANCEL and ends with [`PassError::Cancelled`] once `flag` is set.
    pub fn cancel_with(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// `f` hears each change of keepalive status (not every repeated keepalive).
    pub fn on_event(mut self, f: impl FnMut(PassEvent) + Send + 'a) -> Self {
        self.on_event = Box::new(f);
        self
    }

    fn aborted(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::SeqCst))
    }
}

enum Outcome {
    Data(Vec<u8>),
    Busy,
}

/// An open channel to one pass.
#[derive(Debug)]
pub struct CtapHid<T> {
    transport: T,
    info: InitInfo,
}

impl<T: Transport> CtapHid<T> {
    /// Allocates a channel with CTAPHID_INIT on the broadcast channel.
    pub fn init(transport: T, nonce: [u8; 8]) -> Result<Self, PassError> {
        let placeholder = InitInfo {
            channel: BROADCAST_CID,
            protocol_version: 0,
            device_version: (0, 0, 0),
            capabilities: 0,
        };
        let mut hid = Self {
            transport,
            info: placeholder,
        };
        // Another application's INIT answer can arrive on the broadcast channel first; its
        // nonce differs, so ask again a few times before calling it a failure.
        for _ in 0..INIT_ATTEMPTS {
            let response = hid.call(cmd::INIT, &nonce, &mut Interaction::new(INIT_TIMEOUT))?;
            match parse_init_response(&response, &nonce) {
                Ok(info) => {
                    hid.info = info;
                    return Ok(hid);
                }
                Err(PassError::NonceMismatch) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(PassError::NonceMismatch)
    }

    pub fn info(&self) -> &InitInfo {
        &self.info
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends `data` as CTAPHID `command` and returns the pass's answer.
    pub fn call(
        &mut self,
        command: u8,
        data: &[u8],
        interaction: &mut Interaction<'_>,
    ) -> Result<Vec<u8>, PassError> {
        let reports = frame::fragment(self.info.channel, command, data)?;
        let deadline = Instant::now() + interaction.timeout;
        for _ in 0..=MAX_BUSY_RETRIES {
            for report in &reports {
                self.transport.send(report)?;
            }
            match self.read_response(command, deadline, interaction)? {
                Outcome::Data(data) => return Ok(data),
                Outcome::Busy if Instant::now() + BUSY_BACKOFF < deadline => {
                    tracing::debug!("pass channel busy, retrying");
                    std::thread::sleep(BUSY_BACKOFF);
                }
                Outcome::Busy => break,
            }
        }
        Err(PassError::Device(HidError::ChannelBusy))
    }

    pub fn ping(&mut self, data: &[u8]) -> Result<(), PassError> {
        let echoed = self.call(cmd::PING, data, &mut Interaction::default())?;
        if echoed != data {
            return Err(PassError::PingMismatch);
        }
        Ok(())
    }

    pub fn wink(&mut self) -> Result<(), PassError> {
        if !self.info.supports_wink() {
            return Err(PassError::Unsupported { what: "wink" });
        }
        self.call(cmd::WINK, &[], &mut Interaction::default())?;
        Ok(())
    }

    fn send_cancel(&mut self) -> Result<(), PassError> {
        let mut report = [0u8; REPORT_LEN];
        report[..4].copy_from_slice(&self.info.channel.to_be_bytes());
        report[4] = 0x80 | cmd::CANCEL;
        self.transport.send(&report)?;
        Ok(())
    }

    fn read_response(
        &mut self,
        command: u8,
        deadline: Instant,
        interaction: &mut Interaction<'_>,
    ) -> Result<Outcome, PassError> {
        let mut reassembler = Reassembler::for_channel(self.info.channel);
        let mut last_event = None;
        let mut stopped: Option<PassError> = None;
        let mut give_up_at = deadline;
        loop {
            if stopped.is_none() && (interaction.aborted() || Instant::now() >= deadline) {
                self.send_cancel()?;
                stopped = Some(if interaction.aborted() {
                    PassError::Cancelled
                } else {
                    PassError::Timeout
                });
                give_up_at = Instant::now() + CANCEL_GRACE;
            }
            let now = Instant::now();
            if let Some(reason) = stopped.take_if(|_| now >= give_up_at) {
                return Err(reason);
            }
            let wait = give_up_at.saturating_duration_since(now).min(POLL);
            let Some(report) = self.transport.recv(wait)? else {
                continue;
            };
            let Some(message) = reassembler.push(&report)? else {
                continue;
            };
            match message.cmd {
                cmd::KEEPALIVE => {
                    let event = match message.data.first() {
                        Some(&keepalive::PROCESSING) => PassEvent::Processing,
                        Some(&keepalive::UP_NEEDED) => PassEvent::TouchNeeded,
                        other => {
                            return Err(PassError::BadKeepalive {
                                status: other.copied(),
                            });
                        }
                    };
                    if last_event != Some(event) && stopped.is_none() {
                        last_event = Some(event);
                        (interaction.on_event)(event);
                    }
                }
                cmd::ERROR => {
                    let code = *message.data.first().ok_or(PassError::ShortResponse {
                        what: "ERROR",
                        len: 0,
                    })?;
                    let error = HidError::from_code(code);
                    return match stopped {
                        Some(reason) => Err(reason),
                        None if error == HidError::ChannelBusy => Ok(Outcome::Busy),
                        None => Err(PassError::Device(error)),
                    };
                }
                got if got == command => {
                    return match stopped {
                        Some(reason) => Err(reason),
                        None => Ok(Outcome::Data(message.data)),
                    };
                }
                got => {
                    return Err(PassError::UnexpectedCommand {
                        expected: command,
                        got,
                    });
                }
            }
        }
    }
}
