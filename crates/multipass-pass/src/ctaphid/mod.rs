//! CTAPHID: the HID framing and channel protocol under CTAP2.

pub mod channel;
pub mod frame;

pub use channel::{CtapHid, Interaction, PassEvent};

use thiserror::Error;

/// CTAPHID command bytes (without the init bit).
pub mod cmd {
    pub const PING: u8 = 0x01;
    pub const MSG: u8 = 0x03;
    pub const INIT: u8 = 0x06;
    pub const WINK: u8 = 0x08;
    pub const CBOR: u8 = 0x10;
    pub const CANCEL: u8 = 0x11;
    pub const KEEPALIVE: u8 = 0x3B;
    pub const ERROR: u8 = 0x3F;
}

/// KEEPALIVE status bytes.
pub mod keepalive {
    pub const PROCESSING: u8 = 0x01;
    pub const UP_NEEDED: u8 = 0x02;
}

/// Capability bits in the INIT response.
pub mod capability {
    pub const WINK: u8 = 0x01;
    pub const CBOR: u8 = 0x04;
    pub const NMSG: u8 = 0x08;
}

/// The CTAPHID_ERROR codes a device can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum HidError {
    #[error("the pass does not know this command")]
    InvalidCommand,
    #[error("the pass rejected a parameter of the command")]
    InvalidParameter,
    #[error("the pass rejected the length of the message")]
    InvalidLength,
    #[error("the pass received the message packets out of order")]
    InvalidSequence,
    #[error("the pass gave up waiting for the rest of the message")]
    MessageTimeout,
    #[error("the pass is busy with another application")]
    ChannelBusy,
    #[error("the pass is locked by another application")]
    LockRequired,
    #[error("the pass does not know this channel; reconnect it")]
    InvalidChannel,
    #[error("the pass reported an unspecified error")]
    Other,
    #[error("the pass reported unknown error code {0:#04x}")]
    Unknown(u8),
}

impl HidError {
    pub fn from_code(code: u8) -> Self {
        match code {
            0x01 => Self::InvalidCommand,
            0x02 => Self::InvalidParameter,
            0x03 => Self::InvalidLength,
            0x04 => Self::InvalidSequence,
            0x05 => Self::MessageTimeout,
            0x06 => Self::ChannelBusy,
            0x0A => Self::LockRequired,
            0x0B => Self::InvalidChannel,
            0x7F => Self::Other,
            other => Self::Unknown(other),
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Self::InvalidCommand => 0x01,
            Self::InvalidParameter => 0x02,
            Self::InvalidLength => 0x03,
            Self::InvalidSequence => 0x04,
            Self::MessageTimeout => 0x05,
            Self::ChannelBusy => 0x06,
            Self::LockRequired => 0x0A,
            Self::InvalidChannel => 0x0B,
            Self::Other => 0x7F,
            Self::Unknown(code) => code,
        }
    }
}

/// What a device says about itself in its INIT response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitInfo {
    pub channel: u32,
    pub protocol_version: u8,
    pub device_version: (u8, u8, u8),
    pub capabilities: u8,
}

impl InitInfo {
    pub fn supports_wink(&self) -> bool {
        self.capabilities & capability::WINK != 0
    }

    pub fn supports_cbor(&self) -> bool {
        self.capabilities & capability::CBOR != 0
    }
}

/// Parses an INIT response (17 bytes), checking the echoed nonce.
pub fn parse_init_response(data: &[u8], nonce: &[u8; 8]) -> Result<InitInfo, crate::PassError> {
    if data.len() < 17 {
        return Err(crate::PassError::ShortResponse {
            what: "INIT",
            len: data.len(),
        });
    }
    if data[..8] != nonce[..] {
        return Err(crate::PassError::NonceMismatch);
    }
    let channel = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
    if channel == 0 || channel == frame::BROADCAST_CID {
        return Err(crate::PassError::BadChannelAllocated { channel });
    }
    Ok(InitInfo {
        channel,
        protocol_version: data[12],
        device_version: (data[13], data[14], data[15]),
        capabilities: data[16],
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0x01)]
    #[case(0x04)]
    #[case(0x06)]
    #[case(0x0B)]
    #[case(0x7F)]
    #[case(0x55)]
    fn error_codes_round_trip(#[case] code: u8) {
        assert_eq!(HidError::from_code(code).code(), code);
    }

    #[test]
    fn init_response_checks() {
        let nonce = [1, 2, 3, 4, 5, 6, 7, 8];
        let mut data = nonce.to_vec();
        data.extend_from_slice(&[0, 0, 0, 9, 2, 1, 2, 3, 0x05]);
        let info = parse_init_response(&data, &nonce).unwrap();
        assert_eq!(info.channel, 9);
        assert!(info.supports_wink() && info.supports_cbor());
        assert!(matches!(
            parse_init_response(&data, &[0; 8]),
            Err(crate::PassError::NonceMismatch)
        ));
        assert!(matches!(
            parse_init_response(&data[..10], &nonce),
            Err(crate::PassError::ShortResponse { .. })
        ));
        data[8..12].copy_from_slice(&[0xFF; 4]);
        assert!(matches!(
            parse_init_response(&data, &nonce),
            Err(crate::PassError::BadChannelAllocated { .. })
        ));
    }
}
