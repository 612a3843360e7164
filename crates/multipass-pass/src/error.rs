//! The one error type of the pass protocol, with messages for people.

use thiserror::Error;

use crate::auth_data::AuthDataError;
use crate::cbor::CborError;
use crate::cose::CoseKeyError;
use crate::ctap2::status::Ctap2Status;
use crate::ctaphid::HidError;
use crate::ctaphid::frame::FrameError;
use crate::pin_protocol::PinProtocolError;
use crate::transport::TransportError;
use crate::verify::VerifyError;

#[derive(Debug, Error)]
pub enum PassError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Device(HidError),
    #[error(transparent)]
    Status(Ctap2Status),
    #[error(transparent)]
    Cbor(#[from] CborError),
    #[error(transparent)]
    Cose(#[from] CoseKeyError),
    #[error(transparent)]
    AuthData(#[from] AuthDataError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    PinProtocol(#[from] PinProtocolError),
    #[error("the pass did not answer in time")]
    Timeout,
    #[error("the operation on the pass was cancelled")]
    Cancelled,
    #[error("the pass answered a different connection request (nonce mismatch)")]
    NonceMismatch,
    #[error("the pass's {what} answer is too short ({len} bytes)")]
    ShortResponse { what: &'static str, len: usize },
    #[error("the pass allocated the reserved channel {channel:#010x}")]
    BadChannelAllocated { channel: u32 },
    #[error("the pass sent a keepalive with an unknown status ({status:?})")]
    BadKeepalive { status: Option<u8> },
    #[error("the pass answered command {got:#04x} to command {expected:#04x}")]
    UnexpectedCommand { expected: u8, got: u8 },
    #[error("the pass echoed different data to a ping")]
    PingMismatch,
    #[error("the pass does not support {what}")]
    Unsupported { what: &'static str },
    #[error("the pass needs its PIN for this")]
    PinRequired,
    #[error("a PIN was given but the pass has no PIN set")]
    PinNotSet,
    #[error("the PIN is wrong{}", retries_text(*.retries_left))]
    WrongPin { retries_left: Option<u64> },
    #[error("the PIN is blocked after too many wrong attempts; the pass must be reset")]
    PinBlocked,
    #[error("too many wrong PINs in a row: unplug the pass and plug it in again")]
    PinAuthBlocked,
    #[error("the pass supports none of the offered algorithms (ES256, EdDSA)")]
    NoCommonAlgorithm,
    #[error("invalid request: {reason}")]
    InvalidRequest { reason: &'static str },
}

fn retries_text(retries: Option<u64>) -> String {
    match retries {
        Some(1) => "; 1 attempt left before the pass blocks it".to_owned(),
        Some(n) => format!("; {n} attempts left"),
        None => String::new(),
    }
}

impl From<HidError> for PassError {
    fn from(e: HidError) -> Self {
        Self::Device(e)
    }
}
