//! Checking what a wallet's key signed before anything it asks for is written. The key
//! itself never reaches the authority: it signs where its owner is (see `crate::signer`).

use crate::error::{ApiError, ErrorCode};
use multipass_domain::ValidationError;
use multipass_domain::wallet::{Signable, SignatureError, verify_signature};

/// Refuses `message` unless `signature` is the wallet key's signature of it. `what` names
/// the message for people ("transfer", "order").
pub(crate) fn check_signed<M: Signable>(
    public_key: Option<&str>,
    message: &M,
    signature: &str,
    what: &str,
) -> Result<(), ApiError> {
    let Some(public_key) = public_key else {
        return Err(no_usable_key());
    };
    match verify_signature(public_key, message, signature.trim()) {
        Ok(()) => Ok(()),
        Err(SignatureError::MalformedSignature) => Err(ValidationError::new(
            "signature",
            "This is not an ML-DSA-65 signature in hex.",
        )
        .into()),
        Err(SignatureError::MalformedPublicKey) => Err(no_usable_key()),
        Err(SignatureError::Mismatch | SignatureError::SigningFailed) => Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "The {what} is not signed by the key of the wallet it spends from, so nothing \
                 was done."
            ),
        )),
    }
}

fn no_usable_key() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidState,
        "This wallet has no usable public key on record, so nothing signed for it can be \
         checked.",
    )
}
