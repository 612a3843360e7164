//! authenticatorClientPIN requests and answers (getRetries, getKeyAgreement, getPinToken).

use ciborium::Value;
use coset::AsCborValue as _;

use crate::PassError;
use crate::cbor::{self, Map, int_map};
use crate::cose::{self, ALG_ECDH_ES_HKDF_256};
use crate::pin_protocol::{PinProtocol, SharedSecret, pin_hash};

pub mod sub {
    pub const GET_RETRIES: u64 = 0x01;
    pub const GET_KEY_AGREEMENT: u64 = 0x02;
    pub const GET_PIN_TOKEN: u64 = 0x05;
}

pub fn get_retries(protocol: PinProtocol) -> Value {
    int_map([
        (1, Some(Value::from(protocol.number()))),
        (2, Some(Value::from(sub::GET_RETRIES))),
    ])
}

pub fn parse_retries(body: &[u8]) -> Result<u64, PassError> {
    let map = Map::parse(body, "clientPIN getRetries")?;
    map.opt_uint(0x03, "pinRetries")?.ok_or_else(|| {
        cbor::CborError::Missing {
            field: "pinRetries",
        }
        .into()
    })
}

pub fn get_key_agreement(protocol: PinProtocol) -> Value {
    int_map([
        (1, Some(Value::from(protocol.number()))),
        (2, Some(Value::from(sub::GET_KEY_AGREEMENT))),
    ])
}

pub fn parse_key_agreement(body: &[u8]) -> Result<p256::PublicKey, PassError> {
    let map = Map::parse(body, "clientPIN getKeyAgreement")?;
    let value = map.require(0x01, "keyAgreement")?.clone();
    let key =
        coset::CoseKey::from_cbor_value(value).map_err(|e| cose::CoseKeyError::Malformed {
            reason: e.to_string(),
        })?;
    Ok(cose::p256_point(&key)?)
}

/// The platform side of key agreement: our ephemeral public key as COSE and the secret.
pub fn platform_key_agreement(
    protocol: PinProtocol,
    ephemeral: &p256::SecretKey,
    pass_key: &p256::PublicKey,
) -> Result<(Value, SharedSecret), PassError> {
    let ours = cose::p256_cose(&ephemeral.public_key(), ALG_ECDH_ES_HKDF_256)
        .to_cbor_value()
        .map_err(|e| cbor::CborError::Encode {
            reason: e.to_string(),
        })?;
    Ok((ours, protocol.shared_secret(ephemeral, pass_key)))
}

pub fn get_pin_token(
    secret: &SharedSecret,
    platform_key: Value,
    pin: &str,
    iv: [u8; 16],
) -> Result<Value, PassError> {
    if pin.chars().count() < 4 || pin.len() > 63 {
        return Err(PassError::InvalidRequest {
            reason: "a PIN has 4 to 63 bytes and at least 4 characters",
        });
    }
    let encrypted = secret.encrypt(&pin_hash(pin), iv)?;
    Ok(int_map([
        (1, Some(Value::from(secret.protocol().number()))),
        (2, Some(Value::from(sub::GET_PIN_TOKEN))),
        (3, Some(platform_key)),
        (6, Some(Value::Bytes(encrypted))),
    ]))
}

pub fn parse_pin_token(secret: &SharedSecret, body: &[u8]) -> Result<Vec<u8>, PassError> {
    let map = Map::parse(body, "clientPIN getPinToken")?;
    let token = secret.decrypt(map.bytes(0x02, "pinUvAuthToken")?)?;
    if token.len() != 16 && token.len() != 32 {
        return Err(cbor::CborError::OutOfRange {
            field: "pinUvAuthToken",
        }
        .into());
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn short_pins_are_refused_before_reaching_the_pass() {
        let a = p256::SecretKey::from_slice(&[1; 32]).unwrap();
        let (key, secret) = platform_key_agreement(PinProtocol::Two, &a, &a.public_key()).unwrap();
        assert!(matches!(
            get_pin_token(&secret, key, "123", [0; 16]),
            Err(PassError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn retries_need_the_field() {
        let body = cbor::to_canonical_vec(&int_map([(3, Some(Value::from(7)))])).unwrap();
        assert_eq!(parse_retries(&body).unwrap(), 7);
        assert!(parse_retries(&[0xA0]).is_err());
    }
}
