//! Pass protocol failures as API errors. The PIN cases name the `pin` field so the UI can ask
//! again; hidapi's own text goes to the log only.

use crate::error::{ApiError, ErrorCode};
use multipass_pass::PassError;
use multipass_pass::ctap2::status::{self, Ctap2Status};
use multipass_pass::transport::TransportError;

pub(crate) const ALREADY_ENROLLED: &str =
    "This pass is already enrolled for this person. Use another pass, or revoke the old one first.";

pub(crate) fn pass_error(e: PassError) -> ApiError {
    let pin = |message: String| ApiError::new(ErrorCode::InvalidInput, message).with_field("pin");
    match e {
        PassError::PinRequired => pin("This pass is protected by a PIN. Enter its PIN.".into()),
        PassError::WrongPin { retries_left } => pin(match retries_left {
            Some(1) => "The PIN is wrong. 1 attempt is left before the pass blocks its PIN.".into(),
            Some(n) => format!("The PIN is wrong. {n} attempts are left."),
            None => "The PIN is wrong.".into(),
        }),
        PassError::PinNotSet => pin("This pass has no PIN set; leave the PIN empty.".into()),
        PassError::PinBlocked | PassError::PinAuthBlocked => pin(capitalised(&e)),
        PassError::Status(Ctap2Status(status::CREDENTIAL_EXCLUDED)) => {
            ApiError::new(ErrorCode::Conflict, ALREADY_ENROLLED).with_field("device")
        }
        PassError::Cancelled => ApiError::new(
            ErrorCode::Cancelled,
            "The operation on the pass was cancelled.",
        ),
        PassError::Timeout => ApiError::new(
            ErrorCode::Timeout,
            "The pass was not touched in time. Try again and touch it when it blinks.",
        ),
        PassError::Verify(v) => ApiError::new(ErrorCode::InvalidCredentials, capitalised(&v)),
        PassError::Transport(TransportError::NotFound { .. } | TransportError::NotAPass { .. }) => {
            ApiError::new(
                ErrorCode::NotFound,
                "That pass is not connected. Plug it in and list the passes again.",
            )
            .with_field("device")
        }
        PassError::Transport(TransportError::Hid { message }) => {
            tracing::warn!(%message, "USB HID failure");
            ApiError::new(
                ErrorCode::Unavailable,
                "The pass could not be used over USB. Run `multipass passes devices` to see why.",
            )
        }
        PassError::InvalidRequest { reason } => ApiError::new(
            ErrorCode::InvalidInput,
            format!("The pass cannot be used: {reason}."),
        )
        .with_field("device"),
        other => {
            tracing::warn!(error = %other, "pass ceremony failed");
            ApiError::new(
                ErrorCode::Unavailable,
                format!("The pass did not complete the operation: {}.", other),
            )
        }
    }
}

fn capitalised(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text,
    }
}
