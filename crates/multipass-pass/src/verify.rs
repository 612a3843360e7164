//! Verification of what a pass returns: rpId hash, user presence, signatures over
//! authData || clientDataHash, self attestation, and the signature counter.

use thiserror::Error;

use crate::auth_data::{AuthDataError, AuthenticatorData, rp_id_hash};
use crate::cbor;
use crate::cose::{PublicKey, SignatureError};
use crate::ctap2::make_credential::MakeCredentialResponse;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    #[error("the pass answered for a different relying party")]
    RpIdMismatch,
    #[error("the pass did not confirm that someone touched it")]
    UserNotPresent,
    #[error("the pass did not return the new credential")]
    NoAttestedCredential,
    #[error("the signature is malformed")]
    MalformedSignature,
    #[error(
        "the signature does not verify: this is not the registered pass, or its answer was altered"
    )]
    BadSignature,
    #[error("the attestation statement is malformed: {reason}")]
    MalformedAttestation { reason: String },
    #[error("the pass used a credential that was not asked for")]
    CredentialNotAllowed,
    #[error(transparent)]
    AuthData(#[from] AuthDataError),
}

impl From<SignatureError> for VerifyError {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::Malformed => Self::MalformedSignature,
            SignatureError::Invalid => Self::BadSignature,
        }
    }
}

/// What the signature counter says about a pass (WebAuthn section 7.2 step 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignCount {
    /// Both counts are zero: the pass does not keep a counter.
    NotKept,
    /// The count grew; store the new value.
    Advanced { count: u32 },
    /// The count did not grow: the pass may have been cloned.
    PossiblyCloned { stored: u32, received: u32 },
}

/// Compares a received counter with the stored one.
pub fn check_sign_count(stored: u32, received: u32) -> SignCount {
    match (stored, received) {
        (0, 0) => SignCount::NotKept,
        (stored, received) if received > stored => SignCount::Advanced { count: received },
        (stored, received) => SignCount::PossiblyCloned { stored, received },
    }
}

/// How the new credential was attested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attestation {
    /// Format "none".
    None,
    /// "packed" signed by the credential key itself; checked.
    SelfAttested,
    /// A certificate chain or another format; the signature is not checked here and the
    /// chain is kept for whoever decides which makers to trust.
    Unverified {
        format: String,
        certificates: Vec<Vec<u8>>,
    },
}

/// A verified enrolment, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
    pub aaguid: [u8; 16],
    pub sign_count: u32,
    pub user_verified: bool,
    pub attestation: Attestation,
}

fn check_rp_and_presence(data: &AuthenticatorData, rp_id: &str) -> Result<(), VerifyError> {
    if data.rp_id_hash != rp_id_hash(rp_id) {
        return Err(VerifyError::RpIdMismatch);
    }
    if !data.user_present() {
        return Err(VerifyError::UserNotPresent);
    }
    Ok(())
}

fn signed_message(auth_data: &[u8], client_data_hash: &[u8; 32]) -> Vec<u8> {
    [auth_data, client_data_hash.as_slice()].concat()
}

/// Checks a makeCredential answer for `rp_id` and `client_data_hash`.
pub fn verify_registration(
    rp_id: &str,
    client_data_hash: &[u8; 32],
    response: &MakeCredentialResponse,
) -> Result<Registration, VerifyError> {
    let data = AuthenticatorData::parse(&response.auth_data)?;
    check_rp_and_presence(&data, rp_id)?;
    let attested = data
        .attested
        .clone()
        .ok_or(VerifyError::NoAttestedCredential)?;
    let statement = &response.attestation_statement;
    let malformed = |e: cbor::CborError| VerifyError::MalformedAttestation {
        reason: e.to_string(),
    };
    let attestation = match response.format.as_str() {
        "none" => Attestation::None,
        "packed" => {
            let certificates = match statement.get_text_key("x5c") {
                Some(chain) => cbor::as_array(chain, "x5c")
                    .and_then(|items| {
                        items
                            .iter()
                            .map(|c| cbor::as_bytes(c, "x5c").map(<[u8]>::to_vec))
                            .collect()
                    })
                    .map_err(malformed)?,
                None => Vec::new(),
            };
            let alg = statement.int_by_text("alg", "alg").map_err(malformed)?;
            let signature = statement.bytes_by_text("sig", "sig").map_err(malformed)?;
            let (Some(alg), Some(signature)) = (alg, signature) else {
                return Err(VerifyError::MalformedAttestation {
                    reason: "alg or sig is missing".into(),
                });
            };
            if certificates.is_empty() {
                if alg != attested.public_key.algorithm() {
                    return Err(VerifyError::MalformedAttestation {
                        reason: "the self attestation uses another algorithm than the credential"
                            .into(),
                    });
                }
                attested.public_key.verify(
                    &signed_message(&response.auth_data, client_data_hash),
                    signature,
                )?;
                Attestation::SelfAttested
            } else {
                Attestation::Unverified {
                    format: "packed".into(),
                    certificates,
                }
            }
        }
        other => Attestation::Unverified {
            format: other.to_owned(),
            certificates: Vec::new(),
        },
    };
    Ok(Registration {
        credential_id: attested.credential_id,
        public_key: attested.public_key,
        aaguid: attested.aaguid,
        sign_count: data.sign_count,
        user_verified: data.user_verified(),
        attestation,
    })
}

/// A verified sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    pub sign_count: SignCount,
    pub user_verified: bool,
}

/// Checks a getAssertion answer against the stored key and counter.
pub fn verify_assertion(
    public_key: &PublicKey,
    rp_id: &str,
    client_data_hash: &[u8; 32],
    auth_data: &[u8],
    signature: &[u8],
    stored_sign_count: u32,
) -> Result<VerifiedAssertion, VerifyError> {
    let data = AuthenticatorData::parse(auth_data)?;
    check_rp_and_presence(&data, rp_id)?;
    public_key.verify(&signed_message(auth_data, client_data_hash), signature)?;
    Ok(VerifiedAssertion {
        sign_count: check_sign_count(stored_sign_count, data.sign_count),
        user_verified: data.user_verified(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::auth_data::{FLAG_AT, FLAG_UP, FLAG_UV, encode};
    use crate::cbor::{Map, text_map};
    use ciborium::Value;
    use ed25519_dalek::Signer as _;
    use rstest::rstest;

    #[rstest]
    #[case::no_counter(0, 0, SignCount::NotKept)]
    #[case::first_use(0, 1, SignCount::Advanced { count: 1 })]
    #[case::grows(5, 9, SignCount::Advanced { count: 9 })]
    #[case::repeats(5, 5, SignCount::PossiblyCloned { stored: 5, received: 5 })]
    #[case::goes_back(9, 5, SignCount::PossiblyCloned { stored: 9, received: 5 })]
    #[case::drops_to_zero(9, 0, SignCount::PossiblyCloned { stored: 9, received: 0 })]
    #[case::max(u32::MAX - 1, u32::MAX, SignCount::Advanced { count: u32::MAX })]
    fn sign_counts(#[case] stored: u32, #[case] received: u32, #[case] expected: SignCount) {
        assert_eq!(check_sign_count(stored, received), expected);
    }

    const CDH: [u8; 32] = [0x11; 32];

    fn ed() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[42; 32])
    }

    /// A fixed Ed25519 assertion vector (RFC 8032 signatures are deterministic); the
    /// signature was computed independently with Python's `cryptography` package.
    #[test]
    fn known_ed25519_assertion_vector() {
        let auth_data = encode(&rp_id_hash("example.com"), FLAG_UP, 7, None);
        let sig = hex::decode(
            "5c846d7d98e72fb492f6b1d941147095702495ee7bed9061f4a083f6edc61c5c\
             ebfbe4f9a731ea47302803a1c10c68da4142828ff77aaa862b0098edc8493c0e",
        )
        .unwrap();
        assert_eq!(
            ed().sign(&signed_message(&auth_data, &CDH))
                .to_bytes()
                .to_vec(),
            sig
        );
        let key = PublicKey::EdDsa(ed().verifying_key());
        let verified = verify_assertion(&key, "example.com", &CDH, &auth_data, &sig, 6).unwrap();
        assert_eq!(verified.sign_count, SignCount::Advanced { count: 7 });
        assert!(!verified.user_verified);
    }

    /// An ES256 assertion signed by an independent implementation (Python `cryptography`,
    /// random nonce) over the known authData of `auth_data::tests::known_assertion_layout`.
    #[test]
    fn independent_es256_assertion_vector() {
        let auth_data = hex::decode(
            "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce19470500000017",
        )
        .unwrap();
        let sig = hex::decode(
            "304502206403171ed2d810c0a4ba7f3bbbf9047be4d5c7d0f1272a1083ca159328083ada\
             022100dcdc0e168634b99968554e9219fb33eb3ad4bdbf6e7787c968afc5af17b4b545",
        )
        .unwrap();
        let point = hex::decode(
            "0407810ea974cea5773e63b897f37e3be9a09e7a5fe9b971a44d1065ac2a3a9311\
             637e47a4f99464a0fdce44a88ec7d703a9183c1d06552d9e2d6b76069481c577",
        )
        .unwrap();
        let key = PublicKey::Es256(crate::cose::P256VerifyingKey::from_sec1_bytes(&point).unwrap());
        let verified = verify_assertion(&key, "example.com", &CDH, &auth_data, &sig, 0x16).unwrap();
        assert_eq!(verified.sign_count, SignCount::Advanced { count: 0x17 });
        assert!(verified.user_verified);
        assert_eq!(
            verify_assertion(&key, "example.com", &CDH, &auth_data, &sig, 0x17)
                .unwrap()
                .sign_count,
            SignCount::PossiblyCloned {
                stored: 0x17,
                received: 0x17
            }
        );
    }

    #[rstest]
    #[case::other_rp("example.org", FLAG_UP, false, VerifyError::RpIdMismatch)]
    #[case::no_touch("example.com", FLAG_UV, false, VerifyError::UserNotPresent)]
    #[case::tampered("example.com", FLAG_UP, true, VerifyError::BadSignature)]
    fn assertion_failures(
        #[case] rp: &str,
        #[case] flags: u8,
        #[case] tamper: bool,
        #[case] expected: VerifyError,
    ) {
        let signing = p256::ecdsa::SigningKey::from_slice(&[5; 32]).unwrap();
        let auth_data = encode(&rp_id_hash("example.com"), flags, 1, None);
        let mut message = signed_message(&auth_data, &CDH);
        if tamper {
            message[0] ^= 1;
        }
        let sig: p256::ecdsa::Signature = signing.sign(&message);
        let key = PublicKey::Es256(*signing.verifying_key());
        let err =
            verify_assertion(&key, rp, &CDH, &auth_data, sig.to_der().as_bytes(), 0).unwrap_err();
        assert_eq!(err, expected);
    }

    #[test]
    fn malformed_signature_is_distinct() {
        let auth_data = encode(&rp_id_hash("a"), FLAG_UP, 1, None);
        let key = PublicKey::EdDsa(ed().verifying_key());
        assert_eq!(
            verify_assertion(&key, "a", &CDH, &auth_data, &[1; 10], 0),
            Err(VerifyError::MalformedSignature)
        );
    }

    fn registration(
        format: &str,
        statement: impl FnOnce(&[u8]) -> Value,
    ) -> MakeCredentialResponse {
        let key = PublicKey::EdDsa(ed().verifying_key())
            .to_cose_bytes()
            .unwrap();
        let auth_data = encode(
            &rp_id_hash("example.com"),
            FLAG_UP | FLAG_AT,
            0,
            Some((&[3; 16], &[8; 32], &key)),
        );
        let statement = statement(&auth_data);
        MakeCredentialResponse {
            format: format.into(),
            auth_data,
            attestation_statement: Map::from_value(statement, "attStmt").unwrap(),
        }
    }

    #[test]
    fn self_attestation_is_checked() {
        let good = registration("packed", |ad| {
            let sig = ed().sign(&signed_message(ad, &CDH)).to_bytes().to_vec();
            text_map([("alg", Value::from(-8)), ("sig", Value::Bytes(sig))])
        });
        let reg = verify_registration("example.com", &CDH, &good).unwrap();
        assert_eq!(reg.attestation, Attestation::SelfAttested);
        assert_eq!(reg.credential_id, vec![8; 32]);
        assert_eq!(reg.aaguid, [3; 16]);
        let forged = registration("packed", |_| {
            text_map([("alg", Value::from(-8)), ("sig", Value::Bytes(vec![0; 64]))])
        });
        assert_eq!(
            verify_registration("example.com", &CDH, &forged),
            Err(VerifyError::BadSignature)
        );
        let none = registration("none", |_| Value::Map(vec![]));
        assert_eq!(
            verify_registration("example.com", &CDH, &none)
                .unwrap()
                .attestation,
            Attestation::None
        );
        assert_eq!(
            verify_registration("other.com", &CDH, &none),
            Err(VerifyError::RpIdMismatch)
        );
    }

    #[test]
    fn registration_without_credential_is_refused() {
        let mut response = registration("none", |_| Value::Map(vec![]));
        response.auth_data = encode(&rp_id_hash("example.com"), FLAG_UP, 0, None);
        assert_eq!(
            verify_registration("example.com", &CDH, &response),
            Err(VerifyError::NoAttestedCredential)
        );
    }
}
