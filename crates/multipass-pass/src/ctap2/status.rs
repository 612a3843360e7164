//! CTAP2 status codes (CTAP 2.1 section 8.2), each with a message for people.

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("{}", describe(*.0))]
pub struct Ctap2Status(pub u8);

pub const OK: u8 = 0x00;
pub const INVALID_COMMAND: u8 = 0x01;
pub const INVALID_PARAMETER: u8 = 0x02;
pub const INVALID_LENGTH: u8 = 0x03;
pub const CBOR_UNEXPECTED_TYPE: u8 = 0x11;
pub const INVALID_CBOR: u8 = 0x12;
pub const MISSING_PARAMETER: u8 = 0x14;
pub const CREDENTIAL_EXCLUDED: u8 = 0x19;
pub const UNSUPPORTED_ALGORITHM: u8 = 0x26;
pub const OPERATION_DENIED: u8 = 0x27;
pub const UNSUPPORTED_OPTION: u8 = 0x2B;
pub const INVALID_OPTION: u8 = 0x2C;
pub const KEEPALIVE_CANCEL: u8 = 0x2D;
pub const NO_CREDENTIALS: u8 = 0x2E;
pub const USER_ACTION_TIMEOUT: u8 = 0x2F;
pub const PIN_INVALID: u8 = 0x31;
pub const PIN_BLOCKED: u8 = 0x32;
pub const PIN_AUTH_INVALID: u8 = 0x33;
pub const PIN_AUTH_BLOCKED: u8 = 0x34;
pub const PIN_NOT_SET: u8 = 0x35;
pub const PUAT_REQUIRED: u8 = 0x36;
pub const INVALID_SUBCOMMAND: u8 = 0x3E;
pub const OTHER: u8 = 0x7F;

fn describe(code: u8) -> String {
    let text = match code {
        0x01 => "the pass does not support this command",
        0x02 => "the pass rejected a parameter",
        0x03 => "the pass rejected the request length",
        0x04 => "the pass received packets out of order",
        0x05 => "the pass timed out receiving the request",
        0x06 => "the pass is busy with another application",
        0x0A => "the pass is locked by another application",
        0x0B => "the pass does not know this channel",
        0x11 => "the pass found an unexpected CBOR type",
        0x12 => "the pass could not read the request's CBOR",
        0x14 => "the request lacks a parameter the pass needs",
        0x15 => "the request exceeds a limit of the pass",
        0x19 => "this pass is already registered for this account",
        0x21 => "the pass is still processing",
        0x22 => "the pass does not recognise this credential",
        0x23 => "the pass waits for an action by the user",
        0x24 => "the pass has an operation pending",
        0x25 => "the pass has no pending operation",
        0x26 => "the pass supports none of the offered algorithms",
        0x27 => "the pass refused the operation",
        0x28 => "the pass's credential storage is full",
        0x2B => "the pass does not support a requested option",
        0x2C => "the pass rejected an option",
        0x2D => "the operation was cancelled",
        0x2E => "this pass holds no credential for this account",
        0x2F => "the pass was not touched in time",
        0x30 => "the pass does not allow this now",
        0x31 => "the PIN is wrong",
        0x32 => "the PIN is blocked after too many wrong attempts; reset the pass",
        0x33 => "the pass rejected the PIN authentication",
        0x34 => "too many wrong PINs: unplug the pass and plug it in again",
        0x35 => "the pass has no PIN set",
        0x36 => "the pass needs its PIN for this",
        0x37 => "the PIN does not meet the pass's PIN policy",
        0x39 => "the request is too large for the pass",
        0x3A => "the pass's action timed out",
        0x3B => "the pass needs a touch for this",
        0x3C => "the pass's built-in user verification is blocked",
        0x3D => "the pass's integrity check failed",
        0x3E => "the pass does not support this subcommand",
        0x3F => "the pass's user verification failed",
        0x40 => "the PIN token lacks the permission for this",
        0x7F => "the pass reported an unspecified error",
        0xE0..=0xEF => return format!("the pass reported extension error {code:#04x}"),
        0xF0..=0xFF => return format!("the pass reported vendor error {code:#04x}"),
        _ => return format!("the pass reported unknown status {code:#04x}"),
    };
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(PIN_INVALID, "the PIN is wrong")]
    #[case(NO_CREDENTIALS, "this pass holds no credential for this account")]
    #[case(0xF3, "the pass reported vendor error 0xf3")]
    #[case(0x99, "the pass reported unknown status 0x99")]
    fn messages(#[case] code: u8, #[case] text: &str) {
        assert_eq!(Ctap2Status(code).to_string(), text);
    }
}
