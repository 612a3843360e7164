//! Ways to exchange 64-byte CTAPHID reports with a pass.

pub mod hid;
pub mod udp;

use std::time::Duration;

use thiserror::Error;

use crate::ctaphid::frame::Report;

pub use hid::{HidTransport, PassDescriptor, enumerate};
pub use udp::UdpTransport;

/// Sends and receives whole CTAPHID reports.
pub trait Transport: Send + std::fmt::Debug {
    fn send(&mut self, report: &Report) -> Result<(), TransportError>;
    /// Waits up to `timeout` for one report; `None` when nothing arrived in time.
    fn recv(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        (**self).send(report)
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        (**self).recv(timeout)
    }
}

#[derive(Debug, Error)]
pub enum TransportError {
    #[error("the connection to the pass failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the USB HID layer failed: {message}")]
    Hid { message: String },
    #[error("the pass sent a {len}-byte report; CTAPHID reports are 64 bytes")]
    BadReportLength { len: usize },
    #[error("only part of a report reached the pass ({written} of {expected} bytes)")]
    ShortWrite { written: usize, expected: usize },
    #[error("no pass is connected at {path}")]
    NotFound { path: String },
    #[error("{path} is not a FIDO pass")]
    NotAPass { path: String },
}
