//! CTAP2 commands over CTAPHID_CBOR: requests in canonical CBOR, strictly parsed answers.

pub mod client_pin;
pub mod get_assertion;
pub mod info;
pub mod make_credential;
pub mod status;

use ciborium::Value;

use crate::PassError;
use crate::cbor::{self, CborError};
use status::Ctap2Status;

/// CTAP2 command bytes.
pub mod command {
    pub const MAKE_CREDENTIAL: u8 = 0x01;
    pub const GET_ASSERTION: u8 = 0x02;
    pub const GET_INFO: u8 = 0x04;
    pub const CLIENT_PIN: u8 = 0x06;
}

/// The CTAPHID_CBOR payload of a command: its byte, then the canonical CBOR parameters.
pub fn request(command: u8, params: Option<&Value>) -> Result<Vec<u8>, CborError> {
    let mut out = vec![command];
    if let Some(params) = params {
        out.extend(cbor::to_canonical_vec(params)?);
    }
    Ok(out)
}

/// Splits a CTAPHID_CBOR answer into its status and body; a non-zero status is an error.
pub fn response_body(raw: &[u8]) -> Result<&[u8], PassError> {
    match raw.split_first() {
        None => Err(PassError::ShortResponse {
            what: "CBOR",
            len: 0,
        }),
        Some((&status::OK, body)) => Ok(body),
        Some((&code, _)) => Err(PassError::Status(Ctap2Status(code))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn status_split() {
        assert_eq!(response_body(&[0, 0xA0]).unwrap(), &[0xA0]);
        assert!(matches!(
            response_body(&[0x2E]),
            Err(PassError::Status(Ctap2Status(0x2E)))
        ));
        assert!(matches!(
            response_body(&[]),
            Err(PassError::ShortResponse { .. })
        ));
    }

    #[test]
    fn get_info_request_is_one_byte() {
        assert_eq!(request(command::GET_INFO, None).unwrap(), vec![0x04]);
    }
}
