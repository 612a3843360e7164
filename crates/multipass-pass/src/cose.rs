//! Credential public keys as COSE_Key (RFC 9052/9053) through coset: ES256 on P-256 and
//! EdDSA on Ed25519, the two algorithms passes are offered.

use ciborium::Value;
use coset::{CborSerializable, CoseKey, CoseKeyBuilder, Label, iana};
use p256::ecdsa::signature::Verifier as _;
use thiserror::Error;

pub use ed25519_dalek::VerifyingKey as Ed25519VerifyingKey;
pub use p256::ecdsa::VerifyingKey as P256VerifyingKey;

/// COSE algorithm identifiers this crate offers and verifies.
pub const ALG_ES256: i64 = -7;
pub const ALG_EDDSA: i64 = -8;
/// The key agreement algorithm of the PIN protocols.
pub const ALG_ECDH_ES_HKDF_256: i64 = -25;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoseKeyError {
    #[error("the credential public key is not a valid COSE key: {reason}")]
    Malformed { reason: String },
    #[error("the credential uses COSE algorithm {alg}, which is not accepted (ES256 or EdDSA)")]
    UnsupportedAlgorithm { alg: i64 },
    #[error("the credential public key lacks its {what}")]
    MissingParameter { what: &'static str },
    #[error("the credential public key's {what} does not fit its algorithm")]
    Mismatch { what: &'static str },
    #[error("the credential public key is not a point on its curve")]
    InvalidPoint,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("the signature is not well-formed for its algorithm")]
    Malformed,
    #[error("the signature does not match the credential's public key")]
    Invalid,
}

/// A credential's public key, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

fn param(key: &CoseKey, label: i64) -> Option<&Value> {
    key.params
        .iter()
        .find(|(l, _)| *l == Label::Int(label))
        .map(|(_, v)| v)
}

fn param_bytes<'k>(
    key: &'k CoseKey,
    label: i64,
    what: &'static str,
) -> Result<&'k [u8], CoseKeyError> {
    param(key, label)
        .and_then(|v| v.as_bytes())
        .map(Vec::as_slice)
        .ok_or(CoseKeyError::MissingParameter { what })
}

fn param_int(key: &CoseKey, label: i64, what: &'static str) -> Result<i64, CoseKeyError> {
    param(key, label)
        .and_then(|v| v.as_integer())
        .and_then(|i| i64::try_from(i).ok())
        .ok_or(CoseKeyError::MissingParameter { what })
}

fn alg_of(key: &CoseKey) -> Result<i64, CoseKeyError> {
    match &key.alg {
        Some(coset::RegisteredLabelWithPrivate::Assigned(alg)) => Ok(*alg as i64),
        Some(coset::RegisteredLabelWithPrivate::PrivateUse(alg)) => Ok(*alg),
        Some(coset::RegisteredLabelWithPrivate::Text(_)) => Err(CoseKeyError::Mismatch {
            what: "algorithm label",
        }),
        None => Err(CoseKeyError::MissingParameter { what: "algorithm" }),
    }
}

/// Reads the x and y coordinates of a P-256 COSE key (also used for PIN key agreement).
pub fn p256_point(key: &CoseKey) -> Result<p256::PublicKey, CoseKeyError> {
    if key.kty != coset::KeyType::Assigned(iana::KeyType::EC2) {
        return Err(CoseKeyError::Mismatch { what: "key type" });
    }
    if param_int(key, iana::Ec2KeyParameter::Crv as i64, "curve")?
        != iana::EllipticCurve::P_256 as i64
    {
        return Err(CoseKeyError::Mismatch { what: "curve" });
    }
    let x = param_bytes(key, iana::Ec2KeyParameter::X as i64, "x coordinate")?;
    let y = param_bytes(key, iana::Ec2KeyParameter::Y as i64, "y coordinate")?;
    if x.len() != 32 || y.len() != 32 {
        return Err(CoseKeyError::Mismatch {
            what: "coordinate length",
        });
    }
    let mut sec1 = [0u8; 65];
    sec1[0] = 0x04;
    sec1[1..33].copy_from_slice(x);
    sec1[33..].copy_from_slice(y);
    p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| CoseKeyError::InvalidPoint)
}

/// A P-256 point as a COSE key with the given algorithm.
pub fn p256_cose(point: &p256::PublicKey, alg: i64) -> CoseKey {
    use p256::elliptic_curve::sec1::ToEncodedPoint as _;
    let encoded = point.to_encoded_point(false);
    let x = encoded.x().map(|x| x.to_vec()).unwrap_or_default();
    let y = encoded.y().map(|y| y.to_vec()).unwrap_or_default();
    let mut key = CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_256, x, y).build();
    key.alg = Some(match <iana::Algorithm as iana::EnumI64>::from_i64(alg) {
        Some(known) => coset::RegisteredLabelWithPrivate::Assigned(known),
        None => coset::RegisteredLabelWithPrivate::PrivateUse(alg),
    });
    key
}

impl PublicKey {
    pub fn from_cose(key: &CoseKey) -> Result<Self, CoseKeyError> {
        match alg_of(key)? {
            ALG_ES256 => {
                let point = p256_point(key)?;
                Ok(Self::Es256(p256::ecdsa::VerifyingKey::from(point)))
            }
            ALG_EDDSA => {
                if key.kty != coset::KeyType::Assigned(iana::KeyType::OKP) {
                    return Err(CoseKeyError::Mismatch { what: "key type" });
                }
                let crv = param_int(key, iana::OkpKeyParameter::Crv as i64, "curve")?;
                if crv != iana::EllipticCurve::Ed25519 as i64 {
                    return Err(CoseKeyError::Mismatch { what: "curve" });
                }
                let x = param_bytes(key, iana::OkpKeyParameter::X as i64, "public key bytes")?;
                let bytes: [u8; 32] = x
                    .try_into()
                    .map_err(|_| CoseKeyError::Mismatch { what: "key length" })?;
                ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map(Self::EdDsa)
                    .map_err(|_| CoseKeyError::InvalidPoint)
            }
            alg => Err(CoseKeyError::UnsupportedAlgorithm { alg }),
        }
    }

    pub fn from_cose_value(value: Value) -> Result<Self, CoseKeyError> {
        let key = <CoseKey as coset::AsCborValue>::from_cbor_value(value).map_err(|e| {
            CoseKeyError::Malformed {
                reason: e.to_string(),
            }
        })?;
        Self::from_cose(&key)
    }

    /// Parses a CBOR-encoded COSE_Key, as stored with a credential.
    pub fn from_cose_bytes(bytes: &[u8]) -> Result<Self, CoseKeyError> {
        let key = CoseKey::from_slice(bytes).map_err(|e| CoseKeyError::Malformed {
            reason: e.to_string(),
        })?;
        Self::from_cose(&key)
    }

    pub fn algorithm(&self) -> i64 {
        match self {
            Self::Es256(_) => ALG_ES256,
            Self::EdDsa(_) => ALG_EDDSA,
        }
    }

    pub fn to_cose(&self) -> CoseKey {
        match self {
            Self::Es256(key) => p256_cose(&p256::PublicKey::from(key), ALG_ES256),
            Self::EdDsa(key) => CoseKeyBuilder::new_okp_key()
                .algorithm(iana::Algorithm::EdDSA)
                .param(
                    iana::OkpKeyParameter::Crv as i64,
                    Value::from(iana::EllipticCurve::Ed25519 as i64),
                )
                .param(
                    iana::OkpKeyParameter::X as i64,
                    Value::Bytes(key.to_bytes().to_vec()),
                )
                .build(),
        }
    }

    /// The canonical CBOR encoding, for storing with the credential.
    pub fn to_cose_bytes(&self) -> Result<Vec<u8>, crate::cbor::CborError> {
        let value = coset::AsCborValue::to_cbor_value(self.to_cose()).map_err(|e| {
            crate::cbor::CborError::Encode {
                reason: e.to_string(),
            }
        })?;
        crate::cbor::to_canonical_vec(&value)
    }

    /// Checks `signature` over `message`: DER ECDSA for ES256, 64 raw bytes for EdDSA.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        match self {
            Self::Es256(key) => {
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| SignatureError::Malformed)?;
                key.verify(message, &sig)
                    .map_err(|_| SignatureError::Invalid)
            }
            Self::EdDsa(key) => {
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| SignatureError::Malformed)?;
                key.verify_strict(message, &sig)
                    .map_err(|_| SignatureError::Invalid)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use p256::ecdsa::signature::Signer as _;
    use rstest::rstest;

    fn es256_key() -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap()
    }

    fn ed_key() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[9u8; 32])
    }

    #[test]
    fn keys_round_trip_through_cose() {
        for key in [
            PublicKey::Es256(*es256_key().verifying_key()),
            PublicKey::EdDsa(ed_key().verifying_key()),
        ] {
            let bytes = key.to_cose_bytes().unwrap();
            assert_eq!(PublicKey::from_cose_bytes(&bytes).unwrap(), key);
        }
    }

    #[test]
    fn ed25519_rfc8032_test_vector_1() {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        let public: [u8; 32] =
            hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
                .unwrap()
                .try_into()
                .unwrap();
        let sig = hex::decode(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        )
        .unwrap();
        let key = PublicKey::EdDsa(ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap());
        assert_eq!(key.verify(b"", &sig), Ok(()));
        assert_eq!(key.verify(b"x", &sig), Err(SignatureError::Invalid));
    }

    #[test]
    fn es256_signatures_verify_and_tampering_fails() {
        let signing = es256_key();
        let sig: p256::ecdsa::Signature = signing.sign(b"message");
        let key = PublicKey::Es256(*signing.verifying_key());
        let der = sig.to_der();
        assert_eq!(key.verify(b"message", der.as_bytes()), Ok(()));
        assert_eq!(
            key.verify(b"massage", der.as_bytes()),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            key.verify(b"message", &der.as_bytes()[1..]),
            Err(SignatureError::Malformed)
        );
    }

    #[rstest]
    #[case::rs256(|k: &mut CoseKey| k.alg = Some(coset::RegisteredLabelWithPrivate::Assigned(iana::Algorithm::RS256)), "unsupported")]
    #[case::no_alg(|k: &mut CoseKey| k.alg = None, "missing")]
    #[case::no_y(|k: &mut CoseKey| k.params.retain(|(l, _)| *l != Label::Int(-3)), "missing")]
    #[case::short_x(|k: &mut CoseKey| k.params[1].1 = Value::Bytes(vec![1; 31]), "mismatch")]
    #[case::off_curve(|k: &mut CoseKey| k.params[1].1 = Value::Bytes(vec![1; 32]), "point")]
    #[case::okp_type(|k: &mut CoseKey| k.kty = coset::KeyType::Assigned(iana::KeyType::OKP), "mismatch")]
    fn bad_es256_keys(#[case] damage: fn(&mut CoseKey), #[case] kind: &str) {
        let mut key = PublicKey::Es256(*es256_key().verifying_key()).to_cose();
        damage(&mut key);
        let err = PublicKey::from_cose(&key).unwrap_err();
        let ok = match kind {
            "unsupported" => matches!(err, CoseKeyError::UnsupportedAlgorithm { alg: -257 }),
            "missing" => matches!(err, CoseKeyError::MissingParameter { .. }),
            "mismatch" => matches!(err, CoseKeyError::Mismatch { .. }),
            _ => matches!(err, CoseKeyError::InvalidPoint),
        };
        assert!(ok, "{err:?}");
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(
            PublicKey::from_cose_bytes(&[0xA1, 0x01]),
            Err(CoseKeyError::Malformed { .. })
        ));
    }
}
